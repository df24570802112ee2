package icsfeed

import (
	"context"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
)

// recordingScheduler records what Sync tells the engine.
type recordingScheduler struct {
	mu      sync.Mutex
	upserts map[string]scheduler.Task
	removed []string
}

func (r *recordingScheduler) Upsert(t scheduler.Task) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.upserts[t.ID] = t
}

func (r *recordingScheduler) Remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removed = append(r.removed, id)
}

func (r *recordingScheduler) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.upserts, r.removed = map[string]scheduler.Task{}, nil
}

func syncWorld(t *testing.T) (*storage.DB, domain.Calendar, *recordingScheduler) {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "toban.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cal, err := db.AddCalendar(ctx, domain.Calendar{ChannelID: "C1", URL: "https://calendar.example.com/secret.ics",
		GraceMinutes: 30, Escalation: domain.EscalateOnCall, EscalationTargetID: "PS1", EscalationTargetName: "Primary", CreatedBy: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	return db, cal, &recordingScheduler{upserts: map[string]scheduler.Task{}}
}

// taskLines renders the calendar's tasks as "external ID: title @ rule".
func taskLines(t *testing.T, db *storage.DB, cal domain.Calendar) string {
	t.Helper()
	tasks, err := db.CalendarTasks(context.Background(), cal.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, task := range tasks {
		lines = append(lines, task.ExternalID+": "+task.Title+" @ "+task.Rule.Encode())
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestSync(t *testing.T) {
	ctx := context.Background()
	db, cal, sch := syncWorld(t)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, tokyo)
	at := func(day, hour, min int) time.Time { return time.Date(2026, 3, day, hour, min, 0, 0, tokyo) }
	instances := []Instance{
		{Key: "backup/1", Summary: "Check backups", Description: "Runbook: https://wiki.example.com/b", Start: at(2, 9, 0)},
		{Key: "backup/2", Summary: "Check backups", Start: at(3, 9, 0)},
		{Key: "maint", Summary: "Customer maintenance", Location: "Room 4", URL: "https://example.com/m", Start: at(4, 14, 30)},
	}
	res, err := Sync(ctx, db, sch, cal, instances, now)
	if err != nil || res != (SyncResult{Created: 3, Upcoming: 3}) {
		t.Fatalf("first sync = %+v, %v; want 3 created", res, err)
	}
	want := strings.Join([]string{
		"backup/1: Check backups @ once;date=2026-03-02;at=09:00;tz=Asia/Tokyo",
		"backup/2: Check backups @ once;date=2026-03-03;at=09:00;tz=Asia/Tokyo",
		"maint: Customer maintenance @ once;date=2026-03-04;at=14:30;tz=Asia/Tokyo",
	}, "\n")
	if got := taskLines(t, db, cal); got != want {
		t.Errorf("tasks:\n%s\nwant:\n%s", got, want)
	}
	maint, err := db.TaskByExternalID(ctx, cal.Source(), "maint")
	if err != nil {
		t.Fatal(err)
	}
	if maint.ChannelID != "C1" || maint.GraceMinutes != 30 || maint.Escalation != domain.EscalateOnCall ||
		maint.EscalationTargetID != "PS1" || maint.CreatedBy != "U1" || maint.Description != "📍 Room 4\n🔗 https://example.com/m" {
		t.Errorf("task = %+v; want the calendar's settings and the location and link as description", maint)
	}
	if len(sch.upserts) != 3 || sch.upserts[maint.ID].Rule.Date != "2026-03-04" {
		t.Errorf("scheduler got %+v, want the 3 tasks", sch.upserts)
	}

	t.Run("UnchangedChangesNothing", func(t *testing.T) {
		sch.reset()
		res, err := Sync(ctx, db, sch, cal, instances, now)
		if err != nil || res != (SyncResult{Upcoming: 3}) || len(sch.upserts) != 0 || len(sch.removed) != 0 {
			t.Errorf("sync = %+v, %v, scheduler %+v %v; want no change", res, err, sch.upserts, sch.removed)
		}
	})

	t.Run("MovedRenamedCancelled", func(t *testing.T) {
		sch.reset()
		if err := db.SetTaskPaused(ctx, maint.ID, true); err != nil {
			t.Fatal(err)
		}
		changed := []Instance{
			{Key: "backup/1", Summary: "Check backups", Description: "Runbook: https://wiki.example.com/b", Start: at(2, 9, 0)},
			// backup/2 was cancelled.
			{Key: "maint", Summary: "Customer maintenance (moved)", Location: "Room 4", URL: "https://example.com/m", Start: at(5, 10, 0)},
			{Key: "new", Summary: "New event", Start: at(6, 9, 0)},
		}
		res, err := Sync(ctx, db, sch, cal, changed, now)
		if err != nil || res != (SyncResult{Created: 1, Updated: 1, Deleted: 1, Upcoming: 3}) {
			t.Fatalf("sync = %+v, %v; want 1 created, 1 updated, 1 deleted", res, err)
		}
		want := strings.Join([]string{
			"backup/1: Check backups @ once;date=2026-03-02;at=09:00;tz=Asia/Tokyo",
			"maint: Customer maintenance (moved) @ once;date=2026-03-05;at=10:00;tz=Asia/Tokyo",
			"new: New event @ once;date=2026-03-06;at=09:00;tz=Asia/Tokyo",
		}, "\n")
		if got := taskLines(t, db, cal); got != want {
			t.Errorf("tasks:\n%s\nwant:\n%s", got, want)
		}
		moved, _ := db.Task(ctx, maint.ID)
		if !moved.Paused || sch.upserts[maint.ID].Rule.Date != "2026-03-05" || !sch.upserts[maint.ID].Paused {
			t.Errorf("moved task paused=%v, scheduler %+v; want it still paused and rescheduled", moved.Paused, sch.upserts[maint.ID])
		}
		if len(sch.removed) != 1 {
			t.Errorf("removed %v, want the cancelled task", sch.removed)
		}
	})

	t.Run("PastTasksAreHistory", func(t *testing.T) {
		sch.reset()
		later := at(2, 9, 30) // backup/1 has fired
		res, err := Sync(ctx, db, sch, cal, nil, later)
		if err != nil || res.Deleted != 2 {
			t.Fatalf("sync = %+v, %v; want the two future tasks deleted", res, err)
		}
		if got, want := taskLines(t, db, cal), "backup/1: Check backups @ once;date=2026-03-02;at=09:00;tz=Asia/Tokyo"; got != want {
			t.Errorf("tasks = %s, want only the one already due", got)
		}
	})

	t.Run("CalendarSettingsReachItsTasks", func(t *testing.T) {
		cal := cal
		cal.GraceMinutes, cal.Escalation, cal.EscalationTargetID, cal.EscalationTargetName = 5, domain.EscalateNone, "", ""
		next := []Instance{{Key: "new", Summary: "New event", Start: at(6, 9, 0)}}
		if _, err := Sync(ctx, db, sch, cal, next, now); err != nil {
			t.Fatal(err)
		}
		task, err := db.TaskByExternalID(ctx, cal.Source(), "new")
		if err != nil || task.GraceMinutes != 5 || task.Escalation != domain.EscalateNone {
			t.Errorf("task = %+v, %v; want grace 5 and no escalation", task, err)
		}
	})
}

func TestTaskFor(t *testing.T) {
	cal := domain.Calendar{ID: "cal_x", ChannelID: "C1", GraceMinutes: 15}
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		name      string
		in        Instance
		wantTitle string
		wantRule  string
	}{
		{"Plain", Instance{Key: "a", Summary: "Check", Start: time.Date(2026, 3, 9, 9, 0, 0, 0, ny)}, "Check", "once;date=2026-03-09;at=09:00;tz=America/New_York"},
		{"Untitled", Instance{Key: "a", Start: time.Date(2026, 3, 9, 9, 0, 0, 0, ny)}, "(untitled event)", "once;date=2026-03-09;at=09:00;tz=America/New_York"},
		{"LongTitle", Instance{Key: "a", Summary: strings.Repeat("é", 300), Start: time.Date(2026, 3, 9, 9, 0, 0, 0, ny)},
			strings.Repeat("é", domain.MaxTaskTitle-1) + "…", "once;date=2026-03-09;at=09:00;tz=America/New_York"},
		// 01:30 EST on 1 November happens after 01:30 EDT; a rule in New
		// York would mean the first, so the task's rule is in UTC.
		{"SecondOfARepeatedHour", Instance{Key: "a", Summary: "Late", Start: time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC).In(ny)}, "Late", "once;date=2026-11-01;at=06:30;tz=UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := TaskFor(cal, tt.in)
			if task.Title != tt.wantTitle || task.Rule.Encode() != tt.wantRule || task.Source != "ics:cal_x" || task.ExternalID != "a" {
				t.Errorf("task = %q %q %q %q; want %q %q", task.Title, task.Rule.Encode(), task.Source, task.ExternalID, tt.wantTitle, tt.wantRule)
			}
		})
	}
	t.Run("LongDescriptionFits", func(t *testing.T) {
		task := TaskFor(cal, Instance{Key: "a", Summary: "x", Description: strings.Repeat("d", 5000), Location: "here", Start: time.Now()})
		db, _, _ := syncWorld(t)
		if _, err := db.SaveTask(context.Background(), task); err != nil {
			t.Errorf("SaveTask: %v", err)
		}
	})
}

// failingStore refuses to save one title.
type failingStore struct {
	Store
	refuse string
}

func (f failingStore) SaveTask(ctx context.Context, t domain.Task) (domain.Task, error) {
	if t.Title == f.refuse {
		return domain.Task{}, domain.Invalid("refused")
	}
	return f.Store.SaveTask(ctx, t)
}

func TestSyncOneBadTaskDoesNotStopTheOthers(t *testing.T) {
	db, cal, sch := syncWorld(t)
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	instances := []Instance{
		{Key: "a", Summary: "Bad", Start: now.Add(time.Hour)},
		{Key: "b", Summary: "Good", Start: now.Add(2 * time.Hour)},
	}
	res, err := Sync(context.Background(), failingStore{db, "Bad"}, sch, cal, instances, now)
	if !errors.Is(err, domain.ErrInvalid) || res.Created != 1 {
		t.Errorf("sync = %+v, %v; want the good one created and the error returned", res, err)
	}
}
