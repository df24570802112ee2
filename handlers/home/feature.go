// Package home is toban's App Home tab: for the person looking, their open
// incidents with Acknowledge and Resolve, who is on call now with Take
// on-call, their own shifts of the coming week, their tasks due today
// with Start and Done, and quick actions (trigger, remind, maintenance).
// It publishes a Home when the person opens it, after a click made on
// it, and — from Run, one replica at a time — whenever incidents, on-call
// or tasks change, to the people who opened it recently, sending only a
// view that differs from the last one sent.
//
// The buttons belong to the features that answer them (their action IDs
// are given in Buttons): the Home only shows them. It owns the "home."
// action IDs and the refresh loop. It reaches Slack, PagerDuty and the
// database only through the ports declared here, given concrete values in
// cmd/toban. It may import domain, scheduler and the toolkit
// (handlers/chat, handlers/identity); never storage, pagerduty, bot,
// webhook, poller, the router (handlers) or another feature.
package home

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
	"github.com/tobanbot/toban/scheduler"
)

// The feature's IDs. Every one starts with Prefix, which the router gives
// this feature.
const (
	// Prefix starts every action ID the feature owns.
	Prefix = "home."
	// ActionLink links the viewer's account by their Slack email, as
	// `/toban link` does.
	ActionLink = "home.link"
)

// Topic is the change topic of what Homes show: an incident, a task or
// on-call changed on some replica, and the replica running Run should
// re-publish.
const Topic = "home"

// Slack is the part of Slack's Web API the feature uses.
type Slack interface {
	chat.Teller
	// PublishHome shows view on the App Home tab of userID.
	PublishHome(ctx context.Context, userID string, view slack.HomeTabViewRequest) error
	// UserZone is the IANA time zone of the person's Slack profile ("" when
	// unknown).
	UserZone(ctx context.Context, userID string) (string, error)
}

// PagerDuty is the part of PagerDuty the feature reads.
type PagerDuty interface {
	// OpenIncidents lists the triggered and acknowledged incidents
	// matching f.
	OpenIncidents(ctx context.Context, f domain.IncidentFilter) ([]domain.Incident, error)
	// OnCalls lists who is on call now and in the coming week, one entry
	// per policy level and shift ("" matches every policy).
	OnCalls(ctx context.Context, filter string) ([]domain.OnCall, error)
}

// Store keeps who opened their Home and reads tasks (*storage.DB).
type Store interface {
	HomeOpened(ctx context.Context, userID, zone string) error
	HomeViewer(ctx context.Context, userID string) (domain.HomeViewer, error)
	HomeViewers(ctx context.Context, since time.Time, limit int) ([]domain.HomeViewer, error)
	SetHomePublished(ctx context.Context, userID, hash string) error
	TasksCreatedBy(ctx context.Context, userID string) ([]domain.Task, error)
	Task(ctx context.Context, id string) (domain.Task, error)
	OccurrencesBetween(ctx context.Context, from, to time.Time) ([]domain.Occurrence, error)
}

// Changes tells Run of change topics announced by any replica (storage's
// Changes).
type Changes interface {
	Changes(ctx context.Context, topic string) (<-chan struct{}, error)
}

// Linker links a person's Slack account to the PagerDuty user with their
// Slack profile's email, as `/toban link` without arguments does, and
// says what happened.
type Linker interface {
	LinkSelf(ctx context.Context, slackUserID string) (chat.Message, error)
}

// Buttons are the action IDs of the other features' buttons the Home
// shows; an empty one leaves its button out.
type Buttons struct {
	// Acknowledge and Resolve are the incident card's (value: the
	// incident ID).
	Acknowledge, Resolve string
	// TakeOnCall takes a schedule's pager until its current shift ends
	// (value: the schedule's name).
	TakeOnCall string
	// TaskStart and TaskDone are the task card's (value: the occurrence
	// ID).
	TaskStart, TaskDone string
}

// Defaults of the refresh loop.
const (
	// Every is how often Run re-renders recent Homes at the least: shift
	// changes and changes toban is not told of show within it.
	Every = 2 * time.Minute
	// MinInterval is the least time between two refreshes, so that a
	// burst of changes (an alert storm) costs one.
	MinInterval = 5 * time.Second
	// PublishGap paces views.publish under Slack's Tier 4 (100 a minute).
	PublishGap = 700 * time.Millisecond
	// Recent is how long after opening their Home a person's Home is
	// kept current; opening it again always refreshes it.
	Recent = 12 * time.Hour
	// MaxViewers bounds the Homes one refresh re-publishes.
	MaxViewers = 200
)

// Feature is the App Home.
type Feature struct {
	Slack Slack
	Store Store
	// PagerDuty is nil when PagerDuty is not configured; the Home then
	// says so in place of incidents and on-call.
	PagerDuty PagerDuty
	// Identity is who a Slack user is in PagerDuty.
	Identity identity.Actor
	// Linker answers the Link account button; nil leaves it out.
	Linker Linker
	// Changes and Topics wake Run when another replica announces a change
	// (Topic, on-call's); nil Changes relies on wakes and Every.
	Changes Changes
	Topics  []string
	// Announce, when set, tells every replica of a change (Topic).
	Announce func(topic string)
	Buttons  Buttons
	// Location is toban's zone (TOBAN_TIMEZONE): the fallback text of
	// times, and "today" for viewers whose zone is unknown.
	Location *time.Location
	Now      func() time.Time
	// Clock runs the refresh loop.
	Clock scheduler.Clock
	// Every, MinInterval, PublishGap: zero for the defaults above.
	Every, MinInterval, PublishGap time.Duration
	Log                            zerolog.Logger

	wake chat.Waker

	mu sync.Mutex
	// publishing serialises "compare with the last published, publish,
	// record": an opening and the refresh loop must not both publish the
	// same new view.
	publishing sync.Mutex
	announced  time.Time
}

