package incidents

import (
	"context"
	"fmt"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// PostCard posts the incident's card in channelID (an incident channel)
// and records it as one of the incident's cards, so that card sync keeps
// it equal to the others and its buttons act as on any card. It is done
// under the incident's lock, so a click elsewhere cannot change the
// incident between the read and the record unseen. A channel that has the
// card already gets no second one: its ts is returned.
func (a *Feature) PostCard(ctx context.Context, incidentID, channelID string) (string, error) {
	if a.PagerDuty == nil {
		return "", domain.ErrNotConfigured
	}
	inc, unlock, err := a.lockIncident(ctx, incidentID)
	if err != nil {
		return "", err
	}
	defer unlock()
	if c, err := a.Store.CardIn(ctx, incidentID, channelID); err == nil && c.TS != "" {
		return c.TS, nil
	}
	msg := renderCard(a.cardViewOf(ctx, inc))
	msg.Metadata = &chat.Metadata{EventType: metadataIncidentCard, Key: inc.ID}
	ts, err := a.Slack.PostMessage(ctx, channelID, msg)
	if err != nil {
		return "", fmt.Errorf("post card of %s in %s: %w", incidentID, channelID, err)
	}
	return ts, a.saveFeedCard(ctx, inc.ID, channelID, ts)
}
