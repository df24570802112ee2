package chat

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tobanbot/toban/domain"
)

type cardList []domain.Card

func (l cardList) CardsForIncident(context.Context, string) ([]domain.Card, error) { return l, nil }

type posts struct {
	got    []string // channel/thread
	failIn string
}

func (p *posts) PostMessage(_ context.Context, channel string, msg Message) (string, error) {
	if channel == p.failIn {
		return "", errors.New("channel_not_found")
	}
	p.got = append(p.got, channel+"/"+msg.ThreadTS)
	return "1.0", nil
}

func TestInThreads(t *testing.T) {
	cards := cardList{
		{IncidentID: "Q1", ChannelID: "C1", TS: "1.1"},
		{IncidentID: "Q1", ChannelID: "C2", TS: ""}, // post never finished
		{IncidentID: "Q1", ChannelID: "C3", TS: "3.3", ThreadTS: "3.0"},
		{IncidentID: "Q1", ChannelID: "C4", TS: "4.4"},
	}
	p := &posts{failIn: "C4"}
	n, err := InThreads(context.Background(), cards, p, "Q1", "line")
	if got, want := p.got, []string{"C1/1.1", "C3/3.0"}; !slices.Equal(got, want) {
		t.Errorf("posted in %q, want %q", got, want)
	}
	if n != 2 {
		t.Errorf("reached %d, want 2", n)
	}
	if err == nil {
		t.Error("the card C4 could not reach is not reported")
	}
}
