// Package leader runs singletons (the PagerDuty poller, calendar refresh,
// scheduled reports, …) on exactly one of several replicas at a time, under
// leases kept in the shared database (storage.AcquireLease and friends).
//
// A replica that holds a lease renews it every TTL/3. Its function's
// context is cancelled as soon as a renewal is refused or when no renewal
// succeeded for most of a TTL, measured by a timer started before the
// renewal was sent, so it stops before another replica can take the lease
// over. A replica that dies stops renewing and is replaced within TTL plus
// one poll. Replicas' clocks are assumed to agree within TTL/10 (NTP):
// each stamps expiries with its own.
//
// It owns the lease loop. It may import storage (the leases) only; cmd/toban
// imports it.
package leader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/tobanbot/toban/storage"
)

// Store keeps leases; *storage.DB is one.
type Store interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (storage.Lease, bool, error)
	RenewLease(ctx context.Context, l storage.Lease, ttl time.Duration) (storage.Lease, error)
	ReleaseLease(ctx context.Context, l storage.Lease) error
}

// Options tune an Elector. The zero value gives the defaults.
type Options struct {
	// TTL is how long a lease lasts without renewal. Default 6s, so that
	// a dead holder is replaced within 10 s (TTL + Poll).
	TTL time.Duration
	// Poll is how often a replica without the lease tries to take it.
	// Default TTL/3.
	Poll time.Duration
	// Log receives acquisitions, losses and store errors.
	Log zerolog.Logger
	// OnChange, when set, is called as this replica gains (held true) or
	// loses a lease, for gauges.
	OnChange func(name string, held bool, l storage.Lease)
}

func (o *Options) fill() {
	if o.TTL <= 0 {
		o.TTL = 6 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = o.TTL / 3
	}
}

// Stats counts lease events on one Elector.
type Stats struct {
	// Acquired counts tenures begun; Takeovers those of them that took a
	// lease from a holder whose lease expired unreleased.
	Acquired, Takeovers uint64
	// Lost counts tenures that ended because the lease was refused or not
	// renewed in time, not because the function returned.
	Lost uint64
}

// Elector runs functions under leases for one holder (one replica). It is
// safe for concurrent use: one Elector serves every singleton of a replica.
type Elector struct {
	store  Store
	holder string
	opts   Options

	acquired, takeovers, lost atomic.Uint64

	mu   sync.Mutex
	held map[string]storage.Lease
}

// New returns an Elector acting as holder, a name unique to the replica
// (e.g. hostname and process id).
func New(store Store, holder string, opts Options) *Elector {
	opts.fill()
	return &Elector{store: store, holder: holder, opts: opts, held: map[string]storage.Lease{}}
}

// Run is New(store, holder, opts).Run(ctx, name, fn), for a replica with
// one singleton.
func Run(ctx context.Context, store Store, name, holder string, opts Options, fn func(ctx context.Context) error) error {
	return New(store, holder, opts).Run(ctx, name, fn)
}

// Holder is the name this Elector holds leases under.
func (e *Elector) Holder() string { return e.holder }

