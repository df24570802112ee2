package domain

import (
	"errors"
	"time"
)

// The kinds of Activity.
const (
	ActivityTriggered    = "triggered"
	ActivityAcknowledged = "acknowledged"
	ActivityResolved     = "resolved"
	ActivityEscalated    = "escalated"
	ActivityNote         = "note"
	// What people do from a card's "More actions…" (handlers/incidentactions).
	ActivityReassigned = "reassigned"
	ActivitySnoozed    = "snoozed"
	ActivityPriority   = "priority"
	ActivityResponders = "responders"
	// ActivityChannel: someone opened the incident's channel (Detail: its
	// name).
	ActivityChannel = "channel"
	// ActivityRunbook: a runbook action ended (Detail: its result).
	ActivityRunbook = "runbook"
	// ActivityStatusUpdate is a status update posted through toban;
	// Detail is its text.
	ActivityStatusUpdate = "status_update"
)

var activityKinds = map[string]bool{
	ActivityTriggered: true, ActivityAcknowledged: true, ActivityResolved: true,
	ActivityEscalated: true, ActivityNote: true, ActivityStatusUpdate: true,
	ActivityReassigned: true, ActivitySnoozed: true, ActivityPriority: true, ActivityResponders: true,
	ActivityChannel: true, ActivityRunbook: true,
}

// Validate says what is wrong with an activity about to be recorded.
func (a Activity) Validate() error {
	switch {
	case a.IncidentID == "":
		return Invalid("an activity needs an incident")
	case !activityKinds[a.Kind]:
		return Invalid("unknown activity kind %q", a.Kind)
	}
	return nil
}

// Activity is one thing someone did to an incident through toban, shown on
// its cards ("Acknowledged by @alice at 10:02").
type Activity struct {
	IncidentID string
	// Kind is one of the Activity* constants.
	Kind        string
	SlackUserID string
	PDUserID    string
	// Detail qualifies Kind, e.g. "level 2" for an escalation.
	Detail string
	// At is when it happened, to the millisecond; zero means now.
	At time.Time
}

// ErrCardExists means the incident already has a card in that channel;
// SaveCard kept the first one, which CardIn returns.
var ErrCardExists = errors.New("card exists")

// Card links a PagerDuty incident to the Slack message that shows it in one
// channel. An incident has at most one card per channel.
//
// Version and Rendered make "this message must be updated" durable: every
// change to the incident bumps Version (MarkCardDirty), and a successful
// chat.update records the version it showed (MarkCardRendered). While
// Version > Rendered the card is stale and DirtyCards lists it, even after
// a failed call or a restart.
type Card struct {
	IncidentID string
	ChannelID  string
	TS         string
	// ThreadTS is empty for a top-level card.
	ThreadTS string
	// Version is bumped on every MarkCardDirty.
	Version int64
	// Rendered is the Version last successfully shown in Slack.
	Rendered int64
	// DirtySince is when the card went stale; zero while it is up to date.
	DirtySince time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Dirty reports whether Slack shows an older version than the newest.
func (c Card) Dirty() bool { return c.Version > c.Rendered }

// Digest is a storm's summary card for one service in one channel.
type Digest struct {
	ID          int64
	ChannelID   string
	ServiceID   string
	ServiceName string
	StartedAt   time.Time
	TS          string
	Version     int64
	Rendered    int64
	Members     []DigestMember
}

// DigestMember is an incident rolled into a digest.
type DigestMember struct {
	IncidentID string
	Number     int
	Title      string
	Status     Status
	AddedAt    time.Time
}

// InboxEvent is an incident event waiting in (or done with) the inbox.
type InboxEvent struct {
	// Seq is the event's place in arrival order; it is never reused.
	Seq   int64
	Event IncidentEvent
	// ReceivedAt is when the first delivery of the event was stored.
	ReceivedAt time.Time
	// Attempts counts the failed processing attempts so far.
	Attempts int
}

// UserLink says which PagerDuty user a Slack user is, so that toban acts in
// PagerDuty as the person who clicked.
type UserLink struct {
	SlackUserID string
	PDUserID    string
	PDName      string
	Email       string
	// Manual is set by /toban link; a manual link never expires and an
	// automatic lookup never overwrites it.
	Manual bool
	// CheckedAt is when the link was looked up; zero in SaveUserLink means now.
	CheckedAt time.Time
}

// Subscription makes a channel show a PagerDuty service's incidents.
type Subscription struct {
	ID          int64
	ChannelID   string
	ServiceID   string
	ServiceName string
	// Urgencies are the incident urgencies shown ("high", "low").
	Urgencies []string
	// Events are the changes replied in a card's thread: "notes",
	// "escalations", "reassignments". State changes always update the card.
	Events []string
	// Stakeholders makes the channel a stakeholders' channel: it gets the
	// status updates of the services' incidents (of Urgencies), and no
	// cards and no thread replies.
	Stakeholders bool
	CreatedBy    string
	CreatedAt    time.Time
}

// The thread replies a subscription can ask for (Subscription.Events).
const (
	SubscriptionNotes         = "notes"
	SubscriptionEscalations   = "escalations"
	SubscriptionReassignments = "reassignments"
)

// Wants reports whether the subscription shows incidents of urgency as
// cards; a stakeholders' subscription shows none.
func (s Subscription) Wants(urgency string) bool {
	return !s.Stakeholders && contains(s.Urgencies, urgency)
}

// WantsStatusUpdates reports whether the subscription is a stakeholders'
// one that gets the status updates of incidents of urgency.
func (s Subscription) WantsStatusUpdates(urgency string) bool {
	return s.Stakeholders && contains(s.Urgencies, urgency)
}

// Replies reports whether the subscription replies event kind in threads.
func (s Subscription) Replies(kind string) bool { return contains(s.Events, kind) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Validate says what is wrong with a card about to be saved.
func (c Card) Validate() error {
	switch {
	case c.IncidentID == "" || c.ChannelID == "" || c.TS == "":
		return Invalid("a card needs an incident, a channel and a message ts")
	case c.Rendered < 0 || c.Rendered > c.Version:
		return Invalid("rendered version %d is not between 0 and version %d", c.Rendered, c.Version)
	}
	return nil
}

// Validate says what is wrong with a subscription about to be saved.
func (s Subscription) Validate() error {
	switch {
	case s.ChannelID == "" || s.ServiceID == "" || len(s.Urgencies) == 0:
		return Invalid("a subscription needs a channel, a service and an urgency")
	case s.Stakeholders && len(s.Events) > 0:
		return Invalid("a stakeholders' subscription gets status updates only: it has no cards to reply to")
	}
	return nil
}

// Validate says what is wrong with a user link about to be saved.
func (l UserLink) Validate() error {
	if l.SlackUserID == "" || l.PDUserID == "" {
		return Invalid("a user link needs a Slack user and a PagerDuty user")
	}
	return nil
}
