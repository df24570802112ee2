package domain

import (
	"errors"
	"testing"
)

// A stakeholders' subscription gets status updates and never cards.
func TestSubscriptionStakeholders(t *testing.T) {
	cards := Subscription{ChannelID: "C1", ServiceID: "S1", Urgencies: []string{"high"}}
	stake := Subscription{ChannelID: "C2", ServiceID: "S1", Urgencies: []string{"high"}, Stakeholders: true}
	for _, tt := range []struct {
		name          string
		sub           Subscription
		urgency       string
		cards, status bool
	}{
		{"CardsHigh", cards, "high", true, false},
		{"CardsLow", cards, "low", false, false},
		{"StakeholdersHigh", stake, "high", false, true},
		{"StakeholdersLow", stake, "low", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sub.Wants(tt.urgency); got != tt.cards {
				t.Errorf("Wants(%s) = %v, want %v", tt.urgency, got, tt.cards)
			}
			if got := tt.sub.WantsStatusUpdates(tt.urgency); got != tt.status {
				t.Errorf("WantsStatusUpdates(%s) = %v, want %v", tt.urgency, got, tt.status)
			}
		})
	}
	for _, tt := range []struct {
		name string
		sub  Subscription
		ok   bool
	}{
		{"Cards", cards, true},
		{"Stakeholders", stake, true},
		{"StakeholdersWithReplies", Subscription{ChannelID: "C2", ServiceID: "S1", Urgencies: []string{"high"}, Stakeholders: true, Events: []string{SubscriptionNotes}}, false},
		{"StakeholdersWithoutUrgency", Subscription{ChannelID: "C2", ServiceID: "S1", Stakeholders: true}, false},
	} {
		t.Run("Validate"+tt.name, func(t *testing.T) {
			err := tt.sub.Validate()
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
