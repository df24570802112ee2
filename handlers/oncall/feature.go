// Package oncall is the on-call feature: /toban oncall (who is on call,
// with Take on-call buttons and the override they create), /toban oncall
// follow and unfollow (shift-change and gap announcements in a channel),
// /toban shifts import (overrides from a CSV file shared in Slack, with
// Undo), and Run, the loop that announces shifts and gaps and, through the
// Windows port, closes the cards of maintenance windows that ended.
//
// It owns the "oncall." action and callback IDs, the
// schedule type-ahead and the on-call change topic. It reaches Slack,
// PagerDuty and the database only through the ports declared here, given
// concrete values in cmd/toban. It may import domain, scheduler,
// shiftfile and the toolkit (handlers/chat, handlers/identity); never
// storage, pagerduty, bot, webhook, poller, the router (handlers) or
// another feature.
package oncall

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
	"github.com/tobanbot/toban/scheduler"
)

// Topic is the change topic of follows and maintenance windows: the
// replica that runs the on-call loop (Run) must hear of a change made on
// another one, and there calls Wake.
const Topic = "oncall"

// ActionTakeShift takes a schedule's pager until its current shift ends
// (value: the schedule's name); the App Home offers it too.
const ActionTakeShift = actionTakeShift

// Slack is the part of Slack's Web API the feature uses.
type Slack interface {
	chat.Teller
	// UpdateMessage fails with domain.ErrNotFound when the message, or
	// toban's access to its channel, is gone for good.
	UpdateMessage(ctx context.Context, channel, ts string, msg chat.Message) error
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (viewID string, err error)
	UpdateView(ctx context.Context, viewID string, view slack.ModalViewRequest) error
}

// PagerDuty is PagerDuty's directory as the feature reads it: who is on
// call, schedules by name, people by email (for shift files).
type PagerDuty interface {
	// OnCalls lists the on-call entries, now and in the coming days, of the
	// escalation policies or schedules whose name contains filter (all
	// when filter is empty). Entries always on call have zero Start/End.
	OnCalls(ctx context.Context, filter string) ([]domain.OnCall, error)
	// Schedules lists schedules whose name matches query (all for "").
	Schedules(ctx context.Context, query string) ([]domain.Schedule, error)
	// UserByEmail fails with domain.ErrNotFound when nobody has the email.
	UserByEmail(ctx context.Context, email string) (domain.Person, error)
}

// Ops is the part of PagerDuty that on-call operations write and read
// (*pagerduty.Client).
type Ops interface {
	CreateOverride(ctx context.Context, scheduleID string, user domain.Person, start, end time.Time) (domain.Override, error)
	CreateOverrides(ctx context.Context, scheduleID string, items []domain.NewOverride) ([]domain.OverrideResult, error)
	DeleteOverride(ctx context.Context, scheduleID, overrideID string) error
	Overrides(ctx context.Context, scheduleID string, since, until time.Time) ([]domain.Override, error)
	ScheduleShifts(ctx context.Context, scheduleID string, since, until time.Time) (domain.Schedule, []domain.Shift, error)
}

// Store is the part of the database on-call operations use (*storage.DB).
type Store interface {
	Follow(ctx context.Context, f domain.Follow) error
	Unfollow(ctx context.Context, channelID, scheduleID string) error
	Follows(ctx context.Context, channelID string) ([]domain.Follow, error)
	ClaimAnnouncement(ctx context.Context, key string) (bool, error)
	ReleaseAnnouncement(ctx context.Context, key string) error
	// ForgetAnnouncementsBefore prunes announcement claims older than t.
	ForgetAnnouncementsBefore(ctx context.Context, t time.Time) (int64, error)
}

// FileReader reads files people shared in Slack (*bot.WebAPI).
type FileReader interface {
	// NewestFile returns the newest file with extension ext that userID
	// shared in channelID: domain.ErrNotFound when none, domain.ErrInvalid
	// when over maxBytes.
	NewestFile(ctx context.Context, channelID, userID, ext string, maxBytes int64) (chat.SharedFile, error)
}

// Windows closes the cards of maintenance windows that ended (the
// maintenance feature); Run calls Tick with its own work.
type Windows interface {
	// Tick returns the next window end to watch (zero when none).
	Tick(ctx context.Context, now time.Time) time.Time
}

// Users finds the Slack user linked to a PagerDuty user, so that people
// are mentioned rather than named.
type Users interface {
	SlackUserFor(ctx context.Context, pdUserID string) (string, error)
}

// Feature is the on-call feature. It answers "not configured" itself while
// PagerDuty is nil, and "not available yet" while Ops or Store is nil.
type Feature struct {
	Slack Slack
	// PagerDuty is nil when PAGERDUTY_TOKEN is not set.
	PagerDuty PagerDuty
	// Ops and Store are nil when their adapters lack on-call operations.
	Ops   Ops
	Store Store
	// Windows, when set, has its ended windows closed by Run.
	Windows Windows
	// Files is nil when the Slack client cannot read shared files.
	Files FileReader
	// Users, when set, turns PagerDuty users into Slack mentions.
	Users    Users
	Identity identity.Actor
	// Clicks makes a click or a modal act once.
	Clicks chat.Clicks
	// Changed, when set, is told of a change to follows or windows
	// (Topic), for the replica that runs Run.
	Changed  func(topic string)
	Location *time.Location
	Now      func() time.Time
	Log      zerolog.Logger
	// Clock paces Run.
	Clock scheduler.Clock

	opsWaker chat.Waker
}

// now is toban's clock; a Feature without one is a wiring mistake.
func (oc *Feature) now() time.Time { return chat.Now(oc.Now, "oncall: Feature.Now") }

func (oc *Feature) location() *time.Location { return chat.Location(oc.Location) }

type onCallDeps struct {
	ops   Ops
	store Store
}

// onCallOpsDeps finds PagerDuty's and the database's on-call operations.
func (oc *Feature) onCallOpsDeps() (onCallDeps, bool) {
	return onCallDeps{oc.Ops, oc.Store}, oc.Ops != nil && oc.Store != nil
}

// opsWake wakes the on-call runner when follows or windows change.
func (oc *Feature) opsWake() *chat.Waker { return &oc.opsWaker }

// wakeOnCallOps wakes the runner here and, through Changed, wherever the
// on-call lease is held.
func (oc *Feature) wakeOnCallOps() {
	oc.opsWake().Wake()
	if oc.Changed != nil {
		oc.Changed(Topic)
	}
}

// WindowsChanged wakes Run, here and wherever the on-call lease is held,
// after a maintenance window was created, extended or ended.
func (oc *Feature) WindowsChanged() { oc.wakeOnCallOps() }

// Wake makes the on-call runner recompute its next work now, after
// another replica changed follows or maintenance windows.
func (oc *Feature) Wake() { oc.opsWake().Wake() }

// Command runs /toban oncall or /toban shifts (name) with its arguments.
func (oc *Feature) Command(name string, args []string, in chat.Invocation) chat.Response {
	if name == "shifts" {
		return oc.shiftsCommand(args, in)
	}
	return oc.onCallCommand(args, in)
}

// Click handles the buttons of the "oncall." action IDs.
func (oc *Feature) Click(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	return oc.onCallOpsClick(cb, act)
}

// Submission handles the modals of the "oncall." callback IDs.
func (oc *Feature) Submission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	return oc.onCallOpsSubmission(ctx, cb)
}
