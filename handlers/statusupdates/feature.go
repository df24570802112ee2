// Package statusupdates is the status updates feature: "Post status
// update" in an incident card's "More actions…" menu opens a modal, and
// the text is posted in PagerDuty as the clicker (status_updates, which
// notifies the incident's stakeholders), once in each card's thread and in
// every stakeholders' channel of the incident's service (/toban subscribe,
// "Status updates only"). It also shows what PagerDuty reports by webhook:
// status updates published there, and responders asked or answering —
// once each, so that what toban did itself is not shown again.
//
// It owns the "statusupdate." callback IDs and the feed hook FeedEvent.
// It reaches Slack, PagerDuty and the database only through the ports
// declared here, given concrete values in cmd/toban. It may import domain
// and the toolkit (handlers/chat, handlers/identity); never storage,
// pagerduty, bot, webhook, poller, the router (handlers) or another
// feature.
package statusupdates

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// The feature's IDs. Every one starts with Prefix, which the router gives
// this feature.
const (
	// Prefix starts every callback ID the feature owns.
	Prefix = "statusupdate."
	// ViewPost is the "Post status update" modal's callback ID.
	ViewPost = "statusupdate.post"
)

// The modal's one input.
const (
	blockMessage  = "message"
	actionMessage = "message"
)

// Slack is the part of Slack's Web API the feature uses: modals, thread
// lines, stakeholders' channels and answers to the clicker.
type Slack interface {
	chat.Teller
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (viewID string, err error)
}

// PagerDuty is the part of PagerDuty the feature calls. PostStatusUpdate
// acts as from (PagerDuty's From header) and returns the update with the
// ID PagerDuty gave it.
type PagerDuty interface {
	Incident(ctx context.Context, id string) (domain.Incident, error)
	PostStatusUpdate(ctx context.Context, from domain.Person, incidentID, message string) (domain.StatusUpdate, error)
}

// Store is toban's database as the feature uses it (*storage.DB).
type Store interface {
	// FirstClick claims a key once: a submitted modal, a thread line.
	FirstClick(ctx context.Context, key string) (bool, error)
	CardsForIncident(ctx context.Context, incidentID string) ([]domain.Card, error)
	SubscriptionsFor(ctx context.Context, serviceID string) ([]domain.Subscription, error)
	RecordActivity(ctx context.Context, a domain.Activity) error
}

// Feature is the status updates feature. cmd/toban makes one only when
// PagerDuty is configured; the router answers "not configured" without.
type Feature struct {
	Slack     Slack
	PagerDuty PagerDuty
	Store     Store
	// Identity says who a Slack user acts as in PagerDuty.
	Identity identity.Actor
	Now      func() time.Time
	Log      zerolog.Logger
}

// now is toban's clock; a Feature without one is a wiring mistake.
func (f *Feature) now() time.Time { return chat.Now(f.Now, "handlers/statusupdates: Feature.Now") }

// Keys that make a line appear once, shared with the other features that
// post the same change (see the helper brief's key formats).
func threadKey(incidentID, statusUpdateID string) string {
	return "thread:" + incidentID + ":status_update:" + statusUpdateID
}

func stakeholdersKey(incidentID, statusUpdateID, channelID string) string {
	return "thread:" + incidentID + ":stakeholders:" + statusUpdateID + ":" + channelID
}

func responderKey(incidentID, userID string) string {
	return "thread:" + incidentID + ":responder:" + userID
}

func replyKey(incidentID, userID, state string) string {
	return "thread:" + incidentID + ":responder_reply:" + userID + ":" + state
}
