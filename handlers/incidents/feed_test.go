package incidents

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/storage"
)

// recordingInbox is a real SQLite inbox that writes down, in order, how
// the feed marks its events.
type recordingInbox struct {
	*storage.DB
	ids   map[int64]string
	calls []string
}

func (r *recordingInbox) MarkEventsDone(ctx context.Context, seqs ...int64) error {
	var ids []string
	for _, s := range seqs {
		ids = append(ids, r.ids[s])
	}
	r.calls = append(r.calls, "done "+strings.Join(ids, " "))
	return r.DB.MarkEventsDone(ctx, seqs...)
}

func (r *recordingInbox) MarkEventFailed(ctx context.Context, seq int64, retryAt time.Time) error {
	r.calls = append(r.calls, "failed "+r.ids[seq])
	return r.DB.MarkEventFailed(ctx, seq, retryAt)
}

// startedRunbooks is a runbook whose every incident has actions; it
// records the incidents it was started for.
type startedRunbooks struct{ started []string }

func (r *startedRunbooks) CardBlockFor(domain.Incident) slack.Block { return nil }
func (r *startedRunbooks) HasActions(domain.Incident) bool          { return true }
func (r *startedRunbooks) Triggered(inc domain.Incident)            { r.started = append(r.started, inc.ID) }

// failingHook fails the events it names.
type failingHook map[string]bool

func (h failingHook) FeedEvent(_ context.Context, ev domain.IncidentEvent) error {
	if h[ev.ID] {
		return fmt.Errorf("hook refuses %s", ev.ID)
	}
	return nil
}

// TestFeedMarksEventsTogether checks when the feed records its events as
// processed: together at the end of a batch (one statement, not one per
// event), but at once after an event that started a runbook (which a
// crash must not start twice), and before a failure (which releases the
// claims on the incident's events).
func TestFeedMarksEventsTogether(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "toban.db"), storage.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	event := func(id, typ, incident string) domain.IncidentEvent {
		return domain.IncidentEvent{ID: id, Type: typ, IncidentID: incident, Source: "webhook",
			OccurredAt: now.Add(-time.Minute),
			Incident:   &domain.Incident{ID: incident, Status: domain.StatusTriggered, ServiceID: "PSVC", ServiceName: "API"}}
	}
	// P1 has a card, so its trigger starts the runbook; no service has
	// subscriptions, so nothing is posted.
	if err := db.SaveCard(ctx, domain.Card{IncidentID: "P1", ChannelID: "C1", TS: "1700000000.000100"}); err != nil {
		t.Fatal(err)
	}
	evs := []domain.IncidentEvent{
		event("E1", domain.EventAcknowledged, "P2"),
		event("E2", domain.EventAcknowledged, "P3"),
		event("E3", domain.EventTriggered, "P1"),
		event("E4", domain.EventAcknowledged, "P4"),
		event("E5", domain.EventAcknowledged, "P5"),
		event("E6", domain.EventAcknowledged, "P6"),
	}
	if _, err := db.AcceptEvents(ctx, "W1", evs); err != nil {
		t.Fatal(err)
	}
	pending, err := db.PendingEvents(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	inbox := &recordingInbox{DB: db, ids: map[int64]string{}}
	for _, p := range pending {
		inbox.ids[p.Seq] = p.Event.ID
	}
	runbooks := &startedRunbooks{}
	a := &Feature{Store: db, Feed: db, Runbook: runbooks, EventHooks: []EventHook{failingHook{"E5": true}},
		Now: clock, Log: zerolog.Nop()}

	if more := a.drainInbox(ctx, inbox); more {
		t.Errorf("drainInbox says more may be waiting after %d of at most 100 events", len(evs))
	}
	want := []string{"done E1 E2 E3", "done E4", "failed E5", "done E6"}
	if !slices.Equal(inbox.calls, want) {
		t.Errorf("inbox calls:\n got %q\nwant %q", inbox.calls, want)
	}
	if got, want := runbooks.started, []string{"P1"}; !slices.Equal(got, want) {
		t.Errorf("runbooks started for %v, want %v", got, want)
	}
	if left, err := db.PendingEvents(ctx, 0); err != nil || len(left) != 0 {
		t.Errorf("pending now: %d events, %v; want none (E5 waits for its retry)", len(left), err)
	}
	now = now.Add(time.Hour)
	left, err := db.PendingEvents(ctx, 0)
	if err != nil || len(left) != 1 || left[0].Event.ID != "E5" || left[0].Attempts != 1 {
		t.Errorf("pending after the retry time: %+v, %v; want E5 after 1 attempt", left, err)
	}
}

// TestFeedKeepsEventsWhenMarkingFails checks that events the inbox could
// not mark stay pending, to be processed again, and are logged.
func TestFeedKeepsEventsWhenMarkingFails(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "toban.db"), storage.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ev := domain.IncidentEvent{ID: "E1", Type: "incident.custom_field_values.updated", IncidentID: "P1",
		Source: "webhook", OccurredAt: now}
	if _, err := db.AcceptEvents(ctx, "W1", []domain.IncidentEvent{ev}); err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	a := &Feature{Store: db, Feed: db, Now: func() time.Time { return now }, Log: zerolog.New(&logged)}
	a.drainInbox(ctx, unmarkable{db})
	if !strings.Contains(logged.String(), "events processed but not marked") {
		t.Errorf("log %q does not say the events were not marked", logged.String())
	}
	if left, err := db.PendingEvents(ctx, 0); err != nil || len(left) != 1 {
		t.Errorf("pending: %d events, %v; want E1 still pending", len(left), err)
	}
}

// unmarkable is an inbox whose marks fail, as when the database is gone.
type unmarkable struct{ *storage.DB }

func (unmarkable) MarkEventsDone(context.Context, ...int64) error {
	return errors.New("database unavailable")
}
