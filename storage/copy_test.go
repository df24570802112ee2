package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/internal/pgtest"
)

// fillForCopy writes rows into most tables through the public API, with
// the values that differ between engines: a blob, flags, identities,
// unix milliseconds, NULLs.
func fillForCopy(t *testing.T, target string) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, target, WithClock(func() time.Time { return taskEpoch }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.FirstDelivery(ctx, "Ev1")
	must(err)
	must(db.Subscribe(ctx, domain.Subscription{ChannelID: "C1", ServiceID: "S1", ServiceName: "API", Urgencies: []string{"high"}}))
	task, err := db.SaveTask(ctx, domain.Task{Title: "Check backups", ChannelID: "C1", Rule: dailyRule, Paused: true})
	must(err)
	_, _, err = db.ClaimOccurrence(ctx, task.ID, taskEpoch, true, "C1", time.Time{})
	must(err)
	cal, err := db.AddCalendar(ctx, domain.Calendar{ChannelID: "C1", URL: "https://calendar.example/secret.ics"})
	must(err)
	must(db.RecordCalendarFetch(ctx, cal.ID, domain.CalendarFetch{Body: []byte("BEGIN:VCALENDAR\x00\xff")}))
	_, err = db.AcceptEvents(ctx, "W1", []domain.IncidentEvent{{ID: "E1", Type: "incident.triggered", IncidentID: "P1", OccurredAt: taskEpoch}})
	must(err)
	_, err = db.AddToDigest(ctx, "C1", "S1", "API", time.Hour, domain.DigestMember{IncidentID: "P1", Number: 1, Title: "down", Status: domain.StatusTriggered})
	must(err)
	must(db.SaveUserLink(ctx, domain.UserLink{SlackUserID: "U1", PDUserID: "PU1", Manual: true}))
}

func TestCopy(t *testing.T) {
	ctx := context.Background()
	type dir struct{ name, from, to string }
	dirs := []dir{{"SQLiteToSQLite", "sqlite", "sqlite"}}
	if pgtest.Backend() == "postgres" {
		dirs = []dir{{"SQLiteToPostgres", "sqlite", "postgres"}, {"PostgresToSQLite", "postgres", "sqlite"}}
	}
	newTarget := func(t *testing.T, kind string) string {
		if kind == "postgres" {
			return pgtest.Target(t) // a PostgreSQL database on the PostgreSQL run
		}
		return fmt.Sprintf("%s/%s.db", t.TempDir(), kind)
	}
	for _, d := range dirs {
		t.Run(d.name, func(t *testing.T) {
			from, to := newTarget(t, d.from), newTarget(t, d.to)
			fillForCopy(t, from)
			counts, err := Copy(ctx, from, to, false)
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			got := map[string]int64{}
			for _, c := range counts {
				got[c.Table] = c.Rows
			}
			for table, want := range map[string]int64{"processed_events": 1, "subscriptions": 1, "tasks": 1,
				"task_occurrences": 1, "calendars": 1, "incident_events": 1, "digests": 1, "digest_members": 1, "user_links": 1} {
				if got[table] != want {
					t.Errorf("%s: copied %d rows, want %d", table, got[table], want)
				}
			}

			db, err := Open(ctx, to)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			tasks, err := db.AllTasks(ctx)
			if err != nil || len(tasks) != 1 || !tasks[0].Paused || tasks[0].Title != "Check backups" {
				t.Errorf("tasks after copy = %+v, %v; want the paused task", tasks, err)
			}
			cals, err := db.AllCalendars(ctx)
			if err != nil || len(cals) != 1 {
				t.Fatalf("calendars after copy = %d, %v", len(cals), err)
			}
			if body, err := db.CalendarBody(ctx, cals[0].ID); err != nil || string(body) != "BEGIN:VCALENDAR\x00\xff" {
				t.Errorf("calendar body = %q, %v; want the bytes stored", body, err)
			}
			if l, err := db.UserLink(ctx, "U1", 0); err != nil || !l.Manual {
				t.Errorf("user link = %+v, %v; want manual", l, err)
			}
			// New rows get ids after the copied ones.
			if err := db.Subscribe(ctx, domain.Subscription{ChannelID: "C2", ServiceID: "S2", ServiceName: "Web", Urgencies: []string{"low"}}); err != nil {
				t.Errorf("subscribe after copy: %v", err)
			}
			if n, err := db.AcceptEvents(ctx, "W2", []domain.IncidentEvent{{ID: "E2", Type: "incident.acknowledged", IncidentID: "P1", OccurredAt: taskEpoch}}); err != nil || n != 1 {
				t.Errorf("accept after copy = %d, %v", n, err)
			}
			if first, err := db.FirstDelivery(ctx, "Ev1"); err != nil || first {
				t.Errorf("copied event Ev1 first again = %v, %v; want remembered", first, err)
			}

			_, err = Copy(ctx, from, to, false)
			if !errors.Is(err, ErrTargetNotEmpty) {
				t.Errorf("Copy into a filled target = %v, want ErrTargetNotEmpty", err)
			}
			if counts, err := Copy(ctx, from, to, true); err != nil || len(counts) == 0 {
				t.Errorf("Copy with replace = %v, %v", counts, err)
			}
			if subs, _ := db.Subscriptions(ctx, "C2"); len(subs) != 0 {
				t.Errorf("rows of the replaced target left: %+v", subs)
			}
		})
	}
}

func TestCopyRefusesSameDatabase(t *testing.T) {
	target := tempTarget(t)
	if _, err := Copy(context.Background(), target, target, true); err == nil {
		t.Error("copying a database onto itself succeeded")
	}
}
