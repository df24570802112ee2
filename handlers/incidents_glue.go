package handlers

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/incidents"
	"github.com/tobanbot/toban/handlers/subscriptions"
)

// The incident feature (handlers/incidents: /toban incidents, trigger and
// link, incident cards, storm digests) as the router reaches it: a nil
// App.Incidents is a feature that is not configured, and says so.

var incidentsNotConfigured = chat.Message{Text: chat.NotConfigured}

// incidentsFeature is the feature's registration with the router.
func (a *App) incidentsFeature() Feature {
	clicks := map[string]clickFunc{subscriptions.ActionRemove: a.removeSubscription}
	for _, id := range incidents.CardClickIDs {
		clicks[id] = a.incidentClick
	}
	clicks[incidents.ActionMore] = a.moreClick
	for _, id := range incidents.BulkClickIDs {
		clicks[id] = a.bulkClick
	}
	for _, id := range incidents.DigestClickIDs {
		clicks[id] = a.digestClick
	}
	submissions := map[string]submitFunc{subscriptions.ViewSubscribe: a.subscriptionSubmission}
	for _, id := range incidents.SubmissionIDs {
		submissions[id] = a.incidentSubmission
	}
	return Feature{Name: "incident",
		Commands: []Subcommand{
			{"incidents", "/toban incidents [mine|all|<service>]", "open incidents, with buttons to acknowledge and resolve",
				func(c Command, in invocation) chat.Response {
					if a.Incidents == nil {
						return chat.Response{Ack: chat.Ephemeral(incidentsNotConfigured)}
					}
					return a.Incidents.Command(c.Args, in.UserID, in.ResponseURL)
				}},
		},
		Clicks:      clicks,
		Submissions: submissions,
		Suggestions: map[string]suggestFunc{incidents.ActionServiceSuggest: a.suggestServices},
	}
}

func (a *App) triggerCommand(in invocation) chat.Response {
	if a.Incidents == nil {
		return chat.Response{Ack: chat.Ephemeral(incidentsNotConfigured)}
	}
	return a.Incidents.TriggerCommand(homeChannel(in), in.TriggerID)
}

func (a *App) link(c Command, in invocation) chat.Response {
	if a.Incidents == nil {
		return chat.Response{Ack: chat.Ephemeral(incidentsNotConfigured)}
	}
	return a.Incidents.Link(c.Args, in.UserID, in.ResponseURL, usageMessage)
}

func (a *App) incidentClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	if a.Incidents == nil {
		if act.ActionID == incidents.ActionOpenInPD {
			return chat.Response{} // Open in PagerDuty: Slack opened the link
		}
		return a.respondLater(chat.PlaceOf(cb).ResponseURL, incidentsNotConfigured)
	}
	return a.Incidents.Click(cb, act)
}

func (a *App) bulkClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	if a.Incidents == nil {
		return a.respondLater(chat.PlaceOf(cb).ResponseURL, incidentsNotConfigured)
	}
	return a.Incidents.BulkClick(cb, act)
}

func (a *App) digestClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	if a.Incidents == nil {
		return a.respondLater(chat.PlaceOf(cb).ResponseURL, chat.Message{Text: ":thinking_face: That digest is from an older toban."})
	}
	return a.Incidents.DigestClick(cb, act)
}

// incidentSubmission serves the feature's modals, and any modal no
// feature registered (which the feature refuses as it always did).
func (a *App) incidentSubmission(_ context.Context, cb slack.InteractionCallback) chat.Response {
	if a.Incidents == nil {
		if _, err := chat.DecodeModalState(cb.View.PrivateMetadata); err != nil {
			return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.UserMessage(err)})}
		}
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.NotConfigured})}
	}
	return a.Incidents.Submission(cb)
}

func (a *App) suggestServices(ctx context.Context, query string) chat.Response {
	if a.Incidents == nil {
		return chat.Response{Ack: slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}}
	}
	return a.Incidents.SuggestServices(ctx, query)
}
