package bot

import (
	"context"
	"errors"
	"sync"
	"time"

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
		p.pause(channel, min(max(limited.RetryAfter, time.Second), maxRetryAfter))
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
