package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

func TestHomeViewers(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	db, err := Open(ctx, tempTarget(t), WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	if _, err := db.HomeViewer(ctx, "U1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("viewer before opening: err = %v, want not found", err)
	}
	if err := db.HomeOpened(ctx, "U1", "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if err := db.HomeOpened(ctx, "U2", ""); err != nil {
		t.Fatal(err)
	}
	if err := db.SetHomePublished(ctx, "U1", "abc"); err != nil {
		t.Fatal(err)
	}
	// Opening again without a known zone keeps the zone and the hash.
	now = now.Add(time.Hour)
	if err := db.HomeOpened(ctx, "U1", ""); err != nil {
		t.Fatal(err)
	}
	v, err := db.HomeViewer(ctx, "U1")
	if err != nil || v.Zone != "Europe/Paris" || v.Hash != "abc" || !v.OpenedAt.Equal(now) || !v.PublishedAt.Equal(now.Add(-time.Hour)) {
		t.Fatalf("HomeViewer = %+v, %v", v, err)
	}
	list, err := db.HomeViewers(ctx, now.Add(-90*time.Minute), 10)
	if err != nil || len(list) != 2 || list[0].UserID != "U1" || list[1].UserID != "U2" {
		t.Fatalf("HomeViewers = %+v, %v", list, err)
	}
	if list, err := db.HomeViewers(ctx, now.Add(-30*time.Minute), 10); err != nil || len(list) != 1 {
		t.Fatalf("recent HomeViewers = %+v, %v", list, err)
	}
	if list, err := db.HomeViewers(ctx, time.Time{}, 1); err != nil || len(list) != 1 || list[0].UserID != "U1" {
		t.Fatalf("HomeViewers limit 1 = %+v, %v", list, err)
	}
	if err := db.HomeOpened(ctx, "U3", "Mars/Olympus"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("unknown zone: err = %v, want invalid", err)
	}
	if err := db.HomeOpened(ctx, "", ""); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("no user: err = %v, want invalid", err)
	}
}

func TestTasksCreatedBy(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	rule := scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00"}
	for _, tk := range []domain.Task{
		{Title: "b check", ChannelID: "C1", Rule: rule, CreatedBy: "U1"},
		{Title: "A backup", ChannelID: "C2", Rule: rule, CreatedBy: "U1"},
		{Title: "other", ChannelID: "C1", Rule: rule, CreatedBy: "U2"},
	} {
		if _, err := db.SaveTask(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.TasksCreatedBy(ctx, "U1")
	if err != nil || len(got) != 2 || got[0].Title != "A backup" || got[1].Title != "b check" {
		t.Fatalf("TasksCreatedBy = %+v, %v", got, err)
	}
}
