// Package calendar is the calendar feature: ICS feeds attached to a channel
// (/toban reminders calendar [list], the attach modal, Refresh now and
// Detach), whose upcoming events become one-off tasks, and the loop that
// re-reads every feed (Run).
//
// It owns the "calendar." action and callback IDs and the calendars change
// topic. It reaches the tasks its events become through the Tasks, Engine
// and TaskForm interfaces it declares, never through the task feature, and
// Slack and the database through its other ports, given concrete values in
// cmd/toban. It may import domain, icsfeed, scheduler and the toolkit
// (handlers/chat); never storage, pagerduty, bot, webhook, poller, the
// router (handlers) or another feature.
package calendar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/icsfeed"
	"github.com/tobanbot/toban/scheduler"
)

// Calendar feeds (ICS) own action and callback IDs prefixed "calendar.".
const (
	viewCalendar          = "calendar.attach"
	actionCalendarRefresh = "calendar.refresh"
	actionCalendarDetach  = "calendar.detach"
)

// CalendarHorizon is how far ahead a calendar's events become tasks; each
// refresh moves it on.
const CalendarHorizon = 35 * 24 * time.Hour

// Topic is the change topic of calendars: a calendar was attached, here
// or on another replica, and the replica refreshing calendars must hear it.
const Topic = "calendars"

// Slack is the part of Slack's Web API the feature uses.
type Slack interface {
	chat.Teller
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (viewID string, err error)
}

// Store is the database of calendar feeds (*storage.DB).
type Store interface {
	AddCalendar(ctx context.Context, c domain.Calendar) (domain.Calendar, error)
	Calendar(ctx context.Context, id string) (domain.Calendar, error)
	CalendarsInChannel(ctx context.Context, channelID string) ([]domain.Calendar, error)
	AllCalendars(ctx context.Context) ([]domain.Calendar, error)
	DeleteCalendar(ctx context.Context, id string) error
	RecordCalendarFetch(ctx context.Context, id string, f domain.CalendarFetch) error
	CalendarBody(ctx context.Context, id string) ([]byte, error)
	SetCalendarError(ctx context.Context, id, msg string) (previous string, err error)
	CalendarTasks(ctx context.Context, calendarID string) ([]domain.Task, error)
}

// Tasks is how a calendar reaches the tasks its events become: it saves and
// deletes them (the tasks' database) without knowing the task feature.
type Tasks interface {
	SaveTask(ctx context.Context, t domain.Task) (domain.Task, error)
	DeleteTask(ctx context.Context, id string) error
}

// Engine schedules the calendar's tasks (the tasks' scheduler.Engine).
type Engine interface {
	Upsert(t scheduler.Task)
	Remove(taskID string)
}

// TaskForm is the task modal's grace and escalation inputs, which the
// calendar's modal shows and reads (the task feature gives them).
type TaskForm interface {
	// EscalationBlocks are the grace and escalation input blocks.
	EscalationBlocks(loc *time.Location) []slack.Block
	// EscalationInput reads them; errs gets field errors by block.
	EscalationInput(values map[string]map[string]slack.BlockAction, errs map[string]string) (grace int, kind domain.Escalation, targetID, targetName string)
}

// Identity says who a Slack user acts as in PagerDuty.
type Identity interface {
	ActingAs(ctx context.Context, slackUserID string) (domain.Person, error)
}

// Feature is the calendar feature: ICS feeds attached to channels, whose
// events become one-off tasks. A nil *Feature is a feature that is not
// configured; the router then says so.
type Feature struct {
	Slack    Slack
	Store    Store
	Tasks    Tasks
	Form     TaskForm
	Identity Identity
	// Engine is the tasks' engine; the feature is not usable without it.
	Engine Engine
	// Changed, when set, is told of an attached calendar (Topic), for the
	// replica that refreshes calendars.
	Changed func(topic string)
	// Admins may detach anyone's calendar.
	Admins   map[string]bool
	Location *time.Location
	Now      func() time.Time
	Log      zerolog.Logger
	// AckFetch bounds the fetch that validates a new calendar before the
	// modal's ack (Slack waits 3 s, the bot 2 s); 0 means 1.5 s.
	AckFetch time.Duration
	// Clock and RefreshEvery pace Run's refreshes.
	Clock        scheduler.Clock
	RefreshEvery time.Duration

	attached chat.Waker
}

var (
	// calendarFetcher reads every feed; its zero value refuses link-local
	// addresses and caps sizes.
	calendarFetcher = &icsfeed.Fetcher{}
	// calendarLocks serialises refreshes of one feed (timer, button,
	// attach), so that two never create the same event's task.
	calendarLocks chat.Locks
)

