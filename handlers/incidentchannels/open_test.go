package incidentchannels

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	place := chat.Place{UserID: "U1", ChannelID: "C1", MessageTS: "1.0"}
	newOpen := func() (*Feature, *memory) {
		f, m, _ := newMemoryFeature(t0)
		m.row, m.inc.Status = nil, domain.StatusTriggered
		m.cards = []domain.Card{{IncidentID: "Q1", ChannelID: "C1", TS: "1.0"}}
		return f, m
	}
	t.Run("NameTakenTwice", func(t *testing.T) {
		f, m := newOpen()
		m.createErrs = []error{domain.ErrChannelNameTaken, domain.ErrChannelNameTaken}
		if err := f.open(ctx, place, "Q1"); err != nil {
			t.Fatal(err)
		}
		if want := []string{"inc-42-db-down", "inc-42-db-down-2", "inc-42-db-down-3"}; !slices.Equal(m.tried, want) {
			t.Errorf("names tried = %q, want %q", m.tried, want)
		}
		if m.row.Name != "inc-42-db-down-3" || m.row.ChannelID != "C9" {
			t.Errorf("row = %+v", m.row)
		}
		if len(m.posts) != 1 || !strings.Contains(m.posts[0], "C1: :speech_balloon: <@U1> opened <#C9>") {
			t.Errorf("posts = %q, want the link in C1's card thread", m.posts)
		}
	})
	t.Run("FailureGivesTheClaimUp", func(t *testing.T) {
		f, m := newOpen()
		m.createErrs = []error{errors.New("slack down")}
		if err := f.open(ctx, place, "Q1"); err == nil || !strings.Contains(err.Error(), "open channel of #42") {
			t.Fatalf("err = %v", err)
		}
		if m.row != nil {
			t.Fatalf("claim kept: %+v; a later click could never open the channel", m.row)
		}
		if err := f.open(ctx, place, "Q1"); err != nil || m.row == nil || m.row.ChannelID != "C9" {
			t.Errorf("second try: %v, %+v", err, m.row)
		}
	})
	t.Run("ResolvedOpensNothing", func(t *testing.T) {
		f, m := newOpen()
		m.inc.Status = domain.StatusResolved
		if err := f.open(ctx, place, "Q1"); err != nil || len(m.tried) != 0 || m.row != nil {
			t.Errorf("err %v, tried %q, row %+v; a resolved incident gets no channel", err, m.tried, m.row)
		}
	})
	t.Run("AllNamesTaken", func(t *testing.T) {
		f, m := newOpen()
		for range maxNameTries {
			m.createErrs = append(m.createErrs, domain.ErrChannelNameTaken)
		}
		if err := f.open(ctx, place, "Q1"); err == nil || !strings.Contains(err.Error(), "are all taken") {
			t.Errorf("err = %v", err)
		}
	})
}
