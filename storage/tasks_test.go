package storage

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

// taskClock is a settable clock for WithClock.
type taskClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *taskClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *taskClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var taskEpoch = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

// openTaskDB opens a fresh database whose clock starts at taskEpoch.
func openTaskDB(t *testing.T) (*DB, *taskClock, string) {
	t.Helper()
	clock := &taskClock{t: taskEpoch}
	path := tempTarget(t)
	db, err := Open(context.Background(), path, WithClock(clock.now))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, clock, path
}

var dailyRule = scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00", Location: time.UTC}

// mustRule decodes an encoded rule, for tests that write rules as text.
func mustRule(s string) scheduler.Rule {
	r, err := scheduler.DecodeRule(s)
	if err != nil {
		panic(err)
	}
	return r
}

func validTask(title string) domain.Task {
	return domain.Task{Title: title, ChannelID: "C0OPS", Rule: dailyRule, GraceMinutes: 15, CreatedBy: "U1"}
}

func mustSaveTask(t *testing.T, db *DB, task domain.Task) domain.Task {
	t.Helper()
	saved, err := db.SaveTask(context.Background(), task)
	if err != nil {
		t.Fatalf("SaveTask(%q): %v", task.Title, err)
	}
	return saved
}

func TestSaveTaskValidation(t *testing.T) {
	db, _, _ := openTaskDB(t)
	tests := []struct {
		name  string
		edit  func(*domain.Task)
		field string
	}{
		{"EmptyTitle", func(t *domain.Task) { t.Title = "  " }, "title"},
		{"LongTitle", func(t *domain.Task) { t.Title = strings.Repeat("é", domain.MaxTaskTitle+1) }, "title"},
		{"LongDescription", func(t *domain.Task) { t.Description = strings.Repeat("x", domain.MaxTaskDescription+1) }, "description"},
		{"NoChannel", func(t *domain.Task) { t.ChannelID = "" }, "channel"},
		{"ChannelName", func(t *domain.Task) { t.ChannelID = "#ops" }, "channel"},
		{"EmptyRule", func(t *domain.Task) { t.Rule = scheduler.Rule{} }, "rule"},
		{"BadRule", func(t *domain.Task) {
			t.Rule = scheduler.Rule{Kind: scheduler.KindDaily, At: "25:00", Location: time.UTC}
		}, "rule"},
		{"UnknownKind", func(t *domain.Task) { t.Rule = scheduler.Rule{Kind: "fortnightly", At: "09:00", Location: time.UTC} }, "rule"},
		{"NegativeGrace", func(t *domain.Task) { t.GraceMinutes = -1 }, "grace"},
		{"GraceOverADay", func(t *domain.Task) { t.GraceMinutes = domain.MaxGraceMinutes + 1 }, "grace"},
		{"UnknownEscalation", func(t *domain.Task) { t.Escalation = "page" }, "escalation"},
		{"OnCallWithoutSchedule", func(t *domain.Task) { t.Escalation = domain.EscalateOnCall }, "escalation_target"},
		{"IncidentWithoutService", func(t *domain.Task) { t.Escalation = domain.EscalateIncident; t.EscalationTargetName = "DB" }, "escalation_target"},
		{"UnknownSource", func(t *domain.Task) { t.Source = "email" }, "source"},
		{"ICSWithoutFeed", func(t *domain.Task) { t.Source = domain.SourceICSPrefix }, "source"},
		{"LongExternalID", func(t *domain.Task) { t.ExternalID = strings.Repeat("u", domain.MaxExternalID+1) }, "external_id"},
		{"IDWithAt", func(t *domain.Task) { t.ID = "t_a@b" }, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := validTask("Check backups")
			tt.edit(&task)
			_, err := db.SaveTask(context.Background(), task)
			var fe *domain.TaskFieldError
			if !errors.As(err, &fe) {
				t.Fatalf("SaveTask error = %v, want a *TaskFieldError", err)
			}
			if fe.Field != tt.field {
				t.Errorf("field = %q, want %q (error %v)", fe.Field, tt.field, err)
			}
			var invalid *domain.InvalidError
			if !errors.Is(err, domain.ErrInvalid) || !errors.As(err, &invalid) || invalid.Reason == "" {
				t.Errorf("error %v: want errors.Is ErrInvalid and a *domain.InvalidError with a reason", err)
			}
		})
	}
	if all, err := db.AllTasks(context.Background()); err != nil || len(all) != 0 {
		t.Errorf("AllTasks after refused saves = %d tasks, %v; want none", len(all), err)
	}
}