// now is toban's clock; a Feature without one is a wiring mistake.
func (f *Feature) now() time.Time { return chat.Now(f.Now, "calendar: Feature.Now") }

func (f *Feature) location() *time.Location { return chat.Location(f.Location) }

func (f *Feature) ackFetch() time.Duration {
	if f.AckFetch > 0 {
		return f.AckFetch
	}
	return 1500 * time.Millisecond
}

// Wake tells the refresh loop a calendar was attached, here or on another
// replica.
func (f *Feature) Wake() { f.attached.Wake() }

// hasCalendars reports whether any calendar is attached, so that the
// refresh loop sleeps on no timer when there is nothing to refresh.
func (f *Feature) hasCalendars(ctx context.Context) (bool, error) {
	cals, err := f.Store.AllCalendars(ctx)
	return len(cals) > 0, err
}

// NotSetUp is the answer when the feature is not configured.
var NotSetUp = chat.Message{Text: "Calendar feeds are not set up in this toban."}

// Command answers /toban reminders calendar [list]; args are the words
// after "reminders" ("calendar", "list").
func (f *Feature) Command(args []string, in chat.Invocation) chat.Response {
	switch {
	case len(args) > 1 && strings.EqualFold(args[1], "list"):
		return chat.Response{Then: func(ctx context.Context) error {
			msg, err := f.calendarList(ctx, in.ChannelID)
			if err != nil {
				return err
			}
			return f.Slack.Respond(ctx, in.ResponseURL, msg)
		}}
	case len(args) > 1:
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: "`/toban reminders calendar` attaches a calendar to this channel; `/toban reminders calendar list` shows the attached ones."})}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		_, err := f.Slack.OpenView(ctx, in.TriggerID, f.Modal(in.ChannelID))
		if err != nil {
			return fmt.Errorf("open calendar modal: %w", err)
		}
		return nil
	}}
}

// Modal is the attach modal for a channel.
func (f *Feature) Modal(channelID string) slack.ModalViewRequest {
	url := slack.NewPlainTextInputBlockElement(chat.Plain("https://calendar.google.com/calendar/ical/…/basic.ics"), "url")
	allDay := slack.NewTimePickerBlockElement("allday")
	allDay.InitialTime = "09:00"
	blocks := []slack.Block{
		slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf("Each event of the calendar becomes a one-off task in <#%s>, due at its start. "+
			"toban reads the calendar again regularly and follows moved and cancelled events.\n"+
			"For Google Calendar, use the calendar's *Secret address in iCal format* (Settings → the calendar → Integrate calendar).", channelID)), nil, nil),
		slack.NewInputBlock("url", chat.Plain("Calendar address (iCal / .ics)"), chat.Plain("Keep it secret: whoever has it can read the calendar. toban shows only its host."), url),
		slack.NewInputBlock("allday", chat.Plain("All-day events are due at"), nil, allDay),
	}
	// The grace and escalation inputs are the task modal's, so that the
	// schedule and service type-aheads answer them.
	blocks = append(blocks, f.Form.EscalationBlocks(f.location())...)
	return chat.Modal(viewCalendar, "Attach a calendar", "Attach", chat.ModalState{ChannelID: channelID}, blocks...)
}

// ReadForm reads the attach modal; errs holds field errors by block.
func (f *Feature) ReadForm(values map[string]map[string]slack.BlockAction) (domain.Calendar, map[string]string) {
	errs := map[string]string{}
	var c domain.Calendar
	url, err := icsfeed.NormalizeURL(values["url"]["url"].Value)
	if err != nil {
		errs["url"] = err.Error()
	}
	c.URL = url
	c.AllDayAt = values["allday"]["allday"].SelectedTime
	if c.AllDayAt == "" {
		c.AllDayAt = "09:00"
	}
	c.GraceMinutes, c.Escalation, c.EscalationTargetID, c.EscalationTargetName = f.Form.EscalationInput(values, errs)
	return c, errs
}