// now is toban's clock.
func (f *Feature) now() time.Time { return chat.Now(f.Now, "handlers/home: Feature.Now") }

func (f *Feature) location() *time.Location { return chat.Location(f.Location) }

// Wake makes Run refresh the recent Homes soon.
func (f *Feature) Wake() { f.wake.Wake() }

// Changed says that something a Home shows may have changed: Run is woken
// here and, at most once a second, on the replica that runs it.
func (f *Feature) Changed() {
	f.Wake()
	if f.Announce == nil {
		return
	}
	now := f.now()
	f.mu.Lock()
	due := now.Sub(f.announced) >= time.Second || now.Before(f.announced)
	if due {
		f.announced = now
	}
	f.mu.Unlock()
	if due {
		f.Announce(Topic)
	}
}

// ShowIncidents is told of the incident changes the feed applies
// (incidents.TaskCards): the incidents may be on someone's Home.
func (f *Feature) ShowIncidents(context.Context, []string) { f.Changed() }

// Opened answers app_home_opened: the person's Home is published at once,
// and kept current for a while (Recent).
func (f *Feature) Opened(userID string) chat.Response {
	return chat.Response{Then: func(ctx context.Context) error {
		zone, err := f.Slack.UserZone(ctx, userID)
		if err != nil {
			f.Log.Debug().Err(err).Str("user", userID).Msg("home: zone unknown")
			zone = ""
		}
		if _, err := time.LoadLocation(zone); err != nil {
			zone = ""
		}
		idle := f.loopIdle(ctx)
		if err := f.Store.HomeOpened(ctx, userID, zone); err != nil {
			f.Log.Warn().Err(err).Str("user", userID).Msg("home: opening not recorded")
		}
		err = f.refresh(ctx, userID, zone, true)
		if idle {
			// The refresh loop, asleep without a timer while nobody had a
			// Home open, now has someone to keep current.
			f.Changed()
		}
		return err
	}}
}

// loopIdle says whether the refresh loop may be asleep without a timer:
// nobody opened their Home within Recent. Otherwise its timer is set and
// its next refresh finds the new viewer; waking it at every opening would
// re-render every recent Home, PagerDuty reads included, each time
// someone looks at theirs. An unreadable store counts as idle.
func (f *Feature) loopIdle(ctx context.Context) bool {
	recent, err := f.Store.HomeViewers(ctx, f.now().Add(-Recent), 1)
	return err != nil || len(recent) == 0
}

// Refresh re-publishes the person's Home if what it shows changed: after a
// click made on it.
func (f *Feature) Refresh(ctx context.Context, userID string) error {
	zone := ""
	if v, err := f.Store.HomeViewer(ctx, userID); err == nil {
		zone = v.Zone
	}
	return f.refresh(ctx, userID, zone, false)
}

// refresh renders one Home and publishes it when it differs from the
// last one published; force publishes it even when a source failed (an
// opening shows what it can rather than nothing).
func (f *Feature) refresh(ctx context.Context, userID, zone string, force bool) error {
	src := f.newSource(ctx)
	p := src.page(ctx, f, domain.HomeViewer{UserID: userID, Zone: zone})
	if !force && p.failed() {
		return nil // keep the Home shown; the loop tries again
	}
	view := render(p, f.Buttons, f.Linker != nil)
	return f.publishChanged(ctx, userID, view)
}

// publishChanged publishes view unless it is the one last published.
// Slack keeps a published Home, so publishing the same again only spends
// the rate limit.
func (f *Feature) publishChanged(ctx context.Context, userID string, view slack.HomeTabViewRequest) error {
	hash := viewHash(view)
	f.publishing.Lock()
	defer f.publishing.Unlock()
	if v, err := f.Store.HomeViewer(ctx, userID); err == nil && v.Hash == hash {
		return nil
	}
	return f.publish(ctx, userID, view, hash)
}

func (f *Feature) publish(ctx context.Context, userID string, view slack.HomeTabViewRequest, hash string) error {
	if err := f.Slack.PublishHome(ctx, userID, view); err != nil {
		return err
	}
	if err := f.Store.SetHomePublished(ctx, userID, hash); err != nil {
		f.Log.Warn().Err(err).Str("user", userID).Msg("home: published but not recorded")
	}
	return nil
}

// Click answers the feature's own buttons (Link account).
func (f *Feature) Click(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	if act.ActionID != ActionLink || f.Linker == nil {
		return chat.Response{}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		msg, err := f.Linker.LinkSelf(ctx, place.UserID)
		if err != nil {
			return err
		}
		if err := chat.TellClicker(ctx, f.Slack, place, msg); err != nil {
			return err
		}
		return f.Refresh(ctx, place.UserID)
	}}
}
