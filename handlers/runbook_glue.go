package handlers

import (
	"context"
	"errors"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
	"github.com/tobanbot/toban/handlers/incidents"
	"github.com/tobanbot/toban/handlers/runbook"
)

// runbookNotConfigured answers runbook commands and buttons when no
// actions file is configured.
var runbookNotConfigured = chat.Message{Text: "Runbook actions are not configured: an admin sets TOBAN_ACTIONS to an actions file (see `toban actions check`)."}

// runbookFeature is the runbook's registration with the router.
func (a *App) runbookFeature() Feature {
	return Feature{Name: "runbook",
		Commands: []Subcommand{{"runbook", "/toban runbook", "runbook actions for incidents and their last results (admins)", a.runbookCommand}},
		Clicks:   map[string]clickFunc{"runbook.": a.runbookClick},
	}
}

func (a *App) runbookCommand(_ Command, in invocation) chat.Response {
	if a.Runbook == nil {
		return chat.Response{Ack: chat.Ephemeral(runbookNotConfigured)}
	}
	if !a.Admins[in.UserID] {
		return chat.Response{Ack: chat.Ephemeral(chat.OnlyAdmins)}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		msg, err := a.Runbook.Command(ctx)
		if err != nil {
			return err
		}
		return a.Slack.Respond(ctx, in.ResponseURL, msg)
	}}
}

// runbookClick hands a runbook button to the feature with who clicked:
// admin or not, and the PagerDuty user they act as (none when not linked;
// the feature decides whether the action needs one).
func (a *App) runbookClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	if a.Runbook == nil {
		return a.respondLater(place.ResponseURL, runbookNotConfigured)
	}
	return chat.Response{Then: chat.Once(a.Clicks, chat.ClickKey(cb, act, act.Value), func(ctx context.Context) error {
		who := runbook.Clicker{SlackUserID: place.UserID, Admin: a.Admins[place.UserID]}
		person, err := a.Identity.ActingAs(ctx, place.UserID)
		var notLinked *identity.NotLinkedError
		switch {
		case err == nil:
			who.Person = person
		case !errors.As(err, &notLinked):
			return err
		}
		if err := a.Runbook.Click(ctx, who, act); err != nil {
			if errors.Is(err, domain.ErrInvalid) {
				return chat.TellClicker(ctx, a.Slack, place, chat.Message{Text: chat.UserMessage(err)})
			}
			return err
		}
		return nil
	})}
}

// runbookThreads finds the threads of an incident's cards for the runbook,
// and refreshes the cards, through the incident feature.
type runbookThreads struct{ f *incidents.Feature }

// RefreshCards shows PagerDuty's current state of the incident on its
// cards, under the incident's lock like a click.
func (t runbookThreads) RefreshCards(ctx context.Context, incidentID string) {
	t.f.RefreshCards(ctx, incidentID)
}

// IncidentThreads are the threads of the incident's posted cards.
func (t runbookThreads) IncidentThreads(ctx context.Context, incidentID string) ([]runbook.Thread, error) {
	cards, err := t.f.CardThreads(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	out := make([]runbook.Thread, 0, len(cards))
	for _, c := range cards {
		out = append(out, runbook.Thread{ChannelID: c.ChannelID, TS: c.TS})
	}
	return out, nil
}

// RunbookThreads is the runbook feature's Threads port over the cards the
// incident feature keeps.
func RunbookThreads(f *incidents.Feature) runbook.Threads { return runbookThreads{f} }