// Held lists the names of the leases this replica holds now, sorted, for
// /readyz.
func (e *Elector) Held() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	names := make([]string, 0, len(e.held))
	for n := range e.held {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Stats returns the counters so far.
func (e *Elector) Stats() Stats {
	return Stats{Acquired: e.acquired.Load(), Takeovers: e.takeovers.Load(), Lost: e.lost.Load()}
}

// Run waits for the lease name, runs fn while holding it, and releases it
// when fn returns. When the lease is lost, fn's context is cancelled and,
// once fn returned, Run contends again. Run returns nil when ctx ends, and
// fn's error (nil included) when fn returns on its own while holding.
func (e *Elector) Run(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	log := e.opts.Log.With().Str("lease", name).Str("holder", e.holder).Logger()
	for {
		l, deadline, err := e.acquire(ctx, name, log)
		if err != nil {
			return nil // ctx ended while waiting
		}
		e.setHeld(name, l, true)
		fnErr, returned := e.hold(ctx, l, deadline, fn, log)
		e.setHeld(name, l, false)
		if returned {
			return fnErr
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (e *Elector) setHeld(name string, l storage.Lease, held bool) {
	e.mu.Lock()
	if held {
		e.held[name] = l
	} else {
		delete(e.held, name)
	}
	e.mu.Unlock()
	if e.opts.OnChange != nil {
		e.opts.OnChange(name, held, l)
	}
}

// acquire tries every Poll until it holds name. deadline fires when the
// lease may have expired: its timer starts before the request is sent.
func (e *Elector) acquire(ctx context.Context, name string, log zerolog.Logger) (storage.Lease, *time.Timer, error) {
	for {
		deadline := time.NewTimer(e.localTTL())
		cctx, cancel := context.WithTimeout(ctx, e.opts.Poll)
		l, ok, err := e.store.AcquireLease(cctx, name, e.holder, e.opts.TTL)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn().Err(err).Msg("lease acquire failed")
		case ok:
			e.acquired.Add(1)
			if l.TakenOver {
				e.takeovers.Add(1)
			}
			log.Info().Int64("epoch", l.Epoch).Bool("taken_over", l.TakenOver).Msg("lease acquired")
			return l, deadline, nil
		}
		deadline.Stop()
		wait := time.NewTimer(e.opts.Poll)
		select {
		case <-ctx.Done():
			wait.Stop()
			return storage.Lease{}, nil, ctx.Err()
		case <-wait.C:
		}
	}
}

// localTTL is how long this replica trusts a lease after sending the
// request that set it: a tenth short of the TTL, so that clock skew and
// fn's own stopping do not overlap the next holder.
func (e *Elector) localTTL() time.Duration { return e.opts.TTL - e.opts.TTL/10 }

type renewal struct {
	l        storage.Lease
	err      error
	deadline *time.Timer
}

// errLost is the cause of fn's cancellation when the lease is gone.
var errLost = errors.New("lease lost")

// hold runs fn under l until fn returns (returned is true) or the lease is
// lost or ctx ends (returned is false). It releases the lease unless lost.
func (e *Elector) hold(ctx context.Context, l storage.Lease, deadline *time.Timer, fn func(context.Context) error, log zerolog.Logger) (fnErr error, returned bool) {
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan error, 1)
	go func() { done <- fn(fctx) }()

	renewEvery := e.opts.TTL / 3
	tick := time.NewTicker(renewEvery)
	defer tick.Stop()
	results := make(chan renewal, 1)
	renewing := false
	rctx, stopRenew := context.WithCancel(ctx)
	defer func() {
		stopRenew()
		if renewing {
			<-results
		}
	}()

	lose := func(why string, err error) {
		e.lost.Add(1)
		log.Warn().Err(err).Int64("epoch", l.Epoch).Msg(why)
		cancel(fmt.Errorf("%s: %w", why, errLost))
		<-done
	}
	for {
		select {
		case err := <-done:
			e.release(ctx, l, log)
			if ctx.Err() != nil && errors.Is(err, context.Canceled) {
				return nil, false
			}
			return err, true
		case <-ctx.Done():
			<-done
			e.release(ctx, l, log)
			return nil, false
		case <-deadline.C:
			lose("lease not renewed in time", nil)
			return nil, false
		case <-tick.C:
			if renewing {
				continue // the last one is still out; the deadline guards us
			}
			renewing = true
			cur := l
			go func() {
				next := time.NewTimer(e.localTTL())
				c, cancel := context.WithTimeout(rctx, renewEvery)
				nl, err := e.store.RenewLease(c, cur, e.opts.TTL)
				cancel()
				results <- renewal{nl, err, next}
			}()
		case r := <-results:
			renewing = false
			switch {
			case errors.Is(r.err, storage.ErrLeaseLost):
				r.deadline.Stop()
				lose("lease lost", r.err)
				return nil, false
			case r.err != nil:
				r.deadline.Stop() // keep the older deadline: nothing was extended
				log.Warn().Err(r.err).Msg("lease renew failed")
			default:
				deadline.Stop()
				deadline, l = r.deadline, r.l
			}
		}
	}
}

// release gives l up so the next replica need not wait for it to expire;
// it is worth a try even while shutting down.
func (e *Elector) release(ctx context.Context, l storage.Lease, log zerolog.Logger) {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.Poll)
	defer cancel()
	if err := e.store.ReleaseLease(c, l); err != nil {
		log.Warn().Err(err).Msg("lease release failed")
		return
	}
	log.Info().Int64("epoch", l.Epoch).Msg("lease released")
}
