package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

func TestIncidentChannels(t *testing.T) {
	ctx := context.Background()
	db, _, clock := openClock(t)
	const stale = 2 * time.Minute

	// The first click claims; a second click sees the claim being created.
	first, claimed, err := db.ClaimIncidentChannel(ctx, "Q1", "U1", stale)
	if err != nil || !claimed || first.OpenedBy != "U1" {
		t.Fatalf("first claim = %+v, %v, %v", first, claimed, err)
	}
	second, claimed, err := db.ClaimIncidentChannel(ctx, "Q1", "U2", stale)
	if err != nil || claimed || second.ChannelID != "" || second.OpenedBy != "U1" {
		t.Fatalf("second claim = %+v, %v, %v; want U1's claim in progress", second, claimed, err)
	}
	if err := db.SetIncidentChannel(ctx, domain.IncidentChannel{IncidentID: "Q1", ChannelID: "C9", Name: "inc-1-db-down"}); err != nil {
		t.Fatal(err)
	}
	// Once created, even much later, every claim links to the same channel.
	clock.Advance(time.Hour)
	third, claimed, err := db.ClaimIncidentChannel(ctx, "Q1", "U2", stale)
	if err != nil || claimed || third.ChannelID != "C9" || third.Name != "inc-1-db-down" {
		t.Fatalf("claim after creation = %+v, %v, %v", third, claimed, err)
	}

	t.Run("StaleClaimTakenOver", func(t *testing.T) {
		if _, claimed, _ := db.ClaimIncidentChannel(ctx, "Q2", "U1", stale); !claimed {
			t.Fatal("no claim")
		}
		clock.Advance(stale + time.Second)
		got, claimed, err := db.ClaimIncidentChannel(ctx, "Q2", "U2", stale)
		if err != nil || !claimed || got.OpenedBy != "U2" {
			t.Fatalf("take over = %+v, %v, %v", got, claimed, err)
		}
	})
	t.Run("Release", func(t *testing.T) {
		if err := db.ReleaseIncidentChannel(ctx, "Q2"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.IncidentChannel(ctx, "Q2"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("released claim: err = %v", err)
		}
		// A created channel is never released.
		if err := db.ReleaseIncidentChannel(ctx, "Q1"); err != nil {
			t.Fatal(err)
		}
		if c, err := db.IncidentChannel(ctx, "Q1"); err != nil || c.ChannelID != "C9" {
			t.Errorf("after release of a created channel: %+v, %v", c, err)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		if err := db.SetIncidentChannel(ctx, domain.IncidentChannel{IncidentID: "Q1"}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("no channel: err = %v", err)
		}
		if err := db.SetIncidentChannel(ctx, domain.IncidentChannel{IncidentID: "Q404", ChannelID: "C1", Name: "x"}); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("unclaimed: err = %v", err)
		}
	})
	t.Run("Archive", func(t *testing.T) {
		resolved := clock.Now()
		if err := db.MarkIncidentChannelResolved(ctx, "Q1", resolved); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkIncidentChannelResolved(ctx, "Q404", resolved); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("no channel: err = %v", err)
		}
		if due, err := db.IncidentChannelsToArchive(ctx, resolved.Add(-time.Second)); err != nil || len(due) != 0 {
			t.Fatalf("before its time: %+v, %v", due, err)
		}
		due, err := db.IncidentChannelsToArchive(ctx, resolved.Add(24*time.Hour))
		if err != nil || len(due) != 1 || due[0].ChannelID != "C9" || !due[0].ResolvedAt.Equal(resolved) {
			t.Fatalf("due = %+v, %v", due, err)
		}
		if err := db.MarkIncidentChannelArchived(ctx, "Q1"); err != nil {
			t.Fatal(err)
		}
		if due, err := db.IncidentChannelsToArchive(ctx, resolved.Add(24*time.Hour)); err != nil || len(due) != 0 {
			t.Fatalf("archived twice: %+v, %v", due, err)
		}
		if c, _ := db.IncidentChannel(ctx, "Q1"); c.ArchivedAt.IsZero() {
			t.Error("archive time not recorded")
		}
	})
}
