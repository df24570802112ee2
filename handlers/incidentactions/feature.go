// Package incidentactions is the part of an incident card's "More
// actions…" menu that changes who handles the incident and when:
// Reassign…, Snooze…, Change priority… and Add responders…. Each opens a
// modal, and each submission acts in PagerDuty as the clicker's own linked
// user (the From header), on an incident re-read under its lock, then
// records a domain.Activity, has the cards re-rendered and says what
// happened once in each card's thread.
//
// It owns the "incidentaction." callback and action IDs. It reaches Slack,
// PagerDuty, the database and the incident cards only through the ports
// declared here, given concrete values in cmd/toban. It may import domain
// and the toolkit (handlers/chat, handlers/identity); never storage,
// pagerduty, bot, webhook, poller, the router (handlers) or another
// feature (internal/archtest checks it).
package incidentactions

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// Prefix starts every callback and action ID the feature owns; the router
// gives it this feature.
const Prefix = "incidentaction."

// The kinds of action, as the card's menu names them
// (incidents.MoreReassign…); the router passes them to Open.
const (
	KindReassign   = "reassign"
	KindSnooze     = "snooze"
	KindPriority   = "priority"
	KindResponders = "responders"
)

// Callback IDs of the modals and action IDs of their type-aheads.
const (
	ViewReassign   = Prefix + "reassign"
	ViewSnooze     = Prefix + "snooze"
	ViewPriority   = Prefix + "priority"
	ViewResponders = Prefix + "responders"
	// ActionTarget is the reassign modal's type-ahead of users and
	// escalation policies; ActionTargets the responders modal's (several).
	ActionTarget  = Prefix + "target"
	ActionTargets = Prefix + "targets"
)

// Incidents is the part of PagerDuty's incident API the feature calls.
// Writes act as from (PagerDuty's From header).
type Incidents interface {
	Incident(ctx context.Context, id string) (domain.Incident, error)
	Reassign(ctx context.Context, from domain.Person, incidentID string, to domain.Reassignment) (domain.Incident, error)
	Snooze(ctx context.Context, from domain.Person, incidentID string, d time.Duration) (domain.Incident, error)
	SetPriority(ctx context.Context, from domain.Person, incidentID, priorityID string) (domain.Incident, error)
	AddResponders(ctx context.Context, from domain.Person, incidentID, requesterID, message string, targets []domain.ResponderTarget) ([]domain.Responder, error)
	// Priorities lists the account's priorities, most severe first; none
	// when the account has them turned off.
	Priorities(ctx context.Context) ([]domain.Priority, error)
}

// Directory is the part of PagerDuty's directory the type-aheads search.
type Directory interface {
	// Users finds at most limit users whose name or email contains query.
	Users(ctx context.Context, query string, limit int) ([]domain.Person, error)
	EscalationPolicies(ctx context.Context) ([]domain.EscalationPolicy, error)
}

// Slack is the part of Slack's Web API the feature uses: answers to the
// clicker, thread replies and modals.
type Slack interface {
	chat.Teller
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (viewID string, err error)
}

// Store is toban's database as the feature uses it.
type Store interface {
	chat.Clicks
	// LockIncident serialises work on one incident across replicas; the
	// caller defers the unlock.
	LockIncident(ctx context.Context, incidentID string) (unlock func(), err error)
	RecordActivity(ctx context.Context, a domain.Activity) error
	// MarkCardDirty records that every card of the incident must be
	// rendered again (card sync retries until it is).
	MarkCardDirty(ctx context.Context, incidentID string) error
	SaveCard(ctx context.Context, c domain.Card) error
	CardsForIncident(ctx context.Context, incidentID string) ([]domain.Card, error)
	// SlackUserFor is the Slack user linked to a PagerDuty user;
	// domain.ErrNotFound when none is.
	SlackUserFor(ctx context.Context, pdUserID string) (string, error)
}

// Cards re-renders an incident's cards from PagerDuty's current state
// (the incident feature's RefreshCards), so a change shows at once rather
// than at the next card sync.
type Cards interface {
	RefreshCards(ctx context.Context, incidentID string)
}

// Feature is the incident actions feature. cmd/toban makes one only when
// PagerDuty is configured; the router answers "not configured" without.
type Feature struct {
	Slack     Slack
	PagerDuty Incidents
	Directory Directory
	Store     Store
	Cards     Cards
	// Identity is who a Slack user acts as in PagerDuty.
	Identity identity.Actor
	// Location is where times are shown to clients that cannot show each
	// reader's own zone (TOBAN_TIMEZONE).
	Location *time.Location
	Now      func() time.Time
	Log      zerolog.Logger

	eps policyCache
}

func (f *Feature) now() time.Time {
	return chat.Now(f.Now, "handlers/incidentactions: Feature.Now").In(chat.Location(f.Location))
}
