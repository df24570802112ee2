package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

// t0 is when the test events happened.
var t0 = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// ev is an event of incident inc, minutes after t0.
func ev(id, inc string, minutes int) domain.IncidentEvent {
	return domain.IncidentEvent{ID: id, Type: domain.EventAcknowledged, IncidentID: inc,
		OccurredAt: t0.Add(time.Duration(minutes) * time.Minute), Source: "webhook"}
}

func mustAccept(t *testing.T, db *DB, evs ...domain.IncidentEvent) int {
	t.Helper()
	n, err := db.AcceptEvents(context.Background(), "W1", evs)
	if err != nil {
		t.Fatalf("AcceptEvents: %v", err)
	}
	return n
}

func mustPending(t *testing.T, db *DB) []domain.InboxEvent {
	t.Helper()
	got, err := db.PendingEvents(context.Background(), 0)
	if err != nil {
		t.Fatalf("PendingEvents: %v", err)
	}
	return got
}

// pendingIDs lists the pending events' IDs in order.
func pendingIDs(t *testing.T, db *DB) string {
	t.Helper()
	var ids []string
	for _, e := range mustPending(t, db) {
		ids = append(ids, e.Event.ID)
	}
	return fmt.Sprint(ids)
}

func countEvents(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRow(`SELECT COUNT(*) FROM incident_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAcceptEventsDedupe(t *testing.T) {
	a, b, c := ev("A", "P1", 1), ev("B", "P1", 2), ev("C", "P2", 3)
	tests := []struct {
		name         string
		batches      [][]domain.IncidentEvent
		wantAccepted []int
		wantRows     int
		wantPending  string
	}{
		{"SameBatchTwice", [][]domain.IncidentEvent{{a, b}, {a, b}}, []int{2, 0}, 2, "[A B]"},
		{"Subset", [][]domain.IncidentEvent{{a, b}, {b}}, []int{2, 0}, 2, "[A B]"},
		{"Overlap", [][]domain.IncidentEvent{{a, b}, {b, c}}, []int{2, 1}, 3, "[A B C]"},
		{"RepeatWithinBatch", [][]domain.IncidentEvent{{a, a, b}}, []int{2}, 2, "[A B]"},
		{"ArrivalOrderNotTime", [][]domain.IncidentEvent{{c}, {b, a}}, []int{1, 2}, 3, "[C B A]"},
		{"Empty", [][]domain.IncidentEvent{{}, nil}, []int{0, 0}, 0, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _, _ := openClock(t)
			for i, batch := range tt.batches {
				if got := mustAccept(t, db, batch...); got != tt.wantAccepted[i] {
					t.Errorf("batch %d: accepted %d, want %d", i+1, got, tt.wantAccepted[i])
				}
			}
			if got := countEvents(t, db); got != tt.wantRows {
				t.Errorf("got %d rows, want %d", got, tt.wantRows)
			}
			if got := pendingIDs(t, db); got != tt.wantPending {
				t.Errorf("pending %s, want %s", got, tt.wantPending)
			}
		})
	}
}

func TestAcceptEventsAfterProcessing(t *testing.T) {
	db, _, _ := openClock(t)
	ctx := context.Background()
	mustAccept(t, db, ev("A", "P1", 1))
	p := mustPending(t, db)
	if err := db.MarkEventsDone(ctx, p[0].Seq); err != nil {
		t.Fatal(err)
	}
	if got := mustAccept(t, db, ev("A", "P1", 1)); got != 0 {
		t.Errorf("redelivery of a processed event: accepted %d, want 0", got)
	}
	if got := pendingIDs(t, db); got != "[]" {
		t.Errorf("pending %s, want none", got)
	}
}

func TestAcceptEventsInvalid(t *testing.T) {
	good := ev("A", "P1", 1)
	tests := []struct {
		name string
		mod  func(*domain.IncidentEvent)
	}{
		{"NoID", func(e *domain.IncidentEvent) { e.ID = "" }},
		{"NoType", func(e *domain.IncidentEvent) { e.Type = "" }},
		{"NoIncident", func(e *domain.IncidentEvent) { e.IncidentID = "" }},
		{"NoTime", func(e *domain.IncidentEvent) { e.OccurredAt = time.Time{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _, _ := openClock(t)
			bad := ev("B", "P1", 2)
			tt.mod(&bad)
			n, err := db.AcceptEvents(context.Background(), "W1", []domain.IncidentEvent{good, bad})
			if !errors.Is(err, domain.ErrInvalid) || n != 0 {
				t.Errorf("got %d, %v; want 0, ErrInvalid", n, err)
			}
			if got := countEvents(t, db); got != 0 {
				t.Errorf("got %d rows after a refused batch, want 0", got)
			}
		})
	}
}

func TestPendingEventsPayload(t *testing.T) {
	db, _, clock := openClock(t)
	inc := &domain.Incident{ID: "P1", Number: 7, Title: "API down", ServiceID: "S1", ServiceName: "API",
		Urgency: "high", Status: domain.StatusAcknowledged, Assignees: []domain.Person{{ID: "U1", Name: "Alice"}},
		CreatedAt: t0.Add(-time.Hour), URL: "https://x/incidents/P1", EscalationPolicyID: "EP1", EscalationPolicyName: "Ops"}
	want := domain.IncidentEvent{ID: "E1", Type: domain.EventAcknowledged, IncidentID: "P1",
		OccurredAt: t0.Add(1500 * time.Millisecond), Agent: domain.Person{ID: "U1", Name: "Alice"},
		Incident: inc, Source: "webhook"}
	note := domain.IncidentEvent{ID: "E2", Type: domain.EventAnnotated, IncidentID: "P1", OccurredAt: t0,
		Note: "rebooting", Source: "poller"}
	mustAccept(t, db, want, note)
	got := mustPending(t, db)
	if len(got) != 2 {
		t.Fatalf("got %d pending, want 2", len(got))
	}
	gotEv, wantEv := got[0].Event, want
	gotEv.Incident, wantEv.Incident = nil, nil // compared below
	if fmt.Sprint(gotEv) != fmt.Sprint(wantEv) || !gotEv.OccurredAt.Equal(wantEv.OccurredAt) {
		t.Errorf("got  %+v\nwant %+v", gotEv, wantEv)
	}
	if g := got[0].Event.Incident; g == nil || fmt.Sprint(*g) != fmt.Sprint(*inc) {
		t.Errorf("got incident %+v, want %+v", g, inc)
	}
	if got[1].Event.Note != "rebooting" || got[1].Event.Incident != nil || got[1].Event.Source != "poller" {
		t.Errorf("got %+v, want the note without incident, from the poller", got[1].Event)
	}
	if !got[0].ReceivedAt.Equal(clock.Now()) || got[0].Attempts != 0 || got[0].Seq >= got[1].Seq {
		t.Errorf("got received %v attempts %d seqs %d,%d; want %v, 0, increasing",
			got[0].ReceivedAt, got[0].Attempts, got[0].Seq, got[1].Seq, clock.Now())
	}
}

func TestPendingEventsLimit(t *testing.T) {
	db, _, _ := openClock(t)
	for i := range 5 {
		mustAccept(t, db, ev(fmt.Sprint("E", i), "P1", i))
	}
	got, err := db.PendingEvents(context.Background(), 2)
	if err != nil || len(got) != 2 || got[0].Event.ID != "E0" || got[1].Event.ID != "E1" {
		t.Errorf("got %+v, %v; want E0, E1", got, err)
	}
}

func TestMarkEventFailed(t *testing.T) {
	db, _, clock := openClock(t)
	ctx := context.Background()
	mustAccept(t, db, ev("A1", "PA", 1), ev("B1", "PB", 2), ev("A2", "PA", 3), ev("C1", "PC", 4))
	p := mustPending(t, db)
	if err := db.MarkEventFailed(ctx, p[0].Seq, clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A1 waits, and A2 behind it; other incidents go on.
	if got, want := pendingIDs(t, db), "[B1 C1]"; got != want {
		t.Errorf("while A1 waits: pending %s, want %s", got, want)
	}
	clock.Advance(time.Minute)
	got := mustPending(t, db)
	if len(got) != 4 {
		t.Fatalf("after retryAt: got %d pending, want 4", len(got))
	}
	if ids := got[0].Event.ID + " " + got[1].Event.ID; ids != "A1 B1" || got[0].Attempts != 1 {
		t.Errorf("after retryAt: pending starts %s with %d attempts; want A1 B1, 1 attempt", ids, got[0].Attempts)
	}
	if err := db.MarkEventFailed(ctx, p[0].Seq, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got := mustPending(t, db); got[0].Attempts != 2 {
		t.Errorf("got %d attempts, want 2", got[0].Attempts)
	}
	for _, seq := range []int64{p[0].Seq, p[1].Seq} {
		if err := db.MarkEventsDone(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := pendingIDs(t, db), "[A2 C1]"; got != want {
		t.Errorf("after done: pending %s, want %s", got, want)
	}
	if err := db.MarkEventsDone(ctx, p[0].Seq); err != nil {
		t.Errorf("marking done twice: %v, want nil", err)
	}
}

func TestMarkEventUnknown(t *testing.T) {
	db, _, _ := openClock(t)
	ctx := context.Background()
	if err := db.MarkEventsDone(ctx, 42); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MarkEventDone: got %v, want ErrNotFound", err)
	}
	if err := db.MarkEventFailed(ctx, 42, time.Now()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MarkEventFailed: got %v, want ErrNotFound", err)
	}
}

func TestMarkEventsDoneTogether(t *testing.T) {
	db, _, _ := openClock(t)
	ctx := context.Background()
	mustAccept(t, db, ev("A", "P1", 1), ev("B", "P1", 2), ev("C", "P2", 3), ev("D", "P3", 4))
	p := mustPending(t, db)
	if err := db.MarkEventsDone(ctx, p[0].Seq, p[2].Seq, p[0].Seq); err != nil {
		t.Fatalf("A, C and A again: %v", err)
	}
	if got, want := pendingIDs(t, db), "[B D]"; got != want {
		t.Errorf("after marking A and C: pending %s, want %s", got, want)
	}
	err := db.MarkEventsDone(ctx, p[1].Seq, 4242)
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("B and an unknown seq: got %v, want ErrNotFound", err)
	}
	if got, want := pendingIDs(t, db), "[D]"; got != want {
		t.Errorf("the known one is marked anyway: pending %s, want %s", got, want)
	}
	if err := db.MarkEventsDone(ctx); err != nil {
		t.Errorf("no seqs: got %v, want nil", err)
	}
}

func TestInboxSurvivesRestart(t *testing.T) {
	db, path, clock := openClock(t)
	ctx := context.Background()
	mustAccept(t, db, ev("A", "P1", 1), ev("B", "P1", 2), ev("C", "P2", 3))
	p := mustPending(t, db)
	if err := db.MarkEventsDone(ctx, p[0].Seq); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkEventFailed(ctx, p[2].Seq, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCursor(ctx, "poller", "2026-11-21T09:03:00Z"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db2, err := Open(ctx, path, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	got := mustPending(t, db2)
	if len(got) != 2 || got[0].Event.ID != "B" || got[1].Event.ID != "C" || got[1].Attempts != 1 {
		t.Errorf("after reopen got %+v; want B, then C with 1 attempt", got)
	}
	if n := mustAccept(t, db2, ev("A", "P1", 1), ev("C", "P2", 3)); n != 0 {
		t.Errorf("redelivery after reopen: accepted %d, want 0", n)
	}
	if c, err := db2.Cursor(ctx, "poller"); err != nil || c != "2026-11-21T09:03:00Z" {
		t.Errorf("cursor after reopen = %q, %v; want the saved one", c, err)
	}
}

func TestLatestOccurred(t *testing.T) {
	db, _, _ := openClock(t)
	ctx := context.Background()
	mustAccept(t, db, ev("A", "P1", 5), ev("B", "P1", 2), ev("C", "P1", 9), ev("D", "P2", 20))
	p := mustPending(t, db)
	check := func(step, inc string, want time.Time) {
		t.Helper()
		got, err := db.LatestOccurred(ctx, inc)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: LatestOccurred(%s) = %v, %v; want %v", step, inc, got, err, want)
		}
	}
	check("nothing processed", "P1", time.Time{})
	for _, i := range []int{0, 1, 3} { // A, B, D; C (the newest of P1) still pending
		if err := db.MarkEventsDone(ctx, p[i].Seq); err != nil {
			t.Fatal(err)
		}
	}
	check("A and B processed", "P1", t0.Add(5*time.Minute))
	check("other incident", "P2", t0.Add(20*time.Minute))
	check("unknown incident", "P9", time.Time{})
	if err := db.MarkEventsDone(ctx, p[2].Seq); err != nil {
		t.Fatal(err)
	}
	check("all processed", "P1", t0.Add(9*time.Minute))
}

func TestForgetEventsBefore(t *testing.T) {
	db, _, clock := openClock(t)
	ctx := context.Background()
	mustAccept(t, db, ev("A", "P1", 1), ev("B", "P1", 2), ev("C", "P1", 3))
	p := mustPending(t, db)
	if err := db.MarkEventsDone(ctx, p[0].Seq); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if err := db.MarkEventsDone(ctx, p[1].Seq); err != nil {
		t.Fatal(err)
	}
	n, err := db.ForgetEventsBefore(ctx, clock.Now().Add(-time.Minute))
	if err != nil || n != 1 {
		t.Errorf("got %d, %v; want 1 (A) forgotten", n, err)
	}
	if got := countEvents(t, db); got != 2 {
		t.Errorf("got %d rows, want 2 (B processed recently, C pending)", got)
	}
	if got := pendingIDs(t, db); got != "[C]" {
		t.Errorf("pending %s, want [C]", got)
	}
	// A forgotten event is new again.
	if got := mustAccept(t, db, ev("A", "P1", 1)); got != 1 {
		t.Errorf("accepted %d after forgetting, want 1", got)
	}
}

func TestCursor(t *testing.T) {
	db, _, _ := openClock(t)
	ctx := context.Background()
	steps := []struct {
		set  string // "" = read only
		want string
	}{
		{"", ""},
		{"2026-11-21T09:00:00Z", "2026-11-21T09:00:00Z"},
		{"2026-11-21T09:05:00.5Z", "2026-11-21T09:05:00.5Z"},
	}
	for i, s := range steps {
		if s.set != "" {
			if err := db.SetCursor(ctx, "pd", s.set); err != nil {
				t.Fatalf("step %d: SetCursor: %v", i, err)
			}
		}
		if got, err := db.Cursor(ctx, "pd"); err != nil || got != s.want {
			t.Errorf("step %d: Cursor = %q, %v; want %q", i, got, err, s.want)
		}
	}
	if got, err := db.Cursor(ctx, "other"); err != nil || got != "" {
		t.Errorf("unset cursor = %q, %v; want empty", got, err)
	}
	if err := db.SetCursor(ctx, "", "x"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("empty name: got %v, want ErrInvalid", err)
	}
}

// TestAcceptEventsConcurrently has many deliveries at once, overlapping
// and repeated, as a storm sends them and as they are grouped into shared
// writes: every event is stored once, and the callers' counts of new
// events add up to the distinct events.
func TestAcceptEventsConcurrently(t *testing.T) {
	db, _, _ := openClock(t)
	const senders, perSender = 24, 40
	ctx := context.Background()
	counts := make([]int, senders)
	errs := make([]error, senders)
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			// Senders s and s+1 share half their events, and every sender
			// delivers its batch twice.
			var evs []domain.IncidentEvent
			for i := range perSender {
				n := s*perSender/2 + i
				evs = append(evs, ev(fmt.Sprintf("E%05d", n), fmt.Sprintf("P%d", n%7), n))
			}
			for range 2 {
				n, err := db.AcceptEvents(ctx, fmt.Sprintf("W%d", s), evs)
				counts[s] += n
				if err != nil {
					errs[s] = err
				}
			}
		})
	}
	wg.Wait()
	for s, err := range errs {
		if err != nil {
			t.Fatalf("sender %d: %v", s, err)
		}
	}
	distinct := (senders-1)*perSender/2 + perSender
	total := 0
	for _, n := range counts {
		total += n
	}
	if got := countEvents(t, db); got != distinct {
		t.Errorf("stored %d events, want %d", got, distinct)
	}
	if total != distinct {
		t.Errorf("callers counted %d new events, want %d", total, distinct)
	}
}

// TestAcceptEventsGroupedKeepArrivalOrder queues deliveries behind a write
// under way, so that they are written as one group: each keeps its
// events' order, the group keeps the deliveries' order, and a repeated
// event counts for the first delivery only.
func TestAcceptEventsGroupedKeepArrivalOrder(t *testing.T) {
	db, _, _ := openClock(t)
	ctx := context.Background()
	// Pretend a write is under way, so that deliveries queue.
	db.inbox.setRunning()
	batches := [][]domain.IncidentEvent{
		{ev("Z", "P1", 1), ev("B", "P1", 2)},
		{ev("Y", "P2", 1)},
		{ev("B", "P1", 2), ev("A", "P1", 3)},
	}
	got := make([]chan int, len(batches))
	for i, batch := range batches {
		got[i] = make(chan int, 1)
		go func() {
			n, err := db.AcceptEvents(ctx, "W", batch)
			if err != nil {
				t.Error(err)
			}
			got[i] <- n
		}()
		waitQueued(t, &db.inbox, i+1)
	}
	// The pretend write ends; the next delivery writes everything queued.
	db.inbox.mu.Lock()
	db.inbox.running = false
	db.inbox.mu.Unlock()
	if n := mustAccept(t, db, ev("X", "P3", 1)); n != 1 {
		t.Errorf("last delivery accepted %d, want 1", n)
	}
	for i, want := range []int{2, 1, 1} {
		if n := <-got[i]; n != want {
			t.Errorf("delivery %d accepted %d, want %d", i+1, n, want)
		}
	}
	if got, want := pendingIDs(t, db), "[Z B Y A X]"; got != want {
		t.Errorf("pending %s, want %s", got, want)
	}
}
