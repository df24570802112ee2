// Package tasks is the scheduled-task feature: /toban remind (the task
// modal, whose fields follow the kind of schedule), /toban reminders (the
// channel's tasks with Pause, Resume, Edit and Delete), the card each due
// occurrence posts (Start, Done, Snooze, Skip), and the escalation of an
// occurrence nobody started in time (a reminder in the card's thread, a
// mention of the on-call, or a PagerDuty incident), run by Run.
//
// It owns the "task." and "tasks." action IDs, the task modal's callback
// IDs, the time zone type-ahead and the toban_task_occurrence message
// metadata. It reaches Slack, PagerDuty and the database only through the
// ports declared here, given concrete values in cmd/toban. It may import
// domain, scheduler and the toolkit (handlers/chat); never storage,
// pagerduty, bot, webhook, poller, the router (handlers) or another
// feature.
package tasks

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// ActionZoneSuggest is the action ID of the time zone type-ahead of the
// task modal; the feature answers it with SuggestZones.
const ActionZoneSuggest = actionZoneSuggest

// ActionStart and ActionDone are a task card's Start and Done (value: the
// occurrence ID); the App Home shows them beside the viewer's tasks.
const (
	ActionStart = actionTaskStart
	ActionDone  = actionTaskDone
)

// ClickIDs are the action IDs of the task cards, the task list and the
// task modal's kind select, which Click handles.
var ClickIDs = []string{
	actionTaskStart, actionTaskDone, actionTaskSnooze, actionTaskSkip,
	actionTaskPause, actionTaskResume, actionTaskEdit, actionTaskDelete,
	actionTaskKind,
}

// SubmissionIDs are the callback IDs of the modals Submission handles.
var SubmissionIDs = []string{viewTask, viewTaskSkip}

// NotSetUp answers people when scheduled tasks are not configured.
var NotSetUp = chat.Message{Text: "Scheduled tasks are not set up in this toban."}

// OlderCard answers a click on a task card that cannot be acted on.
var OlderCard = chat.Message{Text: ":thinking_face: That card belongs to an older version of toban."}

// Slack is the part of Slack's Web API the feature uses.
type Slack interface {
	chat.Teller
	// UpdateMessage fails with domain.ErrNotFound when the message, or
	// toban's access to its channel, is gone for good.
	UpdateMessage(ctx context.Context, channel, ts string, msg chat.Message) error
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (viewID string, err error)
	UpdateView(ctx context.Context, viewID string, view slack.ModalViewRequest) error
	// FindMessage finds a message toban posted by its metadata, so that a
	// card posted just before a crash is found instead of posted twice.
	FindMessage(ctx context.Context, channelID string, since time.Time, eventType, key string) (ts string, found bool, err error)
	// DeleteMessage takes back a card posted twice.
	DeleteMessage(ctx context.Context, channel, ts string) error
}

// Views replaces a modal unless the person changed it since the hash
// (views.update with a hash; *bot.WebAPI implements it).
type Views interface {
	UpdateViewIfUnchanged(ctx context.Context, viewID, hash string, view slack.ModalViewRequest) error
}

// Store is the database of tasks and their occurrences (*storage.DB).
type Store interface {
	SaveTask(ctx context.Context, t domain.Task) (domain.Task, error)
	Task(ctx context.Context, id string) (domain.Task, error)
	TasksInChannel(ctx context.Context, channelID string) ([]domain.Task, error)
	SetTaskPaused(ctx context.Context, id string, paused bool) error
	DeleteTask(ctx context.Context, id string) error

	ClaimOccurrence(ctx context.Context, taskID string, due time.Time, late bool, channelID string, escalateAt time.Time) (domain.Occurrence, bool, error)
	// SetOccurrencePosted returns the occurrence as recorded.
	SetOccurrencePosted(ctx context.Context, id, ts string) (domain.Occurrence, error)
	Occurrence(ctx context.Context, id string) (domain.Occurrence, error)
	// RetakeUnposted claims for this replica the occurrences claimed but
	// never posted whose claims have lapsed (their replica died).
	RetakeUnposted(ctx context.Context) ([]domain.Occurrence, error)
	StartOccurrence(ctx context.Context, id, user string, at time.Time) (domain.Occurrence, bool, error)
	CompleteOccurrence(ctx context.Context, id, user string, at time.Time) (domain.Occurrence, bool, error)
	SkipOccurrence(ctx context.Context, id, user, reason string, at time.Time) (domain.Occurrence, bool, error)
	SnoozeOccurrence(ctx context.Context, id, user string, until, escalateAt time.Time) (domain.Occurrence, bool, error)
	NextEscalation(ctx context.Context) (domain.Occurrence, bool, error)
	MarkEscalated(ctx context.Context, id string, at time.Time, incidentID string) error
	PostponeEscalation(ctx context.Context, id string, at time.Time) error
	OccurrencesForIncidents(ctx context.Context, incidentIDs []string) ([]domain.Occurrence, error)
}

// Engine schedules tasks' due times (a scheduler.Engine, whose callback is
// Fire).
type Engine interface {
	Upsert(t scheduler.Task)
	Remove(taskID string)
	NextDue(taskID string) (time.Time, bool)
}