// calendarSubmission validates the calendar by fetching it once within
// the ack's time; a calendar slower than that is accepted and fetched
// again afterwards, its problems told by message.
//
// Submission is the modal's submission.
func (f *Feature) Submission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	state, err := chat.DecodeModalState(cb.View.PrivateMetadata)
	if err != nil || state.ChannelID == "" {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{"url": "This form is from an older toban; close it and start again."})}
	}
	c, errs := f.ReadForm(cb.View.State.Values)
	if len(errs) > 0 {
		return chat.Response{Ack: chat.ViewErrors(errs)}
	}
	c.ChannelID, c.CreatedBy = state.ChannelID, cb.User.ID
	if existing, err := f.Store.CalendarsInChannel(ctx, c.ChannelID); err == nil {
		for _, e := range existing {
			if e.URL == c.URL {
				return chat.Response{Ack: chat.ViewErrors(map[string]string{"url": "This calendar is already attached to this channel."})}
			}
		}
	}
	ackCtx, cancel := context.WithTimeout(ctx, f.ackFetch())
	defer cancel()
	var person domain.Person
	personErr := make(chan error, 1)
	go func() {
		var err error
		if c.Escalation == domain.EscalateIncident { // incidents are opened as the person attaching
			person, err = f.Identity.ActingAs(ackCtx, cb.User.ID)
		}
		personErr <- err
	}()
	got, fetchErr := calendarFetcher.Fetch(ackCtx, c.URL, icsfeed.Validators{})
	var cal *icsfeed.Calendar
	if fetchErr == nil {
		cal, fetchErr = icsfeed.Parse(got.Body)
	}
	var fe *icsfeed.Error
	if fetchErr != nil && !(errors.As(fetchErr, &fe) && fe.Kind == icsfeed.Timeout) {
		errs["url"] = fetchErr.Error()
	}
	if err := <-personErr; err != nil {
		errs["escalation"] = "The incident is opened as you, and I can't find your PagerDuty user. Run `/toban link` first."
	}
	if len(errs) > 0 {
		return chat.Response{Ack: chat.ViewErrors(errs)}
	}
	c.CreatorPDEmail = person.Email
	return chat.Response{Then: func(ctx context.Context) error {
		return f.attachCalendar(ctx, c, got, cal)
	}}
}

