package poller_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/poller"
)

// stubSource answers each poll with the next canned batch and records the
// since asked for.
type stubSource struct {
	mu      sync.Mutex
	batches [][]domain.IncidentEvent
	sinces  []time.Time
}

func (s *stubSource) LogEntriesSince(_ context.Context, since time.Time) ([]domain.IncidentEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sinces = append(s.sinces, since)
	if len(s.batches) == 0 {
		return nil, nil
	}
	b := s.batches[0]
	s.batches = s.batches[1:]
	return b, nil
}

func (s *stubSource) polls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sinces)
}

func event(id, typ string, at time.Time) domain.IncidentEvent {
	return domain.IncidentEvent{ID: id, Type: typ, IncidentID: "Q1", OccurredAt: at, Source: "poller"}
}

func TestCursorSemantics(t *testing.T) {
	minute := func(n int) time.Time { return start.Add(time.Duration(n) * time.Minute) }
	tests := []struct {
		name       string
		cursor     string // saved before the poll; "" for none
		batch      []domain.IncidentEvent
		wantSince  time.Time
		wantCursor string
		wantStored int
	}{
		{"FirstPollNothing", "", nil, minute(-5), "2026-03-10T11:55:00Z", 0},
		{"FirstPollEvents", "", []domain.IncidentEvent{event("R1", domain.EventTriggered, minute(-2))},
			minute(-5), "2026-03-10T11:58:00Z", 1},
		{"FromCursor", "2026-03-10T11:59:00Z", []domain.IncidentEvent{event("R1", domain.EventTriggered, minute(-1))},
			minute(-2), "2026-03-10T11:59:00Z", 1},
		{"AdvancesToNewest", "2026-03-10T11:59:00Z", []domain.IncidentEvent{
			event("R2", domain.EventAcknowledged, start.Add(-30*time.Second)),
			event("R1", domain.EventTriggered, minute(-1)),
		}, minute(-2), "2026-03-10T11:59:30Z", 2},
		{"NeverBackwards", "2026-03-10T11:59:30.5Z", []domain.IncidentEvent{event("R1", domain.EventTriggered, minute(-1))},
			start.Add(-90*time.Second + 500*time.Millisecond), "2026-03-10T11:59:30.5Z", 1},
		{"FloorAfterQuiet", "2026-03-10T10:00:00Z", nil, minute(-121), "2026-03-10T11:55:00Z", 0},
		{"IgnoredTypesMoveCursorOnly", "2026-03-10T11:59:00Z", []domain.IncidentEvent{
			event("R1", "incident.workflow.started", start),
		}, minute(-2), "2026-03-10T12:00:00Z", 0},
		{"UnreadableCursor", "yesterday", nil, minute(-5), "2026-03-10T11:55:00Z", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			if tt.cursor != "" {
				if err := e.db.SetCursor(ctx, poller.CursorName, tt.cursor); err != nil {
					t.Fatal(err)
				}
			}
			src := &stubSource{batches: [][]domain.IncidentEvent{tt.batch}}
			mustPoll(t, e.poller(src, nil))
			if got := src.sinces[0]; !got.Equal(tt.wantSince) {
				t.Errorf("since = %v, want %v", got, tt.wantSince)
			}
			if got := e.cursor(t); got != tt.wantCursor {
				t.Errorf("cursor = %q, want %q", got, tt.wantCursor)
			}
			if got := len(e.inbox(t)); got != tt.wantStored {
				t.Errorf("stored %d events, want %d", got, tt.wantStored)
			}
			wantNotify := int32(0)
			if tt.wantStored > 0 {
				wantNotify = 1
			}
			if got := e.notified.Load(); got != wantNotify {
				t.Errorf("notified %d times, want %d", got, wantNotify)
			}
		})
	}
}

func TestRun(t *testing.T) {
	t.Run("Disabled", func(t *testing.T) {
		src := &stubSource{}
		p := poller.New(src, nil, 0, time.Now, nil, zerolog.Nop())
		done := make(chan error, 1)
		go func() { done <- p.Run(context.Background()) }()
		select {
		case err := <-done:
			if err != nil || src.polls() != 0 {
				t.Errorf("got %v after %d polls, want nil at once", err, src.polls())
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run with interval 0 did not return")
		}
	})
	t.Run("PollsUntilCancelled", func(t *testing.T) {
		e := newEnv(t)
		src := &stubSource{}
		p := poller.New(src, e.db, 10*time.Millisecond, e.clock.Now, nil, zerolog.Nop())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		deadline := time.Now().Add(5 * time.Second)
		for src.polls() < 3 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil || src.polls() < 3 {
			t.Errorf("got %v after %d polls, want nil after at least 3", err, src.polls())
		}
	})
}
