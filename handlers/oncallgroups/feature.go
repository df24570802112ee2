// Package oncallgroups is the on-call user groups feature: /toban oncall
// group (admins only) ties a Slack user group (@oncall-primary) to a
// PagerDuty schedule or to one level of an escalation policy, and Run
// keeps each group's members equal to who is on call — at shift changes,
// overrides and takes — without ever emptying a group.
//
// It owns the "oncallgroup." action and callback IDs and the sync loop.
// It reaches Slack, PagerDuty, account links and the database only
// through the ports declared here, given concrete values in cmd/toban. It
// may import domain, scheduler and the toolkit (handlers/chat); never
// storage, pagerduty, bot, webhook, poller, the router (handlers) or
// another feature.
package oncallgroups

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// The feature's IDs. Every one starts with Prefix, which the router gives
// this feature.
const (
	// Prefix starts every action and callback ID the feature owns.
	Prefix = "oncallgroup."
	// ViewTie is the tie modal's callback ID.
	ViewTie = "oncallgroup.tie"
	// ActionRemove is a tie's Remove button.
	ActionRemove = "oncallgroup.remove"
	// ActionAdd opens the tie modal from the list.
	ActionAdd = "oncallgroup.add"
	// ActionSchedule is the modal's schedule type-ahead. It is the action
	// ID of every schedule picker, which the router's schedule type-ahead
	// answers.
	ActionSchedule = "schedule"
)

// Slack is the part of Slack's Web API the feature uses.
type Slack interface {
	chat.Teller
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (viewID string, err error)
	// UserGroups lists the user groups with their members;
	// domain.ErrPaidPlanOnly on a free plan.
	UserGroups(ctx context.Context) ([]domain.UserGroup, error)
	// UpdateUserGroupMembers replaces a group's members;
	// domain.ErrPaidPlanOnly on a free plan.
	UpdateUserGroupMembers(ctx context.Context, groupID string, users []string) error
	// UserIDByEmail finds a Slack user by email; domain.ErrNotFound when
	// there is none.
	UserIDByEmail(ctx context.Context, email string) (string, error)
}

// OnCalls is the part of PagerDuty the feature reads.
type OnCalls interface {
	// OnCallsFor lists the on-call entries of a schedule, or of a
	// policy's level, overlapping the next `ahead`.
	OnCallsFor(ctx context.Context, scheduleID, policyID string, level int, ahead time.Duration) ([]domain.OnCall, error)
	EscalationPolicies(ctx context.Context) ([]domain.EscalationPolicy, error)
}

// Store keeps the ties (*storage.DB).
type Store interface {
	SaveOnCallGroup(ctx context.Context, g domain.OnCallGroup) (int64, error)
	OnCallGroups(ctx context.Context) ([]domain.OnCallGroup, error)
	OnCallGroup(ctx context.Context, id int64) (domain.OnCallGroup, error)
	DeleteOnCallGroup(ctx context.Context, id int64) error
	SetOnCallGroupState(ctx context.Context, id int64, members []string, gapWarned, freePlanWarned bool) error
}

// Links finds the Slack user linked to a PagerDuty user (/toban link);
// "" when nobody is.
type Links interface {
	SlackUserFor(ctx context.Context, pdUserID string) (string, error)
}

// Topic is the change topic of ties: one was made or removed, on any
// replica, and the replica running Run must sync.
const Topic = "oncall-groups"

// Every is how often Run syncs at the least: overrides and takes made in
// PagerDuty show within it.
const Every = time.Minute

// Feature is the on-call user groups feature.
type Feature struct {
	Slack Slack
	Store Store
	Links Links
	// PagerDuty is nil when PagerDuty is not configured; the feature then
	// says so and Run does nothing.
	PagerDuty OnCalls
	// Clicks makes a modal act once.
	Clicks chat.Clicks
	// Admins may tie and untie groups.
	Admins map[string]bool
	// Changed, when set, is told of a tie made or removed (Topic), for the
	// replica that runs Run; cmd/toban calls Wake there.
	Changed func(topic string)
	// Clock runs the sync loop.
	Clock scheduler.Clock
	Log   zerolog.Logger

	wake chat.Waker
}

// Wake tells Run that a tie was made or removed.
func (f *Feature) Wake() { f.wake.Wake() }

// changed wakes Run here and on the replica that runs it.
func (f *Feature) changed() {
	f.Wake()
	if f.Changed != nil {
		f.Changed(Topic)
	}
}

// OnlyAdmins refuses a non-admin.
var OnlyAdmins = chat.Message{Text: ":no_entry: Only toban admins (`TOBAN_ADMINS`) can tie user groups to on-call."}

// FreePlan is said when Slack refuses user groups.
const FreePlan = ":warning: Slack user groups need a paid Slack plan: this workspace is on the free plan (Slack answers `paid_teams_only`), so toban cannot keep user groups equal to who is on call. Everything else works."

// notConfigured answers when PagerDuty is not configured.
var notConfigured = chat.Message{Text: chat.NotConfigured}
