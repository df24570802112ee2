package chat

import (
	"context"
	"errors"
	"fmt"

	"github.com/tobanbot/toban/domain"
)

// CardLister lists an incident's cards (one per channel).
type CardLister interface {
	CardsForIncident(ctx context.Context, incidentID string) ([]domain.Card, error)
}

// Poster posts a message in a channel.
type Poster interface {
	PostMessage(ctx context.Context, channel string, msg Message) (ts string, err error)
}

// InThreads posts line in the thread of every posted card of the incident
// (the card's own thread when the card is itself a reply) and returns how
// many it reached; the error joins the cards it could not reach, for the
// caller to log once.
func InThreads(ctx context.Context, cards CardLister, s Poster, incidentID, line string) (int, error) {
	list, err := cards.CardsForIncident(ctx, incidentID)
	if err != nil {
		return 0, fmt.Errorf("cards of %s: %w", incidentID, err)
	}
	posted := 0
	var errs []error
	for _, c := range list {
		if c.TS == "" {
			continue // a card whose post did not finish has no thread yet
		}
		thread := c.TS
		if c.ThreadTS != "" {
			thread = c.ThreadTS
		}
		if _, err := s.PostMessage(ctx, c.ChannelID, Message{Text: line, ThreadTS: thread}); err != nil {
			errs = append(errs, fmt.Errorf("thread of %s in %s: %w", incidentID, c.ChannelID, err))
			continue
		}
		posted++
	}
	return posted, errors.Join(errs...)
}
