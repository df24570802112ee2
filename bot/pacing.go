package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"golang.org/x/time/rate"
)

// Slack's documented limits: about one message per second per channel
// with short bursts, and chat.update in Tier 3 (about 50 a minute).
const (
	postsPerSecond  = 1
	postBurst       = 3
	updatesPerMin   = 50
	updateBurst     = 10
	maxRateRetries  = 3
	maxRetryAfter   = 2 * time.Minute
	gateIdleForget  = 10 * time.Minute
	gateSweepPeriod = 1000
)

// pacer spaces Slack writes so that toban stays under Slack's limits, and
// when Slack still answers 429, every writer to that channel waits the
// Retry-After instead of hammering it.
type pacer struct {
	mu      sync.Mutex
	gates   map[string]*gate
	calls   int
	updates *rate.Limiter
	// shared, when set, holds the budgets and pauses in the database so
	// that they hold across replicas; the local limiters are the fallback
	// when it cannot be reached.
	shared PaceStore
	log    zerolog.Logger
}

// PaceStore keeps Slack pacing shared by several replicas (storage.DB):
// one budget per key, reserved a write at a time, and the pauses that
// 429s impose.
type PaceStore interface {
	ReservePace(ctx context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Time, error)
	PausePace(ctx context.Context, key string, until time.Time) error
}

// paceKey names the budget a write draws on: the channel's for posts, the
// app's one chat.update budget for updates.
func paceKey(channel string, update bool) string {
	if update {
		return "chat.update"
	}
	return "post:" + channel
}

type gate struct {
	limiter     *rate.Limiter
	pausedUntil time.Time
	lastUsed    time.Time
}

func newPacer() *pacer {
	return &pacer{gates: map[string]*gate{}, updates: rate.NewLimiter(rate.Limit(updatesPerMin)/60, updateBurst)}
}

func (p *pacer) gate(channel string) *gate {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.calls++; p.calls%gateSweepPeriod == 0 {
		for id, g := range p.gates {
			if now.Sub(g.lastUsed) > gateIdleForget {
				delete(p.gates, id)
			}
		}
	}
	g := p.gates[channel]
	if g == nil {
		g = &gate{limiter: rate.NewLimiter(postsPerSecond, postBurst)}
		p.gates[channel] = g
	}
	g.lastUsed = now
	return g
}

// wait blocks until channel may be written to.
func (p *pacer) wait(ctx context.Context, channel string, update bool) error {
	g := p.gate(channel)
	p.mu.Lock()
	pause := time.Until(g.pausedUntil)
	p.mu.Unlock()
	if pause > 0 {
		if err := sleep(ctx, pause); err != nil {
			return err
		}
	}
	if p.shared != nil {
		interval, burst := time.Second/postsPerSecond, postBurst
		if update {
			interval, burst = time.Minute/updatesPerMin, updateBurst
		}
		at, err := p.shared.ReservePace(ctx, paceKey(channel, update), interval, burst, time.Now())
		if err == nil {
			return sleep(ctx, time.Until(at))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.log.Warn().Err(err).Str("channel", channel).Msg("shared pacing unavailable; pacing this replica alone")
	}
	if update {
		return p.updates.Wait(ctx)
	}
	return g.limiter.Wait(ctx)
}

// pause makes every writer to channel wait d.
func (p *pacer) pause(channel string, d time.Duration) {
	g := p.gate(channel)
	p.mu.Lock()
	if until := time.Now().Add(d); until.After(g.pausedUntil) {
		g.pausedUntil = until
	}
	p.mu.Unlock()
}

// do runs call within the limits, retrying a 429 after its Retry-After.
func (p *pacer) do(ctx context.Context, channel string, update bool, call func() error) error {
	for attempt := 0; ; attempt++ {
		if err := p.wait(ctx, channel, update); err != nil {
			return err
		}
		err := call()
		var limited *slack.RateLimitedError
		if !errors.As(err, &limited) || attempt == maxRateRetries {
			return err
		}
		d := min(max(limited.RetryAfter, time.Second), maxRetryAfter)
		p.pause(channel, d)
		if p.shared != nil {
			// Every replica waits the Retry-After, not only this one.
			if err := p.shared.PausePace(ctx, paceKey(channel, update), time.Now().Add(d)); err != nil && ctx.Err() == nil {
				p.log.Warn().Err(err).Str("channel", channel).Msg("Retry-After not shared with other replicas")
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
