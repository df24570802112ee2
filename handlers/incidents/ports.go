package incidents

import (
	"context"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// Incidents is the part of PagerDuty's incident API that the feature calls.
// Writes act as the given person (PagerDuty's From header).
type Incidents interface {
	Incident(ctx context.Context, id string) (domain.Incident, error)
	OpenIncidents(ctx context.Context, f domain.IncidentFilter) ([]domain.Incident, error)
	Acknowledge(ctx context.Context, id string, as domain.Person) (domain.Incident, error)
	Resolve(ctx context.Context, id string, as domain.Person) (domain.Incident, error)
	Escalate(ctx context.Context, id string, level int, as domain.Person) (domain.Incident, error)
	AddNote(ctx context.Context, id string, as domain.Person, content string) (domain.Note, error)
	CreateIncident(ctx context.Context, in domain.NewIncident, as domain.Person) (domain.Incident, error)
}

// Directory is the part of PagerDuty's directory that the feature reads.
type Directory interface {
	EscalationPolicy(ctx context.Context, id string) (domain.EscalationPolicy, error)
	CurrentLevel(ctx context.Context, inc domain.Incident) (int, error)
	Services(ctx context.Context, query string, limit int) ([]domain.Service, error)
	UserByEmail(ctx context.Context, email string) (domain.Person, error)
}

// PagerDuty is everything the feature needs from PagerDuty.
type PagerDuty interface {
	Incidents
	Directory
}

// Slack is the part of Slack's Web API that the feature uses: it answers
// through response_url, posts and updates messages and opens modals.
type Slack interface {
	// Respond answers through a response_url (valid for 30 minutes).
	Respond(ctx context.Context, responseURL string, msg chat.Message) error
	PostMessage(ctx context.Context, channel string, msg chat.Message) (ts string, err error)
	// UpdateMessage fails with domain.ErrNotFound when the message, or
	// toban's access to its channel, is gone for good.
	UpdateMessage(ctx context.Context, channel, ts string, msg chat.Message) error
	PostEphemeral(ctx context.Context, channel, user string, msg chat.Message) error
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (viewID string, err error)
	UpdateView(ctx context.Context, viewID string, view slack.ModalViewRequest) error
	// UserEmail returns the email of a Slack user's profile ("" if hidden).
	UserEmail(ctx context.Context, userID string) (string, error)
	MessageFinder
}

// Store is toban's database as the feature uses it: cards, activity,
// account links, click dedupe, incident locks and subscriptions.
type Store interface {
	SaveCard(ctx context.Context, c domain.Card) error
	CardIn(ctx context.Context, incidentID, channelID string) (domain.Card, error)
	CardsForIncident(ctx context.Context, incidentID string) ([]domain.Card, error)
	// CardsForIncidents reads the cards of a batch of incidents at once.
	CardsForIncidents(ctx context.Context, incidentIDs []string) (map[string][]domain.Card, error)
	MarkCardDirty(ctx context.Context, incidentID string) error
	// MarkCardsDirty is MarkCardDirty returning the cards after it.
	MarkCardsDirty(ctx context.Context, incidentID string) ([]domain.Card, error)
	DirtyCards(ctx context.Context, limit int) ([]domain.Card, error)
	MarkCardRendered(ctx context.Context, incidentID, channelID string, version int64) error
	DeleteCard(ctx context.Context, incidentID, channelID string) error
	RecordActivity(ctx context.Context, a domain.Activity) error
	Activities(ctx context.Context, incidentID string) ([]domain.Activity, error)
	SaveUserLink(ctx context.Context, l domain.UserLink) error
	UserLink(ctx context.Context, slackUserID string, maxAge time.Duration) (domain.UserLink, error)
	// SlackUsersFor maps PagerDuty users to their linked Slack users;
	// the unlinked are missing.
	SlackUsersFor(ctx context.Context, pdUserIDs []string) (map[string]string, error)
	FirstClick(ctx context.Context, key string) (bool, error)
	// LockIncident serialises work on one incident across replicas (a
	// click's re-read and write); the caller defers the unlock.
	LockIncident(ctx context.Context, incidentID string) (unlock func(), err error)
	Subscriptions(ctx context.Context, channelID string) ([]domain.Subscription, error)
	SubscriptionsFor(ctx context.Context, serviceID string) ([]domain.Subscription, error)
}

// MessageFinder finds a message toban posted, by the metadata it attached,
// so that a card posted just before a crash is found instead of posted
// twice.
type MessageFinder interface {
	FindMessage(ctx context.Context, channelID string, since time.Time, eventType, key string) (ts string, found bool, err error)
}
