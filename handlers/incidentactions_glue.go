package handlers

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/incidentactions"
)

// The incident actions feature (handlers/incidentactions: Reassign…,
// Snooze…, Change priority…, Add responders… from a card's "More
// actions…") as the router reaches it: a nil App.IncidentActions is not
// configured, and says so. moreClick hands it its menu choices.

// incidentActionsFeature is the feature's registration with the router:
// its modals and its type-ahead of people and escalation policies.
func (a *App) incidentActionsFeature() Feature {
	return Feature{Name: "incidentactions",
		Submissions: map[string]submitFunc{incidentactions.Prefix: func(ctx context.Context, cb slack.InteractionCallback) chat.Response {
			if a.IncidentActions != nil {
				return a.IncidentActions.Submission(ctx, cb)
			}
			return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.NotConfigured})}
		}},
		Suggestions: map[string]suggestFunc{incidentactions.Prefix: func(ctx context.Context, query string) chat.Response {
			if a.IncidentActions != nil {
				return a.IncidentActions.Suggest(ctx, query)
			}
			return chat.Response{Ack: slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}}
		}},
	}
}