func TestSaveTaskInsertAndUpdate(t *testing.T) {
	ctx := context.Background()
	db, clock, _ := openTaskDB(t)
	in := validTask("  Renew certificates ")
	in.Rule = mustRule("weekly;days=wed,mon;at=09:00;tz=Europe/Berlin") // not canonical
	in.Escalation, in.EscalationTargetID, in.EscalationTargetName = domain.EscalateNone, "PSCHED", "ignored"
	got := mustSaveTask(t, db, in)

	if !regexp.MustCompile(`^t_[a-z2-7]{12}$`).MatchString(got.ID) {
		t.Errorf("ID = %q, want t_ and 12 base32 characters", got.ID)
	}
	want := domain.Task{
		ID: got.ID, Title: "Renew certificates", ChannelID: "C0OPS",
		Rule:         mustRule("weekly;at=09:00;days=mon,wed;tz=Europe/Berlin"),
		GraceMinutes: 15, Escalation: domain.EscalateNone, CreatedBy: "U1", Source: domain.SourceSlack,
		CreatedAt: taskEpoch, UpdatedAt: taskEpoch,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SaveTask = %+v\nwant       %+v", got, want)
	}
	if read, err := db.Task(ctx, got.ID); err != nil || !reflect.DeepEqual(read, want) {
		t.Errorf("Task = %+v, %v\nwant   %+v", read, err, want)
	}

	clock.add(time.Hour)
	upd := got
	upd.Title, upd.CreatedBy, upd.Paused = "Renew TLS certificates", "U2", true
	upd.Escalation, upd.EscalationTargetID, upd.EscalationTargetName = domain.EscalateIncident, "PSVC", "Web"
	upd.CreatorPDEmail = "ops@example.com"
	got2 := mustSaveTask(t, db, upd)
	want2 := upd
	want2.CreatedBy, want2.CreatedAt, want2.UpdatedAt = "U1", taskEpoch, taskEpoch.Add(time.Hour)
	if !reflect.DeepEqual(got2, want2) {
		t.Errorf("update = %+v\nwant     %+v", got2, want2)
	}

	given := validTask("Imported")
	given.ID = "t_given"
	if got := mustSaveTask(t, db, given); got.ID != "t_given" {
		t.Errorf("ID of a task saved with an ID = %q, want t_given", got.ID)
	}
	if all, _ := db.AllTasks(ctx); len(all) != 2 {
		t.Errorf("AllTasks = %d tasks, want 2", len(all))
	}
}

