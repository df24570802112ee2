package storage

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tobanbot/toban/domain"
)

func TestSubscriptions(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	sub := domain.Subscription{ChannelID: "C1", ServiceID: "PSVC1", ServiceName: "Checkout API",
		Urgencies: []string{"high"}, Events: []string{"notes", "escalations"}, CreatedBy: "U1"}

	t.Run("OK", func(t *testing.T) {
		if err := db.Subscribe(ctx, sub); err != nil {
			t.Fatal(err)
		}
		other := sub
		other.ChannelID = "C2"
		other.Urgencies = []string{"high", "low"}
		if err := db.Subscribe(ctx, other); err != nil {
			t.Fatal(err)
		}
		got, err := db.SubscriptionsFor(ctx, "PSVC1")
		if err != nil || len(got) != 2 {
			t.Fatalf("SubscriptionsFor = %v, %v; want 2", got, err)
		}
		if !got[0].Wants("high") || got[0].Wants("low") || !got[1].Wants("low") || !got[0].Replies("notes") || got[0].Replies("reassignments") {
			t.Errorf("subscriptions = %+v", got)
		}
	})
	t.Run("ResubscribeReplaces", func(t *testing.T) {
		again := sub
		again.Events = nil
		if err := db.Subscribe(ctx, again); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Subscriptions(ctx, "C1")
		if len(got) != 1 || len(got[0].Events) != 0 {
			t.Errorf("Subscriptions(C1) = %+v, want one with no thread events", got)
		}
	})
	t.Run("SurvivesRestart", func(t *testing.T) {
		db.Close()
		db2, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		got, _ := db2.Subscriptions(ctx, "C2")
		if len(got) != 1 || !slices.Equal(got[0].Urgencies, []string{"high", "low"}) {
			t.Fatalf("after restart = %+v", got)
		}
		if err := db2.Unsubscribe(ctx, got[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db2.Subscription(ctx, got[0].ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Subscription after Unsubscribe = %v, want ErrNotFound", err)
		}
		if err := db2.Unsubscribe(ctx, got[0].ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("second Unsubscribe = %v, want ErrNotFound", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		if err := db2Must(t).Subscribe(ctx, domain.Subscription{ChannelID: "C1"}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Subscribe without service = %v, want ErrInvalid", err)
		}
	})
}

func db2Must(t *testing.T) *DB {
	db, _ := openTemp(t)
	return db
}

// A stakeholders' subscription is kept as one, and resubscribing the same
// channel to the same service switches it between cards and status updates.
func TestSubscriptionsStakeholders(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	stake := domain.Subscription{ChannelID: "C9", ServiceID: "PSVC1", ServiceName: "Checkout API",
		Urgencies: []string{"high", "low"}, Stakeholders: true, CreatedBy: "U1"}
	if err := db.Subscribe(ctx, stake); err != nil {
		t.Fatal(err)
	}
	if err := db.Subscribe(ctx, domain.Subscription{ChannelID: "C1", ServiceID: "PSVC1", ServiceName: "Checkout API",
		Urgencies: []string{"high"}, CreatedBy: "U1"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.SubscriptionsFor(ctx, "PSVC1")
	if err != nil || len(got) != 2 || !got[0].Stakeholders || got[1].Stakeholders {
		t.Fatalf("SubscriptionsFor = %+v, %v; want C9 for stakeholders, C1 for cards", got, err)
	}
	if got[0].Wants("high") || !got[0].WantsStatusUpdates("low") {
		t.Errorf("stakeholders' subscription = %+v: wants cards or not status updates", got[0])
	}
	cards := stake
	cards.Stakeholders = false
	if err := db.Subscribe(ctx, cards); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Subscriptions(ctx, "C9"); len(got) != 1 || got[0].Stakeholders {
		t.Errorf("after resubscribing for cards = %+v", got)
	}
	bad := stake
	bad.Events = []string{domain.SubscriptionNotes}
	if err := db.Subscribe(ctx, bad); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("stakeholders with thread replies = %v, want ErrInvalid", err)
	}
}
