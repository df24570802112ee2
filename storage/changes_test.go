package storage

import (
	"context"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/internal/pgtest"
	"github.com/tobanbot/toban/scheduler"
)

// changeDeadline is how soon another replica must hear of a change.
const changeDeadline = 2 * time.Second

func waitChange(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
	case <-time.After(changeDeadline):
		t.Fatalf("%s: no notification within %v", what, changeDeadline)
	}
}

func noChange(t *testing.T, ch <-chan struct{}, within time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s: unexpected notification", what)
	case <-time.After(within):
	}
}

func TestChangesReachOtherReplica(t *testing.T) {
	ctx := t.Context()
	dbs := openReplicas(t, 2)
	a, b := dbs[0], dbs[1]
	tasks, err := b.Changes(ctx, "tasks")
	if err != nil {
		t.Fatal(err)
	}
	reports, err := b.Changes(ctx, "reports")
	if err != nil {
		t.Fatal(err)
	}

	for range 3 {
		if err := a.NotifyChanged(ctx, "tasks"); err != nil {
			t.Fatal(err)
		}
		waitChange(t, tasks, "tasks")
	}
	noChange(t, reports, 2*changePoll, "reports after a tasks change")

	// A burst coalesces into at most a couple of wake-ups, never a queue.
	for range 20 {
		if err := a.NotifyChanged(ctx, "reports"); err != nil {
			t.Fatal(err)
		}
	}
	waitChange(t, reports, "reports burst")
	got := 0
	deadline := time.After(3 * changePoll)
drain:
	for {
		select {
		case <-reports:
			got++
		case <-deadline:
			break drain
		}
	}
	if got > 2 {
		t.Errorf("wake-ups after the first of a burst of 20 = %d, want at most 2", got)
	}
}

func TestChangesChannelClosesWithContext(t *testing.T) {
	db := openReplicas(t, 1)[0]
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := db.Changes(ctx, "tasks")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			// A value may have raced the cancel; the close must follow.
			if _, ok = <-ch; ok {
				t.Fatal("channel still open after cancel")
			}
		}
	case <-time.After(changeDeadline):
		t.Fatal("channel not closed after cancel")
	}
	// Closing the database closes the others too.
	other, err := db.Changes(t.Context(), "tasks")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	select {
	case <-other:
	case <-time.After(changeDeadline):
		t.Fatal("channel not closed by Close")
	}
	if _, err := db.Changes(t.Context(), "tasks"); err == nil {
		t.Error("Changes on a closed DB: err = nil")
	}
}

// TestChangesSurviveListenerLoss kills PostgreSQL's LISTEN session, as a
// failover would: the listener reconnects and no change is missed.
func TestChangesSurviveListenerLoss(t *testing.T) {
	if pgtest.Backend() != "postgres" {
		t.Skip("tests PostgreSQL's LISTEN connection")
	}
	ctx := t.Context()
	dbs := openReplicas(t, 2)
	a, b := dbs[0], dbs[1]
	ch, err := b.Changes(ctx, "tasks")
	if err != nil {
		t.Fatal(err)
	}
	var killed int
	if err := a.sql.QueryRowContext(ctx,
		`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		 WHERE datname = current_database() AND query = $1`, "LISTEN "+changesChannel).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listeners, want 1", killed)
	}
	// Sent while the listener is down or reconnecting: heard anyway.
	if err := a.NotifyChanged(ctx, "tasks"); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "after the listener was killed")
	// And the reconnected listener hears later changes too.
	drainFor(ch, 300*time.Millisecond)
	if err := a.NotifyChanged(ctx, "tasks"); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "after reconnecting")
}

func drainFor(ch <-chan struct{}, d time.Duration) {
	deadline := time.After(d)
	for {
		select {
		case <-ch:
		case <-deadline:
			return
		}
	}
}

// Every write to the tasks table announces itself on TopicTasks in its
// own transaction, so the other replicas' schedulers re-arm within 2 s
// whatever wrote the task: a modal, the list's buttons, a calendar sync or
// an import.
func TestTaskWritesNotifyOtherReplica(t *testing.T) {
	ctx := t.Context()
	dbs := openReplicas(t, 2)
	a, b := dbs[0], dbs[1]
	ch, err := b.Changes(ctx, TopicTasks)
	if err != nil {
		t.Fatal(err)
	}
	task, err := a.SaveTask(ctx, validTask("Check backups"))
	if err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "save")
	if err := a.SetTaskPaused(ctx, task.ID, true); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "pause")
	if err := a.ImportTasks(ctx, []domain.Task{validTask("Rotate keys")}); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "import")
	if err := a.DeleteTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "delete")
	// A refused write announces nothing.
	if err := a.DeleteTask(ctx, task.ID); err == nil {
		t.Fatal("deleting a deleted task succeeded")
	}
	noChange(t, ch, 3*changePoll, "refused delete")
}

// Saving or deleting a scheduled report announces TopicReports, so every
// replica's report engine learns of it.
func TestReportScheduleWritesNotifyOtherReplica(t *testing.T) {
	ctx := t.Context()
	dbs := openReplicas(t, 2)
	a, b := dbs[0], dbs[1]
	ch, err := b.Changes(ctx, TopicReports)
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.SaveReportSchedule(ctx, domain.ReportSchedule{ChannelID: "C1", Period: "last-week", Rule: mustRule("weekly;at=09:00;days=mon;tz=Asia/Tokyo")})
	if err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "save")
	if err := a.DeleteReportSchedule(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "delete")
	if _, err := a.SaveReportSchedule(ctx, domain.ReportSchedule{ChannelID: "C1", Period: "yesterday", Rule: scheduler.Rule{Kind: "x"}}); err == nil {
		t.Fatal("a report of an unknown period was saved")
	}
	noChange(t, ch, 3*changePoll, "refused save")
}