// PagerDuty is what tasks do in PagerDuty: resolve and open the incident
// an escalation opened, and find who is on call. Writes act as the given
// person.
type PagerDuty interface {
	Resolve(ctx context.Context, id string, as domain.Person) (domain.Incident, error)
	CreateIncident(ctx context.Context, in domain.NewIncident, as domain.Person) (domain.Incident, error)
	OnCalls(ctx context.Context, filter string) ([]domain.OnCall, error)
}

// Incidents shows the state of a task's escalation incident on its card,
// as the incident's own cards show it.
type Incidents interface {
	// IncidentStatusLine is a line such as "PagerDuty incident #12
	// acknowledged by @alice", linked to the incident.
	IncidentStatusLine(ctx context.Context, incidentID string) (string, error)
}

// Users finds the Slack user linked to a PagerDuty user.
type Users interface {
	SlackUserFor(ctx context.Context, pdUserID string) (string, error)
}

// Identity says who a Slack user acts as in PagerDuty.
type Identity interface {
	ActingAs(ctx context.Context, slackUserID string) (domain.Person, error)
}

// Feature is the scheduled-task feature. A nil *Feature is a feature that
// is not configured; the router then says so.
type Feature struct {
	Slack Slack
	// Views is nil when the Slack client cannot replace a modal only if
	// unchanged; the task modal is then replaced unconditionally.
	Views Views
	Store Store
	// Engine is nil until it is made (it calls Fire); schedules are not
	// usable without it.
	Engine Engine
	// PagerDuty is nil when PAGERDUTY_TOKEN is not set: tasks then only
	// remind in the card's thread.
	PagerDuty PagerDuty
	Incidents Incidents
	Users     Users
	Identity  Identity
	// Clicks makes each escalation's reminder post once.
	Clicks chat.Clicks
	// Admins may change anyone's task.
	Admins   map[string]bool
	Location *time.Location
	Now      func() time.Time
	Log      zerolog.Logger
	// Clock paces Run's escalations.
	Clock scheduler.Clock

	wake chat.Waker
	// armed is the escalation deadline Run sleeps until, in Unix
	// milliseconds: 0 while it is looking for the next one, MaxInt64 when
	// there is none. A firing wakes Run only for an earlier deadline, so
	// a burst of firings does not re-query the next escalation for each.
	armed atomic.Int64
}

// now is toban's clock; a Feature without one is a wiring mistake.
func (f *Feature) now() time.Time { return chat.Now(f.Now, "tasks: Feature.Now") }

func (f *Feature) location() *time.Location { return chat.Location(f.Location) }

// Command runs /toban remind (name "remind": the task modal) or /toban
// reminders (the channel's tasks).
func (f *Feature) Command(name string, in chat.Invocation) chat.Response {
	if name == "remind" {
		return f.remindCommand(in)
	}
	return f.remindersCommand(in)
}

// Click handles the buttons and selects of ClickIDs.
func (f *Feature) Click(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	switch act.ActionID {
	case actionTaskStart, actionTaskDone, actionTaskSnooze, actionTaskSkip:
		return f.taskClick(cb, act)
	case actionTaskKind:
		return f.taskKindClick(cb, act)
	}
	return f.taskListClick(cb, act)
}

// Submission handles the modals of SubmissionIDs: the task modal and the
// skip reason.
func (f *Feature) Submission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	if cb.View.CallbackID != viewTaskSkip {
		return f.taskSubmission(ctx, cb)
	}
	state, err := chat.DecodeModalState(cb.View.PrivateMetadata)
	if err != nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.UserMessage(err)})}
	}
	return f.skipSubmission(cb, state)
}

// ShowIncidents updates the cards of task occurrences that escalated into
// the incidents, so that an acknowledgement shows there.
func (f *Feature) ShowIncidents(ctx context.Context, incidentIDs []string) {
	occs, err := f.Store.OccurrencesForIncidents(ctx, incidentIDs)
	if err != nil {
		f.Log.Warn().Err(err).Msg("task cards of changed incidents not updated")
		return
	}
	for _, o := range occs {
		task, err := f.Store.Task(ctx, o.TaskID)
		if err != nil {
			continue
		}
		f.updateTaskCard(ctx, task, o)
	}
}

// EscalationBlocks are the task modal's grace and escalation inputs (with
// the schedule and service type-aheads they use), for another feature's
// modal (the calendar's).
func (f *Feature) EscalationBlocks(loc *time.Location) []slack.Block {
	var out []slack.Block
	for _, b := range taskBlocks(domain.Task{GraceMinutes: 15}, scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00"}, loc) {
		if in, ok := b.(*slack.InputBlock); ok && (in.BlockID == "grace" || in.BlockID == "escalation" || in.BlockID == "schedule" || in.BlockID == "service") {
			out = append(out, in)
		}
	}
	return out
}

// EscalationInput reads the blocks of EscalationBlocks as the task modal
// does; errs gets field errors by block.
func (f *Feature) EscalationInput(values map[string]map[string]slack.BlockAction, errs map[string]string) (grace int, kind domain.Escalation, targetID, targetName string) {
	return f.escalationInput(values, errs)
}
