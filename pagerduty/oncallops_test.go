package pagerduty_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/pagerduty"
)

func TestOverrides(t *testing.T) {
	e := seeded(t)
	ctx := context.Background()
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	start := now.In(tokyo).Add(time.Hour) // 22:00 in Tokyo
	end := start.Add(4 * time.Hour)

	t.Run("Create", func(t *testing.T) {
		o, err := e.c.CreateOverride(ctx, "SCH1", bob, start, end)
		if err != nil {
			t.Fatal(err)
		}
		if o.ID == "" || o.User.ID != "U2" || !o.Start.Equal(start) || !o.End.Equal(end) {
			t.Errorf("override = %+v, want Bob %v..%v", o, start, end)
		}
		got := e.fake.Overrides("SCH1")
		if len(got) != 1 || got[0].UserID != "U2" || !got[0].Start.Equal(start) || !got[0].End.Equal(end) {
			t.Errorf("fake overrides = %+v", got)
		}
		if body := string(lastWrite(t, e.fake).Body); !strings.Contains(body, `"type":"user_reference"`) || !strings.Contains(body, "+09:00") {
			t.Errorf("body = %s, want a typed user and the time zone kept", body)
		}
	})
	t.Run("ListKeepsFullRange", func(t *testing.T) {
		got, err := e.c.Overrides(ctx, "SCH1", start.Add(time.Hour), start.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !got[0].Start.Equal(start) || !got[0].End.Equal(end) || got[0].User.Name != "Bob" {
			t.Errorf("overrides = %+v, want Bob's whole override", got)
		}
	})
	t.Run("ShiftsWithOverride", func(t *testing.T) {
		sched, shifts, err := e.c.ScheduleShifts(ctx, "SCH1", now, now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if sched.Name != "Primary" {
			t.Errorf("schedule = %+v", sched)
		}
		want := []struct {
			user       string
			start, end time.Time
		}{
			{"U1", now, start}, {"U2", start, end}, {"U1", end, now.Add(12 * time.Hour)},
		}
		if len(shifts) != len(want) {
			t.Fatalf("shifts = %+v, want %d", shifts, len(want))
		}
		for i, w := range want {
			if s := shifts[i]; s.User.ID != w.user || !s.Start.Equal(w.start) || !s.End.Equal(w.end) {
				t.Errorf("shift %d = %+v, want %s %v..%v", i, s, w.user, w.start, w.end)
			}
		}
	})
	t.Run("Delete", func(t *testing.T) {
		o := e.fake.Overrides("SCH1")[0]
		if err := e.c.DeleteOverride(ctx, "SCH1", o.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.fake.Overrides("SCH1"); len(got) != 0 {
			t.Errorf("overrides after delete = %+v", got)
		}
	})
	t.Run("ErrUnknownSchedule", func(t *testing.T) {
		_, err := e.c.CreateOverride(ctx, "NOPE", bob, start, end)
		if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("err = %v, want not found", err)
		}
	})
	t.Run("ErrBadID", func(t *testing.T) {
		_, err := e.c.CreateOverride(ctx, "../x", bob, start, end)
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("err = %v, want invalid", err)
		}
	})
}

func TestMaintenanceWindows(t *testing.T) {
	var clock atomic.Int64 // the fake's now, in unix seconds
	clock.Store(now.Unix())
	e := newEnv(t, pagerduty.Config{Timeout: 5 * time.Second}, pdfake.Options{Now: func() time.Time { return time.Unix(clock.Load(), 0) }})
	e.fake.AddUser(pdfake.User{ID: "U1", Name: "Alice", Email: "alice@example.com"})
	e.fake.AddService(pdfake.Service{ID: "SVC1", Name: "API"})
	e.fake.AddService(pdfake.Service{ID: "SVC2", Name: "Web"})
	ctx := context.Background()
	in := domain.NewMaintenanceWindow{ServiceIDs: []string{"SVC1", "SVC2"}, Start: now, End: now.Add(time.Hour), Description: "DB upgrade"}

	mw, err := e.c.CreateMaintenanceWindow(ctx, in, alice)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Created", func(t *testing.T) {
		if len(mw.Services) != 2 || mw.Services[0].Name != "API" || !mw.End.Equal(now.Add(time.Hour)) || mw.Description != "DB upgrade" {
			t.Errorf("window = %+v", mw)
		}
		w := lastWrite(t, e.fake)
		if w.From != "alice@example.com" || !strings.Contains(string(w.Body), `"service_reference"`) {
			t.Errorf("request From=%q body=%s", w.From, w.Body)
		}
	})
	future, err := e.c.CreateMaintenanceWindow(ctx, domain.NewMaintenanceWindow{ServiceIDs: []string{"SVC2"},
		Start: now.Add(24 * time.Hour), End: now.Add(25 * time.Hour)}, alice)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("List", func(t *testing.T) {
		e.fake.AddMaintenanceWindow(pdfake.MaintenanceWindow{ID: "PMPAST", ServiceIDs: []string{"SVC1"}, Start: now.Add(-3 * time.Hour), End: now.Add(-2 * time.Hour)})
		list, err := e.c.MaintenanceWindows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != mw.ID || list[1].ID != future.ID {
			t.Errorf("windows = %+v, want the ongoing then the future one, not the past one", list)
		}
	})
	t.Run("Extend", func(t *testing.T) {
		got, err := e.c.ExtendMaintenanceWindow(ctx, mw.ID, mw.End.Add(30*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if !got.End.Equal(now.Add(90*time.Minute)) || len(got.Services) != 2 {
			t.Errorf("extended = %+v", got)
		}
		puts := e.fake.RequestsTo("PUT", "/maintenance_windows/")
		if len(puts) == 0 || !strings.HasPrefix(string(puts[len(puts)-1].Body), `{"maintenance_window":`) {
			t.Errorf("PUT body = %s, want PagerDuty's documented {\"maintenance_window\": …}", puts[len(puts)-1].Body)
		}
	})
	t.Run("EndNow", func(t *testing.T) {
		clock.Store(now.Add(10 * time.Minute).Unix())
		if err := e.c.EndMaintenanceWindow(ctx, mw.ID); err != nil {
			t.Fatal(err)
		}
		got, err := e.c.MaintenanceWindow(ctx, mw.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.End.Equal(now.Add(10 * time.Minute)) {
			t.Errorf("end = %v, want now", got.End)
		}
	})
	t.Run("ErrEndedAlready", func(t *testing.T) {
		clock.Store(now.Add(20 * time.Minute).Unix())
		err := e.c.EndMaintenanceWindow(ctx, mw.ID)
		if !errors.Is(err, pagerduty.ErrMaintenanceEnded) || !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("err = %v, want ErrMaintenanceEnded", err)
		}
		_, err = e.c.ExtendMaintenanceWindow(ctx, mw.ID, now.Add(2*time.Hour))
		if !errors.Is(err, pagerduty.ErrMaintenanceEnded) {
			t.Errorf("extend err = %v, want ErrMaintenanceEnded", err)
		}
	})
	t.Run("ErrNoEmail", func(t *testing.T) {
		_, err := e.c.CreateMaintenanceWindow(ctx, in, domain.Person{ID: "U9", Name: "Nobody"})
		if !errors.Is(err, pagerduty.ErrUnknownRequester) {
			t.Errorf("err = %v, want ErrUnknownRequester", err)
		}
	})
}
