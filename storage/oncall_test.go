package storage

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

func TestFollows(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	for _, f := range []domain.Follow{
		{ChannelID: "C1", ScheduleID: "PS2", ScheduleName: "Secondary", CreatedBy: "U1"},
		{ChannelID: "C1", ScheduleID: "PS1", ScheduleName: "Primary", CreatedBy: "U1"},
		{ChannelID: "C2", ScheduleID: "PS1", ScheduleName: "Primary", CreatedBy: "U2"},
		{ChannelID: "C1", ScheduleID: "PS1", ScheduleName: "Primary (renamed)", CreatedBy: "U3"}, // again: refreshed
	} {
		if err := db.Follow(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("OfChannel", func(t *testing.T) {
		got, err := db.Follows(ctx, "C1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ScheduleName != "Primary (renamed)" || got[0].CreatedBy != "U3" || got[1].ScheduleID != "PS2" {
			t.Errorf("follows of C1 = %+v", got)
		}
		if got[0].CreatedAt.IsZero() {
			t.Errorf("created_at not set")
		}
	})
	t.Run("All", func(t *testing.T) {
		got, err := db.Follows(ctx, "")
		if err != nil || len(got) != 3 {
			t.Errorf("all follows = %+v, %v; want 3", got, err)
		}
	})
	t.Run("UnfollowOne", func(t *testing.T) {
		if err := db.Unfollow(ctx, "C1", "PS2"); err != nil {
			t.Fatal(err)
		}
		if err := db.Unfollow(ctx, "C1", "PS2"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("second unfollow = %v, want not found", err)
		}
	})
	t.Run("UnfollowAll", func(t *testing.T) {
		if err := db.Unfollow(ctx, "C2", ""); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Follows(ctx, "")
		if len(got) != 1 || got[0].ChannelID != "C1" {
			t.Errorf("follows left = %+v", got)
		}
	})
	t.Run("ErrNoSchedule", func(t *testing.T) {
		if err := db.Follow(ctx, domain.Follow{ChannelID: "C1"}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("err = %v, want invalid", err)
		}
	})
}

func TestClaimAnnouncementOnce(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first, err := db.ClaimAnnouncement(ctx, "shift:C1:PS1:1700000000:PU1")
			if err != nil {
				t.Error(err)
			}
			if first {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("claims won = %d, want 1", wins)
	}
	if err := db.ReleaseAnnouncement(ctx, "shift:C1:PS1:1700000000:PU1"); err != nil {
		t.Fatal(err)
	}
	if first, err := db.ClaimAnnouncement(ctx, "shift:C1:PS1:1700000000:PU1"); err != nil || !first {
		t.Errorf("claim after release = %v, %v; want first", first, err)
	}
	if n, err := db.ForgetAnnouncementsBefore(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Errorf("forget = %d, %v; want 1", n, err)
	}
}

func TestMaintenanceCards(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)
	card := domain.MaintenanceCard{WindowID: "PM1", ChannelID: "C1", TS: "1.1", Description: "DB upgrade", CreatedBy: "U1",
		Services: []domain.Service{{ID: "S1", Name: "API, public"}, {ID: "S2", Name: "Web"}}, Start: start, End: start.Add(time.Hour)}
	card.TS = ""
	if err := db.SaveMaintenanceCard(ctx, card); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMaintenanceCardTS(ctx, "PM1", "1.1"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMaintenanceCardTS(ctx, "PM9", "1.1"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ts of an unknown card = %v, want not found", err)
	}
	later := card
	later.WindowID, later.End = "PM2", start.Add(30*time.Minute)
	if err := db.SaveMaintenanceCard(ctx, later); err != nil {
		t.Fatal(err)
	}
	t.Run("Read", func(t *testing.T) {
		got, err := db.MaintenanceCard(ctx, "PM1")
		if err != nil {
			t.Fatal(err)
		}
		if got.State != domain.MaintenanceOpen || got.TS != "1.1" || len(got.Services) != 2 || got.Services[0].Name != "API, public" || !got.End.Equal(start.Add(time.Hour)) {
			t.Errorf("card = %+v", got)
		}
		if _, err := db.MaintenanceCard(ctx, "PM9"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("unknown card err = %v", err)
		}
	})
	t.Run("OpenBySoonestEnd", func(t *testing.T) {
		got, err := db.OpenMaintenanceCards(ctx)
		if err != nil || len(got) != 2 || got[0].WindowID != "PM2" {
			t.Errorf("open = %+v, %v; want PM2 first", got, err)
		}
	})
	t.Run("Extend", func(t *testing.T) {
		if err := db.ExtendMaintenanceCard(ctx, "PM1", start.Add(90*time.Minute), "U2"); err != nil {
			t.Fatal(err)
		}
		got, _ := db.MaintenanceCard(ctx, "PM1")
		if !got.End.Equal(start.Add(90*time.Minute)) || got.ExtendedBy != "U2" {
			t.Errorf("extended card = %+v", got)
		}
	})
	t.Run("EndOnce", func(t *testing.T) {
		at := start.Add(20 * time.Minute)
		first, err := db.EndMaintenanceCard(ctx, "PM1", domain.MaintenanceEnded, "U3", at)
		if err != nil || !first {
			t.Fatalf("first end = %v, %v", first, err)
		}
		again, err := db.EndMaintenanceCard(ctx, "PM1", domain.MaintenanceEnded, "", at.Add(time.Hour))
		if err != nil || again {
			t.Errorf("second end = %v, %v; want no change", again, err)
		}
		got, _ := db.MaintenanceCard(ctx, "PM1")
		if got.State != domain.MaintenanceEnded || got.EndedBy != "U3" || !got.EndedAt.Equal(at) || !got.End.Equal(at) {
			t.Errorf("ended card = %+v", got)
		}
		if err := db.ExtendMaintenanceCard(ctx, "PM1", at.Add(time.Hour), "U2"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("extending an ended card = %v, want not found", err)
		}
		open, _ := db.OpenMaintenanceCards(ctx)
		if len(open) != 1 || open[0].WindowID != "PM2" {
			t.Errorf("open after end = %+v", open)
		}
	})
}