// attachCalendar stores a validated calendar, turns its events into tasks
// and tells the channel. cal is nil when the validating fetch ran out of
// time; it is fetched again here.
func (f *Feature) attachCalendar(ctx context.Context, c domain.Calendar, got icsfeed.Response, cal *icsfeed.Calendar) error {
	host := icsfeed.Host(c.URL)
	if cal == nil {
		var err error
		if got, err = calendarFetcher.Fetch(ctx, c.URL, icsfeed.Validators{}); err == nil {
			cal, err = icsfeed.Parse(got.Body)
		}
		if err != nil {
			return f.Slack.PostEphemeral(ctx, c.ChannelID, c.CreatedBy, chat.Message{Text: fmt.Sprintf(
				":warning: I did not attach the calendar from %s: %s", host, err.Error())})
		}
	}
	saved, err := f.Store.AddCalendar(ctx, c)
	if errors.Is(err, domain.ErrCalendarExists) {
		return f.Slack.PostEphemeral(ctx, c.ChannelID, c.CreatedBy, chat.Message{Text: "That calendar is already attached to this channel."})
	}
	if err != nil {
		return err
	}
	f.Wake()
	if f.Changed != nil {
		f.Changed(Topic)
	}
	if err := f.Store.RecordCalendarFetch(ctx, saved.ID, domain.CalendarFetch{At: f.now(), ETag: got.ETag, LastModified: got.LastModified, Body: got.Body}); err != nil {
		return err
	}
	res, warnings, err := f.syncCalendar(ctx, saved, cal)
	if err != nil {
		f.Log.Warn().Err(err).Str("calendar", saved.ID).Str("host", host).Msg("calendar partly synced")
	}
	f.Log.Info().Str("calendar", saved.ID).Str("host", host).Int("upcoming", res.Upcoming).Msg("calendar attached")
	text := fmt.Sprintf(":date: <@%s> attached a calendar (%s): %d upcoming %s in the next %d days will be posted as tasks.",
		saved.CreatedBy, host, res.Upcoming, plural(res.Upcoming, "event", "events"), int(CalendarHorizon.Hours()/24))
	if _, err := f.Slack.PostMessage(ctx, saved.ChannelID, chat.Message{Text: text}); err != nil {
		return err
	}
	if len(warnings) > 0 {
		return f.Slack.PostEphemeral(ctx, saved.ChannelID, saved.CreatedBy, chat.Message{Text: ":warning: Some events of that calendar were read approximately or skipped:\n• " +
			chat.Escape(strings.Join(warnings[:min(len(warnings), 5)], "\n• "))})
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// syncCalendar turns the calendar's upcoming instances into tasks.
func (f *Feature) syncCalendar(ctx context.Context, c domain.Calendar, cal *icsfeed.Calendar) (icsfeed.SyncResult, []string, error) {
	now := f.now()
	exp := cal.Expand(icsfeed.Options{From: now, To: now.Add(CalendarHorizon), Zone: f.location(), AllDayAt: c.AllDayAt})
	warnings := exp.Warnings
	if exp.Dropped > 0 {
		warnings = append(warnings, fmt.Sprintf("%d more events in the next %d days were left out; toban posts at most %d per calendar.",
			exp.Dropped, int(CalendarHorizon.Hours()/24), icsfeed.DefaultMaxInstances))
	}
	unlock := calendarLocks.Lock(c.ID)
	defer unlock()
	store := struct {
		Store
		Tasks
	}{f.Store, f.Tasks}
	res, err := icsfeed.Sync(ctx, store, f.Engine, c, exp.Instances, now)
	return res, warnings, err
}

// Refresh re-reads every attached calendar and brings its tasks
// up to date. One calendar's failure does not stop the others; the channel
// is told once when a calendar starts failing and once when it recovers.
func (f *Feature) Refresh(ctx context.Context) {
	cals, err := f.Store.AllCalendars(ctx)
	if err != nil {
		if ctx.Err() == nil {
			f.Log.Error().Err(err).Msg("calendars not refreshed")
		}
		return
	}
	// A few at a time: one slow server must not hold up the rest.
	slots := make(chan struct{}, calendarRefreshers)
	var wg sync.WaitGroup
	for _, c := range cals {
		select {
		case <-ctx.Done():
		case slots <- struct{}{}:
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				if _, err := f.refreshCalendar(ctx, c); err != nil && ctx.Err() == nil {
					f.Log.Warn().Err(err).Str("calendar", c.ID).Str("host", c.Host()).Msg("calendar refresh failed")
				}
			}()
		}
	}
	wg.Wait()
}

// calendarRefreshers is how many calendars Refresh reads at once.
const calendarRefreshers = 4

// refreshCalendar fetches one calendar (a 304 reuses the stored body),
// syncs its tasks and records whether it worked.
func (f *Feature) refreshCalendar(ctx context.Context, c domain.Calendar) (icsfeed.SyncResult, error) {
	store := f.Store
	body, err := store.CalendarBody(ctx, c.ID)
	if err != nil {
		return icsfeed.SyncResult{}, err
	}
	prev := icsfeed.Validators{}
	if body != nil {
		prev = icsfeed.Validators{ETag: c.ETag, LastModified: c.LastModified}
	}
	got, err := calendarFetcher.Fetch(ctx, c.URL, prev)
	var cal *icsfeed.Calendar
	if err == nil {
		if !got.NotModified {
			body = got.Body
		}
		if cal, err = icsfeed.Parse(body); err == nil {
			err = store.RecordCalendarFetch(ctx, c.ID, domain.CalendarFetch{At: f.now(), ETag: got.ETag, LastModified: got.LastModified, Body: got.Body})
		}
	}
	var feedErr *icsfeed.Error
	if err != nil && !errors.As(err, &feedErr) {
		return icsfeed.SyncResult{}, err // toban's own problem, not the feed's
	}
	if feedErr != nil {
		f.noteCalendarHealth(ctx, c, feedErr)
		return icsfeed.SyncResult{}, feedErr
	}
	res, _, err := f.syncCalendar(ctx, c, cal)
	f.noteCalendarHealth(ctx, c, nil) // after the sync: "its tasks are up to date"
	return res, err
}

// noteCalendarHealth records the outcome of a refresh and tells the
// channel when it changes from working to failing or back.
func (f *Feature) noteCalendarHealth(ctx context.Context, c domain.Calendar, feedErr *icsfeed.Error) {
	msg := ""
	if feedErr != nil {
		msg = feedErr.Msg
	}
	previous, err := f.Store.SetCalendarError(ctx, c.ID, msg)
	if err != nil {
		f.Log.Warn().Err(err).Str("calendar", c.ID).Msg("calendar health not recorded")
		return
	}
	var text string
	switch {
	case msg != "" && previous == "":
		text = fmt.Sprintf(":warning: I can't read the calendar from %s: %s Its tasks stay as they were; I keep trying.", c.Host(), msg)
	case msg == "" && previous != "":
		text = fmt.Sprintf(":white_check_mark: The calendar from %s can be read again; its tasks are up to date.", c.Host())
	default:
		return
	}
	if _, err := f.Slack.PostMessage(ctx, c.ChannelID, chat.Message{Text: text}); err != nil {
		f.Log.Warn().Err(err).Str("calendar", c.ID).Msg("calendar health not told")
	}
}
