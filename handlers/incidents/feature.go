// Package incidents is toban's incident feature: /toban incidents (with
// bulk acknowledge and resolve), /toban trigger and its modal, /toban link,
// the incident cards with their buttons, notes and escalations, the card
// sync that retries failed updates, and the feed that turns PagerDuty's
// events into cards and storm digests in subscribed channels. It also acts
// for the other features: who a Slack user is in PagerDuty (ActingAs), the
// list of services (AllServices), an incident's status line and the
// threads of its cards.
//
// It reaches Slack, PagerDuty and the database only through the ports
// declared here, given concrete values in cmd/toban. It may import domain,
// scheduler and the toolkit (handlers/chat, handlers/identity); never
// storage, pagerduty, bot, webhook, poller, the router (handlers) or
// another feature (internal/archtest checks it).
package incidents

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// Runbook is what the feature needs from the runbook feature: the row of
// actions a card shows, and the checks to run when an incident is
// triggered.
type Runbook interface {
	// CardBlockFor is the row of runbook actions for inc's card (nil for
	// none).
	CardBlockFor(inc domain.Incident) slack.Block
	// HasActions says whether any runbook action applies to inc.
	HasActions(inc domain.Incident) bool
	// Triggered runs the checks of a newly triggered incident.
	Triggered(inc domain.Incident)
}

// TaskCards is what the feature tells the task feature: incidents a task
// may have escalated into changed, and the task's cards should show it.
// The feed tells once per batch of events, each incident once.
type TaskCards interface {
	ShowIncidents(ctx context.Context, incidentIDs []string)
}

// Feature is the incident feature. A zero PagerDuty makes every incident
// command, button and form say PagerDuty is not configured.
type Feature struct {
	Slack Slack
	// PagerDuty is nil when PAGERDUTY_TOKEN is not set.
	PagerDuty PagerDuty
	Store     Store
	// Feed and Storm run the incident feed into subscribed channels.
	Feed  FeedStore
	Storm StormPolicy
	// Runbook shows runbook actions on cards and runs checks of new
	// incidents; nil when no actions file is configured.
	Runbook Runbook
	// Tasks is told of incident changes for the cards of tasks; nil for
	// none.
	Tasks TaskCards
	// EventHooks are told of every event the feed processes.
	EventHooks []EventHook
	// Location is where times are shown (TOBAN_TIMEZONE).
	Location *time.Location
	// Admins are the Slack user IDs allowed admin commands.
	Admins map[string]bool
	Now    func() time.Time
	Log    zerolog.Logger

	services serviceCache
}

// now is toban's clock. A Feature without one is a wiring mistake: falling
// back to the machine's clock would make tests depend on the day they run.
func (a *Feature) now() time.Time { return chat.Now(a.Now, "handlers/incidents: Feature.Now") }

func (a *Feature) location() *time.Location { return chat.Location(a.Location) }

// IncidentStatusLine is an incident's state as its cards show it, for the
// card of a task that escalated into it (tasks.Incidents).
func (a *Feature) IncidentStatusLine(ctx context.Context, incidentID string) (string, error) {
	if a.PagerDuty == nil {
		return "", domain.ErrNotConfigured
	}
	inc, err := a.PagerDuty.Incident(ctx, incidentID)
	if err != nil {
		return "", err
	}
	return incidentStatusLine(a.cardViewOf(ctx, inc)), nil
}

func incidentStatusLine(v cardView) string {
	inc := v.Incident
	s := fmt.Sprintf("<%s|PagerDuty incident #%d> %s", inc.URL, inc.Number, inc.Status)
	if n := len(inc.Acknowledgements); n > 0 && inc.Status == domain.StatusAcknowledged {
		s += " by " + v.person(inc.Acknowledgements[n-1].By)
	}
	return s
}

// RefreshCards shows PagerDuty's current state of the incident on its
// cards, under the incident's lock like a click (the runbook's Threads).
func (a *Feature) RefreshCards(ctx context.Context, incidentID string) {
	inc, unlock, err := a.lockIncident(ctx, incidentID)
	if err != nil {
		a.Log.Warn().Err(err).Str("incident", incidentID).Msg("runbook: card not refreshed")
		return
	}
	defer unlock()
	if err := a.Store.MarkCardDirty(ctx, incidentID); err != nil {
		a.Log.Warn().Err(err).Str("incident", incidentID).Msg("runbook: card not marked for update")
		return
	}
	a.renderCards(ctx, inc)
}

// CardThreads are the channel and timestamp of every posted card of the
// incident, for replies in their threads.
func (a *Feature) CardThreads(ctx context.Context, incidentID string) ([]domain.Card, error) {
	cards, err := a.Store.CardsForIncident(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Card, 0, len(cards))
	for _, c := range cards {
		if c.TS != "" {
			out = append(out, c)
		}
	}
	return out, nil
}

// The IDs the feature owns, for its registration with the router.
var (
	// CardClickIDs are the buttons of incident cards (Click).
	CardClickIDs = []string{actionAcknowledge, actionResolve, actionEscalate, actionAddNote, actionOpenInPD}
	// BulkClickIDs are the bulk buttons under /toban incidents (BulkClick).
	BulkClickIDs = []string{actionAckAllMine, actionResolveAllMine}
	// DigestClickIDs are the buttons of storm digests (DigestClick).
	DigestClickIDs = []string{actionDigestAckAll, actionDigestResolve, actionDigestList}
	// SubmissionIDs are the callback IDs of the feature's modals
	// (Submission).
	SubmissionIDs = []string{viewNote, viewEscalate, viewTrigger}
)

// ActionServiceSuggest is the external select that searches services
// (SuggestServices).
const ActionServiceSuggest = actionServiceSuggest

// ActionOpenInPD is the card's link button: Slack opens the link and
// still reports the click, which needs no answer.
const ActionOpenInPD = actionOpenInPD

// ActionAcknowledge and ActionResolve are the card's buttons; the App Home
// shows them beside the viewer's incidents, and Click answers them there.
const (
	ActionAcknowledge = actionAcknowledge
	ActionResolve     = actionResolve
)
