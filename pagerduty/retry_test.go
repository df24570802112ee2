package pagerduty_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/pagerduty"
)

// calls returns how many attempts m counted with result.
func calls(e *env, result string) int {
	return int(testutil.ToFloat64(e.m.PagerDutyCalls.WithLabelValues(result)))
}

func ms(n ...int) []time.Duration {
	out := make([]time.Duration, len(n))
	for i, v := range n {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	getIncident := func(e *env) error { _, err := e.c.Incident(ctx, "Q1"); return err }
	addNote := func(e *env) error { _, err := e.c.AddNote(ctx, "Q1", alice, "hi"); return err }
	ack := func(e *env) error { _, err := e.c.Acknowledge(ctx, "Q1", alice); return err }
	create := func(e *env) error {
		_, err := e.c.CreateIncident(ctx, domain.NewIncident{ServiceID: "SVC1", Title: "x"}, alice)
		return err
	}
	tests := []struct {
		name         string
		method, path string // where the faults go, and the requests counted
		failures     int
		status       int
		call         func(*env) error
		wantErr      error // nil: the call succeeds
		wantRequests int
		wantWaits    []time.Duration
		wantCounts   map[string]int
	}{
		{
			name: "RateLimitedThenOK", method: "GET", path: "/incidents/Q1", failures: 2, status: 429,
			call: getIncident, wantRequests: 3, wantWaits: ms(1000, 1000), // ratelimit-reset: 1
			wantCounts: map[string]int{"ratelimited": 2, "ok": 1},
		},
		{
			name: "ServerErrorOnGET", method: "GET", path: "/incidents/Q1", failures: 10, status: 500,
			call: getIncident, wantErr: domain.ErrUnavailable, wantRequests: 4, wantWaits: ms(200, 400, 800),
			wantCounts: map[string]int{"server_error": 4, "ok": 0},
		},
		{
			name: "RateLimitedTooLong", method: "GET", path: "/incidents/Q1", failures: 10, status: 429,
			call: getIncident, wantErr: domain.ErrRateLimited, wantRequests: 4, wantWaits: ms(1000, 1000, 1000),
			wantCounts: map[string]int{"ratelimited": 4},
		},
		{
			name: "ServerErrorOnPUT", method: "PUT", path: "/incidents", failures: 1, status: 503,
			call: ack, wantRequests: 2, wantWaits: ms(200),
			wantCounts: map[string]int{"server_error": 1, "ok": 1},
		},
		{
			name: "ServerErrorOnPOSTNote", method: "POST", path: "/incidents/Q1/notes", failures: 1, status: 500,
			call: addNote, wantErr: domain.ErrUnavailable, wantRequests: 1, wantWaits: nil,
			wantCounts: map[string]int{"server_error": 1},
		},
		{
			name: "ServerErrorOnPOSTIncident", method: "POST", path: "/incidents", failures: 1, status: 502,
			call: create, wantErr: domain.ErrUnavailable, wantRequests: 1, wantWaits: nil,
		},
		{
			name: "RateLimitedPOSTNote", method: "POST", path: "/incidents/Q1/notes", failures: 1, status: 429,
			call: addNote, wantRequests: 2, wantWaits: ms(1000),
		},
		{
			name: "NotFoundNotRetried", method: "GET", path: "/incidents/Q1", failures: 1, status: 404,
			call: getIncident, wantErr: domain.ErrNotFound, wantRequests: 1, wantWaits: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := seeded(t)
			e.fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
			e.fake.FailNextMatching(tt.method, tt.path, tt.failures, tt.status)
			err := tt.call(e)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("got %v, want success", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			reqs := e.fake.RequestsTo(tt.method, tt.path)
			if len(reqs) != tt.wantRequests {
				t.Errorf("got %d requests to %s %s, want %d", len(reqs), tt.method, tt.path, tt.wantRequests)
			}
			for _, r := range reqs[1:] {
				if !bytes.Equal(r.Body, reqs[0].Body) || r.From != reqs[0].From {
					t.Errorf("got retry body %q From %q, want %q From %q", r.Body, r.From, reqs[0].Body, reqs[0].From)
				}
			}
			if got := e.Waits(); !slices.Equal(got, tt.wantWaits) {
				t.Errorf("got waits %v, want %v", got, tt.wantWaits)
			}
			for result, want := range tt.wantCounts {
				if got := calls(e, result); got != want {
					t.Errorf("got %d %s attempts, want %d", got, result, want)
				}
			}
		})
	}
}

func TestRetryEffects(t *testing.T) {
	ctx := context.Background()
	t.Run("NoteAddedOnce", func(t *testing.T) {
		e := seeded(t)
		e.fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
		e.fake.FailNextMatching("POST", "/incidents/Q1/notes", 1, 429)
		if _, err := e.c.AddNote(ctx, "Q1", alice, "hi"); err != nil {
			t.Fatal(err)
		}
		if got := len(e.fake.Notes("Q1")); got != 1 {
			t.Errorf("got %d notes, want 1", got)
		}
	})
	t.Run("AcknowledgedAfterRetry", func(t *testing.T) {
		e := seeded(t)
		e.fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
		e.fake.FailNextMatching("PUT", "/incidents", 2, 503)
		if _, err := e.c.Acknowledge(ctx, "Q1", alice); err != nil {
			t.Fatal(err)
		}
		if inc, _ := e.fake.Incident("Q1"); inc.Status != pdfake.StatusAcknowledged {
			t.Errorf("got status %q, want acknowledged", inc.Status)
		}
	})
	t.Run("MaxAttempts", func(t *testing.T) {
		e := newEnv(t, pagerduty.Config{Timeout: 5 * time.Second, MaxAttempts: 2}, pdfake.Options{})
		e.fake.FailNext(10, 500)
		if err := e.c.Ping(ctx); !errors.Is(err, domain.ErrUnavailable) {
			t.Errorf("got %v, want ErrUnavailable", err)
		}
		if got := len(e.fake.Requests()); got != 2 {
			t.Errorf("got %d requests, want 2", got)
		}
	})
}

func TestRetryConnectionErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		call      func(c *pagerduty.Client) error
		wantCalls int
		wantWaits []time.Duration
	}{
		{"GET", func(c *pagerduty.Client) error { _, err := c.Incident(ctx, "Q1"); return err }, 4, ms(200, 400, 800)},
		{"PUT", func(c *pagerduty.Client) error { _, err := c.Resolve(ctx, "Q1", alice); return err }, 4, ms(200, 400, 800)},
		{"POST", func(c *pagerduty.Client) error { _, err := c.AddNote(ctx, "Q1", alice, "hi"); return err }, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := seeded(t)
			e.fake.Close() // connections are refused from now on
			if err := tt.call(e.c); !errors.Is(err, domain.ErrUnavailable) {
				t.Errorf("got %v, want ErrUnavailable", err)
			}
			if got := calls(e, "network_error"); got != tt.wantCalls {
				t.Errorf("got %d network_error attempts, want %d", got, tt.wantCalls)
			}
			if got := e.Waits(); !slices.Equal(got, tt.wantWaits) {
				t.Errorf("got waits %v, want %v", got, tt.wantWaits)
			}
		})
	}
}

