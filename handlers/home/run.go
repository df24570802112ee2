package home

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"
)

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Run keeps the Homes of recent viewers current until ctx ends: at once,
// when woken (here, or by a change announced on any replica), and every
// Every at the least, never twice within MinInterval. Run it on one
// replica at a time (a singleton lease): each replica would otherwise
// publish the same Homes.
func (f *Feature) Run(ctx context.Context) error {
	if f.Changes != nil {
		for _, topic := range f.Topics {
			ch, err := f.Changes.Changes(ctx, topic)
			if err != nil {
				return err
			}
			go func() {
				for {
					select {
					case <-ctx.Done():
						return
					case _, ok := <-ch:
						if !ok {
							return
						}
						f.Wake()
					}
				}
			}()
		}
	}
	for {
		started := f.now()
		every := orDefault(f.Every, Every)
		if f.refreshRecent(ctx) == 0 {
			// Nobody to keep current: no timer until an opening or a
			// change wakes the loop.
			every = 0
		}
		if !f.sleep(ctx, every, true) {
			return nil
		}
		// A burst of changes costs one refresh.
		if rest := orDefault(f.MinInterval, MinInterval) - f.now().Sub(started); rest > 0 {
			if !f.sleep(ctx, rest, false) {
				return nil
			}
		}
	}
}

// sleep waits d (or, when wakeable, a wake; d 0 waits for a wake only);
// false when ctx ended.
func (f *Feature) sleep(ctx context.Context, d time.Duration, wakeable bool) bool {
	var timeout <-chan time.Time
	if d > 0 || !wakeable {
		t := f.Clock.NewTimer(d)
		defer t.Stop()
		timeout = t.C()
	}
	var wake chan struct{}
	if wakeable {
		wake = f.wake.C()
	}
	select {
	case <-ctx.Done():
		return false
	case <-timeout:
	case <-wake:
	}
	return true
}

// refreshRecent re-renders the Home of everyone who opened it within
// Recent and publishes those that changed, paced under Slack's limit. It
// returns how many recent viewers there are.
func (f *Feature) refreshRecent(ctx context.Context) int {
	viewers, err := f.Store.HomeViewers(ctx, f.now().Add(-Recent), MaxViewers)
	if err != nil {
		if ctx.Err() == nil {
			f.Log.Warn().Err(err).Msg("home: viewers unreadable")
		}
		return 0
	}
	if len(viewers) == 0 {
		return 0
	}
	src := f.newSource(ctx)
	if f.PagerDuty != nil {
		// Who each viewer is first, so that one incident listing serves all.
		var pdIDs []string
		for _, v := range viewers {
			if p, err := src.actingAs(ctx, f.Identity, v.UserID); err == nil && p.ID != "" {
				pdIDs = append(pdIDs, p.ID)
			}
		}
		src.prefetch(ctx, pdIDs)
	}
	var last time.Time
	for _, v := range viewers {
		if ctx.Err() != nil {
			return len(viewers)
		}
		p := src.page(ctx, f, v)
		if p.failed() {
			// Keep the Home shown; the next refresh tries again.
			f.Log.Debug().Str("user", v.UserID).Msg("home: not refreshed, a source failed")
			continue
		}
		view := render(p, f.Buttons, f.Linker != nil)
		hash := viewHash(view)
		if hash == v.Hash {
			continue
		}
		if !last.IsZero() {
			if rest := orDefault(f.PublishGap, PublishGap) - f.now().Sub(last); rest > 0 && !f.sleep(ctx, rest, false) {
				return len(viewers)
			}
		}
		last = f.now()
		err := f.publishChanged(ctx, v.UserID, view)
		var limited *slack.RateLimitedError
		if errors.As(err, &limited) {
			f.Log.Warn().Dur("retry_after_ms", limited.RetryAfter).Msg("home: Slack rate-limited views.publish; the rest waits for the next refresh")
			f.sleep(ctx, limited.RetryAfter, false)
			return len(viewers)
		}
		if err != nil && ctx.Err() == nil {
			f.Log.Warn().Err(err).Str("user", v.UserID).Msg("home: not published")
		}
	}
	return len(viewers)
}
