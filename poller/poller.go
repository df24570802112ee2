// Package poller feeds the incident event inbox from PagerDuty's log
// entries, for teams whose toban has no public URL for webhooks (Socket
// Mode's point). Every interval it reads the entries created since a
// cursor kept in the database, stores them as events (deduplicated by
// entry ID) and wakes the processor.
//
// It is an adapter: it owns the log-entry cursor and loop. It may import
// domain only (the inbox and PagerDuty are ports it declares); never another
// adapter, the router or a feature.
package poller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/domain"
)

// CursorName is the name under which the cursor is saved: the RFC 3339
// time (UTC, nanoseconds) up to which log entries have been read.
const CursorName = "pagerduty.log_entries"

const (
	// Lookback is how far back the first poll (no cursor) reads, so that
	// changes made just before toban started are seen. It is also the
	// floor of the cursor: after a successful poll the cursor is at least
	// now - Lookback, which bounds every later read when nothing happens
	// for a long time. An entry that becomes visible more than Lookback
	// (and more than Overlap after the newest entry read) after its
	// created_at is missed.
	Lookback = 5 * time.Minute
	// Overlap is how far before the cursor each poll starts reading:
	// PagerDuty can list an entry some seconds after its created_at, and
	// entries share whole seconds. Deduplication by entry ID makes
	// re-reading harmless.
	Overlap = 60 * time.Second
)

// Source reads incident events from PagerDuty's log entries
// (pagerduty.Client implements it).
type Source interface {
	LogEntriesSince(ctx context.Context, since time.Time) ([]domain.IncidentEvent, error)
}

// Store is the inbox and the cursor's home (storage.DB implements it).
type Store interface {
	AcceptEvents(ctx context.Context, webhookID string, evs []domain.IncidentEvent) (int, error)
	Cursor(ctx context.Context, name string) (string, error)
	SetCursor(ctx context.Context, name, value string) error
}

// Poller polls PagerDuty's log entries into the inbox.
type Poller struct {
	src      Source
	store    Store
	interval time.Duration
	now      func() time.Time
	notify   func()
	log      zerolog.Logger
	mu       sync.Mutex // one poll at a time
}

// New returns a poller reading src every interval (0 disables it) into
// store, calling notify (which must not block; nil for none) when new
// events were stored. now is toban's clock (required); it should agree
// with PagerDuty's to within Lookback.
func New(src Source, store Store, interval time.Duration, now func() time.Time, notify func(), log zerolog.Logger) *Poller {
	if now == nil {
		panic("poller.New: now is required")
	}
	if notify == nil {
		notify = func() {}
	}
	return &Poller{src: src, store: store, interval: interval, now: now, notify: notify, log: log}
}

// Run polls at once and then every interval until ctx ends, and returns
// nil then. With an interval of 0 (or less) polling is disabled and Run
// returns nil immediately. Failed polls are logged and the next tick tries
// again from the same cursor.
func (p *Poller) Run(ctx context.Context) error {
	if p.interval <= 0 {
		return nil
	}
	p.log.Info().Dur("interval_ms", p.interval).Msg("polling PagerDuty log entries")
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		if err := p.PollOnce(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn().Err(err).Msg("polling PagerDuty log entries failed; will retry")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// PollOnce reads the log entries since the cursor minus Overlap (since now
// minus Lookback without a cursor), stores their events, then moves the
// cursor to the newest event time read (never backwards, and at least to
// now - Lookback). On any error the cursor is left where it was, so the
// next poll reads the same range again: nothing is missed, and nothing is
// stored twice.
func (p *Poller) PollOnce(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := p.now()
	cursor, err := p.cursor(ctx)
	if err != nil {
		return err
	}
	since := start.Add(-Lookback)
	if !cursor.IsZero() {
		since = cursor.Add(-Overlap)
	}
	evs, err := p.src.LogEntriesSince(ctx, since)
	if err != nil {
		return fmt.Errorf("read log entries since %s: %w", since.UTC().Format(time.RFC3339), err)
	}
	next := maxTime(cursor, start.Add(-Lookback))
	var handled []domain.IncidentEvent
	for _, ev := range evs {
		next = maxTime(next, ev.OccurredAt)
		if domain.HandledEventTypes[ev.Type] {
			handled = append(handled, ev)
		}
	}
	accepted := 0
	if len(handled) > 0 {
		accepted, err = p.store.AcceptEvents(ctx, "", handled)
		if err != nil {
			return fmt.Errorf("store polled events: %w", err)
		}
	}
	if !next.Equal(cursor) {
		if err := p.store.SetCursor(ctx, CursorName, next.UTC().Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("save poll cursor: %w", err)
		}
	}
	le := p.log.Debug()
	if accepted > 0 {
		le = p.log.Info()
	}
	le.Time("since", since).Int("read", len(evs)).Int("new", accepted).Time("cursor", next).Msg("polled PagerDuty log entries")
	if accepted > 0 {
		p.notify()
	}
	return nil
}

// cursor reads the saved cursor; zero when there is none. An unreadable
// cursor is logged and treated as none.
func (p *Poller) cursor(ctx context.Context) (time.Time, error) {
	v, err := p.store.Cursor(ctx, CursorName)
	if err != nil {
		return time.Time{}, fmt.Errorf("read poll cursor: %w", err)
	}
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		p.log.Warn().Str("cursor", v).Msg("unreadable poll cursor; starting over from the lookback")
		return time.Time{}, nil
	}
	return t, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
