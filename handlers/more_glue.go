package handlers

import (
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/incidents"
)

// moreClick hands a choice in an incident card's "More actions…" menu to
// the feature that owns its kind; the card only draws the menu.
func (a *App) moreClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	kind, incidentID, ok := incidents.ParseMoreValue(act.SelectedOption.Value)
	olderMenu := func() chat.Response {
		a.Log.Debug().Str("value", act.SelectedOption.Value).Msg("unknown More actions option ignored")
		return a.respondLater(place.ResponseURL, chat.Message{Text: ":thinking_face: That menu belongs to an older version of toban. Run `/toban incidents` again."})
	}
	if !ok {
		return olderMenu()
	}
	switch kind {
	case incidents.MoreReassign, incidents.MoreSnooze, incidents.MorePriority, incidents.MoreResponders:
		if a.IncidentActions != nil {
			return a.IncidentActions.Open(kind, incidentID, cb, act)
		}
	case incidents.MoreChannel:
		if a.IncidentChannels != nil {
			return a.IncidentChannels.Open(cb, act, incidentID)
		}
	case incidents.MoreStatusUpdate:
		if a.StatusUpdates != nil {
			return a.StatusUpdates.Open(cb, act, incidentID)
		}
	default:
		// A kind this version does not draw: not "not configured".
		return olderMenu()
	}
	return a.respondLater(place.ResponseURL, chat.Message{Text: chat.NotConfigured})
}