func TestTaskLookups(t *testing.T) {
	ctx := context.Background()
	db, _, _ := openTaskDB(t)
	for _, title := range []string{"b weekly", "A daily", "c monthly"} {
		mustSaveTask(t, db, validTask(title))
	}
	other := validTask("Other channel")
	other.ChannelID = "C0DEV"
	mustSaveTask(t, db, other)
	feed := validTask("Holiday freeze")
	feed.Source, feed.ExternalID = "ics:holidays", "uid-1@example.com"
	feed = mustSaveTask(t, db, feed)

	titles := func(ts []domain.Task) string {
		var s []string
		for _, t := range ts {
			s = append(s, t.Title)
		}
		return strings.Join(s, "|")
	}
	inOps, err := db.TasksInChannel(ctx, "C0OPS")
	if got, want := titles(inOps), "A daily|b weekly|c monthly|Holiday freeze"; err != nil || got != want {
		t.Errorf("TasksInChannel = %q, %v; want %q", got, err, want)
	}
	all, err := db.AllTasks(ctx)
	if got, want := titles(all), "Other channel|A daily|b weekly|c monthly|Holiday freeze"; err != nil || got != want {
		t.Errorf("AllTasks = %q, %v; want %q", got, err, want)
	}
	if got, err := db.TaskByExternalID(ctx, "ics:holidays", "uid-1@example.com"); err != nil || got.ID != feed.ID {
		t.Errorf("TaskByExternalID = %s, %v; want %s", got.ID, err, feed.ID)
	}

	notFound := []struct {
		name string
		call func() error
	}{
		{"Task", func() error { _, err := db.Task(ctx, "t_missing"); return err }},
		{"TaskByExternalIDOtherSource", func() error { _, err := db.TaskByExternalID(ctx, "ics:other", "uid-1@example.com"); return err }},
		{"SetTaskPaused", func() error { return db.SetTaskPaused(ctx, "t_missing", true) }},
		{"DeleteTask", func() error { return db.DeleteTask(ctx, "t_missing") }},
	}
	for _, tt := range notFound {
		if err := tt.call(); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: error = %v, want ErrNotFound", tt.name, err)
		}
	}

	dup := validTask("Same UID")
	dup.Source, dup.ExternalID = "ics:holidays", "uid-1@example.com"
	if _, err := db.SaveTask(ctx, dup); !errors.Is(err, domain.ErrTaskExists) {
		t.Errorf("SaveTask with a taken external ID: error = %v, want ErrTaskExists", err)
	}
	dup.Source = "ics:other" // unique per source only
	mustSaveTask(t, db, dup)
	feed.Title = "Holiday code freeze" // updating keeps its own external ID
	mustSaveTask(t, db, feed)
}

func TestSetTaskPaused(t *testing.T) {
	ctx := context.Background()
	db, clock, _ := openTaskDB(t)
	task := mustSaveTask(t, db, validTask("Check disk"))
	for _, paused := range []bool{true, true, false} {
		clock.add(time.Minute)
		if err := db.SetTaskPaused(ctx, task.ID, paused); err != nil {
			t.Fatalf("SetTaskPaused(%v): %v", paused, err)
		}
		got, err := db.Task(ctx, task.ID)
		if err != nil || got.Paused != paused || !got.UpdatedAt.Equal(clock.now()) {
			t.Errorf("after SetTaskPaused(%v): Paused %v, UpdatedAt %v, %v; want %v, %v", paused, got.Paused, got.UpdatedAt, err, paused, clock.now())
		}
	}
}

func TestDeleteTaskKeepsFinishedHistory(t *testing.T) {
	ctx := context.Background()
	db, _, _ := openTaskDB(t)
	task := mustSaveTask(t, db, validTask("Daily check"))
	keep := mustSaveTask(t, db, validTask("Other task"))
	states := []string{domain.OccClaimed, domain.OccPosted, domain.OccStarted, domain.OccDone, domain.OccSkipped}
	ids := make(map[string]string)
	for i, st := range states {
		o := occIn(t, db, task.ID, taskEpoch.Add(time.Duration(i)*24*time.Hour), st)
		ids[st] = o.ID
	}
	other := occIn(t, db, keep.ID, taskEpoch, domain.OccPosted)

	if err := db.DeleteTask(ctx, task.ID); err != nil {
		t.Fatalf("DeleteTask: %v", err)
	}
	if _, err := db.Task(ctx, task.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Task after delete: error = %v, want ErrNotFound", err)
	}
	for _, st := range states {
		_, err := db.Occurrence(ctx, ids[st])
		kept := st == domain.OccDone || st == domain.OccSkipped
		if kept && err != nil || !kept && !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s occurrence after delete: error %v; want kept = %v", st, err, kept)
		}
	}
	if _, err := db.Occurrence(ctx, other.ID); err != nil {
		t.Errorf("another task's occurrence after delete: %v", err)
	}
}