func TestRetryDeadline(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration // Config.Timeout
		ctxWait time.Duration // the caller's deadline, 0 for none
	}{
		{"CallerDeadline", 5 * time.Second, 300 * time.Millisecond},
		{"ClientTimeout", 300 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, pagerduty.Config{Timeout: tt.timeout}, pdfake.Options{})
			e.fake.FailNext(10, 429) // ratelimit-reset: 1, past either deadline
			ctx := context.Background()
			if tt.ctxWait > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxWait)
				defer cancel()
			}
			start := time.Now()
			err := e.c.Ping(ctx)
			if took := time.Since(start); took > 250*time.Millisecond {
				t.Errorf("took %v, want an answer at once", took)
			}
			var rl *domain.RateLimitError
			if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
				t.Errorf("got %v, want a RateLimitError asking for 1s", err)
			}
			if got := len(e.fake.Requests()); got != 1 {
				t.Errorf("got %d requests, want 1", got)
			}
			if got := e.Waits(); len(got) != 0 {
				t.Errorf("got waits %v, want none", got)
			}
		})
	}
}

func TestRetryRealSleep(t *testing.T) {
	newReal := func(t *testing.T) (*pagerduty.Client, *pdfake.Server) {
		fake := pdfake.New(pdfake.Options{})
		t.Cleanup(fake.Close)
		return pagerduty.New(pagerduty.Config{Token: fake.Token(), APIURL: fake.URL(), EventsURL: fake.URL(), Now: time.Now}, nil), fake
	}
	t.Run("OK", func(t *testing.T) {
		c, fake := newReal(t)
		fake.FailNext(1, 429)
		start := time.Now()
		if err := c.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		reqs := fake.Requests()
		if len(reqs) != 2 {
			t.Fatalf("got %d requests, want 2", len(reqs))
		}
		if gap := reqs[1].At.Sub(reqs[0].At); gap < 900*time.Millisecond || time.Since(start) > 3*time.Second {
			t.Errorf("got %v between attempts, want ratelimit-reset (1s)", gap)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		c, fake := newReal(t)
		fake.FailNext(10, 429)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err := c.Ping(ctx)
		if !errors.Is(err, context.Canceled) || !errors.Is(err, domain.ErrUnavailable) {
			t.Errorf("got %v, want ErrUnavailable and context.Canceled", err)
		}
		if took := time.Since(start); took > 600*time.Millisecond {
			t.Errorf("took %v, want to stop waiting when cancelled", took)
		}
	})
}
