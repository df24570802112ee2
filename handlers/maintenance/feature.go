// Package maintenance is the maintenance-window feature: /toban
// maintenance (the form, its confirmation and the window's card) and
// /toban maintenance list, Extend and End on a card, and Tick, which
// closes the cards of windows whose end has come. The on-call feature's
// loop calls Tick, so one singleton watches shifts and windows.
//
// It owns the "maint." action and callback IDs. It reaches Slack,
// PagerDuty and the database only through the ports declared here, given
// concrete values in cmd/toban. It may import domain and the toolkit
// (handlers/chat, handlers/identity); never storage, pagerduty, bot,
// webhook, poller, the router (handlers) or another feature.
package maintenance

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// retry is how soon Tick looks again after PagerDuty or the database
// failed.
const retry = time.Minute

// Slack is the part of Slack's Web API the feature uses.
type Slack interface {
	chat.Teller
	// UpdateMessage fails with domain.ErrNotFound when the message, or
	// toban's access to its channel, is gone for good.
	UpdateMessage(ctx context.Context, channel, ts string, msg chat.Message) error
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (viewID string, err error)
}

// Windows is PagerDuty's maintenance windows (*pagerduty.Client).
type Windows interface {
	CreateMaintenanceWindow(ctx context.Context, in domain.NewMaintenanceWindow, as domain.Person) (domain.MaintenanceWindow, error)
	MaintenanceWindow(ctx context.Context, id string) (domain.MaintenanceWindow, error)
	MaintenanceWindows(ctx context.Context) ([]domain.MaintenanceWindow, error)
	ExtendMaintenanceWindow(ctx context.Context, id string, end time.Time) (domain.MaintenanceWindow, error)
	EndMaintenanceWindow(ctx context.Context, id string) error
}

// Store keeps the windows' cards (*storage.DB).
type Store interface {
	SaveMaintenanceCard(ctx context.Context, c domain.MaintenanceCard) error
	SetMaintenanceCardTS(ctx context.Context, windowID, ts string) error
	MaintenanceCard(ctx context.Context, windowID string) (domain.MaintenanceCard, error)
	OpenMaintenanceCards(ctx context.Context) ([]domain.MaintenanceCard, error)
	ExtendMaintenanceCard(ctx context.Context, windowID string, end time.Time, by string) error
	EndMaintenanceCard(ctx context.Context, windowID, state, by string, at time.Time) (bool, error)
}

// Loop is the loop that calls Tick (the on-call feature's Run), told when
// a window changed so that it recomputes when it next has work, here and
// on the replica that runs it.
type Loop interface {
	WindowsChanged()
}

// Feature is the maintenance-window feature. A nil *Feature is a feature
// that is not configured (no PagerDuty token); the router then says so.
// While Windows or Store is nil it says it is not available yet.
type Feature struct {
	Slack    Slack
	Windows  Windows
	Store    Store
	Identity identity.Actor
	// Clicks makes a click or a modal act once.
	Clicks chat.Clicks
	// Loop, when set, is told of created, extended and ended windows.
	Loop     Loop
	Location *time.Location
	Now      func() time.Time
	Log      zerolog.Logger
}

// now is toban's clock; a Feature without one is a wiring mistake.
func (mt *Feature) now() time.Time { return chat.Now(mt.Now, "maintenance: Feature.Now") }

func (mt *Feature) location() *time.Location { return chat.Location(mt.Location) }

func (mt *Feature) available() bool { return mt.Windows != nil && mt.Store != nil }

func (mt *Feature) windowsChanged() {
	if mt.Loop != nil {
		mt.Loop.WindowsChanged()
	}
}

// Command runs /toban maintenance [list].
func (mt *Feature) Command(args []string, in chat.Invocation) chat.Response {
	return mt.maintenanceCommand(args, in)
}

// Click handles Extend and End on a window's card.
func (mt *Feature) Click(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	return mt.maintenanceClick(cb, act)
}

// Submission handles the form and its confirmation.
func (mt *Feature) Submission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	return mt.maintenanceSubmission(ctx, cb)
}