func TestImportTasks(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		edit    func([]domain.Task)
		wantErr string // substring; empty means success
		field   string
	}{
		{"AllValid", func([]domain.Task) {}, "", ""},
		{"OneInvalid", func(ts []domain.Task) { ts[7].GraceMinutes = 5000 }, "task 8 of 10", "grace"},
		{"LastInvalid", func(ts []domain.Task) { ts[9].ChannelID = "#ops" }, "task 10 of 10", "channel"},
		{"DuplicateID", func(ts []domain.Task) { ts[2].ID, ts[5].ID = "t_same", "t_same" }, "task 6 of 10", "id"},
		{"DuplicateExternalID", func(ts []domain.Task) {
			ts[1].Source, ts[1].ExternalID = domain.SourceImport, "row-1"
			ts[4].Source, ts[4].ExternalID = domain.SourceImport, "row-1"
		}, "task 5 of 10", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _, _ := openTaskDB(t)
			tasks := make([]domain.Task, 10)
			for i := range tasks {
				tasks[i] = validTask("Task " + string(rune('A'+i)))
				tasks[i].Source = domain.SourceImport
			}
			tt.edit(tasks)
			err := db.ImportTasks(ctx, tasks)
			all, lerr := db.AllTasks(ctx)
			if lerr != nil {
				t.Fatal(lerr)
			}
			if tt.wantErr == "" {
				if err != nil || len(all) != len(tasks) {
					t.Errorf("ImportTasks = %v with %d saved; want nil with %d", err, len(all), len(tasks))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ImportTasks error = %v, want one containing %q", err, tt.wantErr)
			}
			var fe *domain.TaskFieldError
			if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
				t.Errorf("ImportTasks error = %v, want a *TaskFieldError for %q", err, tt.field)
			}
			if len(all) != 0 {
				t.Errorf("tasks saved after a refused import = %d, want 0", len(all))
			}
		})
	}
}

// TestTaskQueryPlans checks that every lookup is served by an index.
func TestTaskQueryPlans(t *testing.T) {
	sqliteOnly(t)
	db, _, _ := openTaskDB(t)
	queries := []struct {
		name, query string
		args        []any
	}{
		{"TasksInChannel", `SELECT ` + taskColumns + ` FROM tasks WHERE channel_id = $1 ORDER BY title COLLATE NOCASE, id`, []any{"C1"}},
		{"AllTasks", `SELECT ` + taskColumns + ` FROM tasks ORDER BY channel_id, title COLLATE NOCASE, id`, nil},
		{"TaskByExternalID", `SELECT ` + taskColumns + ` FROM tasks WHERE source = $1 AND external_id = $2 AND external_id <> ''`, []any{"s", "x"}},
		{"NextEscalation", `SELECT ` + occColumns + ` FROM task_occurrences WHERE state = 'posted' AND escalate_at IS NOT NULL ORDER BY escalate_at, id LIMIT 1`, nil},
		{"Unposted", `SELECT ` + occColumns + ` FROM task_occurrences WHERE ts = '' ORDER BY claimed_at, id`, nil},
		{"ByMessage", `SELECT ` + occColumns + ` FROM task_occurrences WHERE channel_id = $1 AND ts = $2 AND ts <> ''`, []any{"C1", "1.2"}},
		{"ForIncident", `SELECT ` + occColumns + ` FROM task_occurrences WHERE incident_id = $1 AND incident_id <> '' ORDER BY due, id`, []any{"P1"}},
		{"LastFired", `SELECT MAX(due) FROM task_occurrences WHERE task_id = $1`, []any{"t"}},
		{"LastFiredAll", `SELECT task_id, MAX(due) FROM task_occurrences GROUP BY task_id`, nil},
		{"ExternalIDTaken", `SELECT id FROM tasks WHERE source = $1 AND external_id = $2 AND external_id <> '' AND id <> $3`, []any{"s", "x", "t"}},
		{"Between", `SELECT ` + occColumns + ` FROM task_occurrences WHERE due >= $1 AND due < $2 ORDER BY due, task_id`, []any{1, 2}},
		{"DeleteOccurrences", `DELETE FROM task_occurrences WHERE task_id = $1 AND state IN ('claimed', 'posted', 'started')`, []any{"t"}},
	}
	for _, q := range queries {
		rows, err := db.sql.Query(`EXPLAIN QUERY PLAN `+q.query, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, "INDEX") || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s: plan %q; want an index and no sort", q.name, got)
		}
	}
}
