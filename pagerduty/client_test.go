package pagerduty_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/handlers/incidents"
	"github.com/tobanbot/toban/internal/pdcontract"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/pagerduty"
)

var _ incidents.PagerDuty = (*pagerduty.Client)(nil)

// newClient starts a fake and a client for it whose waits between attempts
// are instant.
func newClient(t *testing.T, timeout time.Duration) (*pagerduty.Client, *pdfake.Server, *metrics.Registry) {
	t.Helper()
	e := newEnv(t, pagerduty.Config{Timeout: timeout}, pdfake.Options{})
	return e.c, e.fake, e.m
}

// env is a client talking to a fake, with the waits it asked for.
type env struct {
	c     *pagerduty.Client
	fake  *pdfake.Server
	m     *metrics.Registry
	mu    sync.Mutex
	waits []time.Duration
}

// Waits returns the waits between attempts asked for so far.
func (e *env) Waits() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.waits)
}

// newEnv starts a fake with opts and a client configured by cfg (token and
// URLs filled in) whose waits between attempts are recorded, not slept.
func newEnv(t *testing.T, cfg pagerduty.Config, opts pdfake.Options) *env {
	t.Helper()
	e := &env{fake: pdfake.New(opts), m: metrics.New()}
	t.Cleanup(e.fake.Close)
	e.fake.CheckContract(t, pdcontract.MustLoad(t))
	cfg.Token, cfg.APIURL, cfg.EventsURL = e.fake.Token(), e.fake.URL(), e.fake.URL()
	if cfg.Now == nil {
		cfg.Now = opts.Now
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	e.c = pagerduty.New(cfg, e.m)
	pagerduty.SetSleep(e.c, func(ctx context.Context, d time.Duration) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.waits = append(e.waits, d)
		return ctx.Err()
	})
	return e
}

func TestOnCalls(t *testing.T) {
	c, fake, _ := newClient(t, 5*time.Second)
	now := time.Now().UTC().Truncate(time.Second)
	fake.AddUser(pdfake.User{ID: "PU1", Name: "Alice", Email: "alice@example.com"})
	fake.AddUser(pdfake.User{ID: "PU2", Name: "Bob", Email: "bob@example.com"})
	fake.AddSchedule(pdfake.Schedule{ID: "PS1", Name: "Primary", Shifts: []pdfake.Shift{
		{UserID: "PU1", Start: now.Add(-time.Hour), End: now.Add(3 * time.Hour)},
	}})
	// Enough policies to need more than one page of on-calls.
	for i := range 60 {
		fake.AddEscalationPolicy(pdfake.EscalationPolicy{ID: fmt.Sprintf("PEP%02d", i), Name: fmt.Sprintf("Team %02d", i),
			Levels: []pdfake.EscalationLevel{
				{Targets: []pdfake.Target{{Type: pdfake.TargetSchedule, ID: "PS1"}}},
				{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "PU2"}}},
			}})
	}

	t.Run("All", func(t *testing.T) {
		got, err := c.OnCalls(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 120 {
			t.Errorf("entries = %d, want 120 (60 policies × 2 levels, paginated)", len(got))
		}
	})
	t.Run("Filtered", func(t *testing.T) {
		got, err := c.OnCalls(context.Background(), "team 07")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("entries = %d, want 2: %+v", len(got), got)
		}
		l1 := got[0]
		if l1.Level != 1 {
			l1 = got[1]
		}
		if l1.User.Name != "Alice" || l1.User.Email != "alice@example.com" || l1.ScheduleName != "Primary" || l1.EscalationPolicyName != "Team 07" || !l1.End.Equal(now.Add(3*time.Hour)) {
			t.Errorf("level 1 = %+v", l1)
		}
	})
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		name   string
		status int
		// failures is how many answers fail: retried kinds fail every attempt.
		failures int
		want     error
	}{
		{"Unauthorized", 401, 1, domain.ErrUnauthorized},
		{"NotFound", 404, 1, domain.ErrNotFound},
		{"RateLimited", 429, 4, domain.ErrRateLimited},
		{"ServerError", 503, 4, domain.ErrUnavailable},
		{"BadRequest", 400, 1, domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, m := newClient(t, 5*time.Second)
			fake.FailNext(tt.failures, tt.status)
			err := c.Ping(context.Background())
			if !errors.Is(err, tt.want) {
				t.Fatalf("Ping = %v, want kind %v", err, tt.want)
			}
			if got := testutil.ToFloat64(m.PagerDutyCalls.WithLabelValues("ok")); got != 0 {
				t.Errorf("ok calls = %v, want 0", got)
			}
			if err := c.Ping(context.Background()); err != nil {
				t.Errorf("second Ping = %v, want nil", err)
			}
		})
	}
	t.Run("Timeout", func(t *testing.T) {
		c, fake, m := newClient(t, 100*time.Millisecond)
		fake.SetDelay(2 * time.Second)
		err := c.Ping(context.Background())
		if !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("Ping = %v, want ErrUnavailable", err)
		}
		if got := testutil.ToFloat64(m.PagerDutyCalls.WithLabelValues("timeout")); got != 1 {
			t.Errorf("timeout calls = %v, want 1", got)
		}
	})
}
