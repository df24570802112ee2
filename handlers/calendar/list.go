package calendar

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/icsfeed"
)

// calendarList shows the channel's calendars with Refresh now and Detach.
func (f *Feature) calendarList(ctx context.Context, channelID string) (chat.Message, error) {
	cals, err := f.Store.CalendarsInChannel(ctx, channelID)
	if err != nil {
		return chat.Message{}, err
	}
	if len(cals) == 0 {
		return chat.Message{Text: "No calendar is attached to this channel. `/toban reminders calendar` attaches one."}, nil
	}
	blocks := []slack.Block{slack.NewHeaderBlock(chat.Plain(fmt.Sprintf("Calendars in this channel: %d", len(cals))))}
	for _, c := range cals {
		tasks, err := f.Store.CalendarTasks(ctx, c.ID)
		if err != nil {
			return chat.Message{}, err
		}
		blocks = append(blocks, calendarEntry(c, tasks, f.now().In(f.location()))...)
	}
	return chat.Message{Text: fmt.Sprintf("%d calendars attached", len(cals)), Blocks: blocks}, nil
}

// upcomingTasks returns the tasks still to come and the next one.
func upcomingTasks(tasks []domain.Task, now time.Time) (n int, next domain.Task, nextDue time.Time) {
	for _, t := range tasks {
		if due, ok := t.Rule.Next(now); ok {
			n++
			if nextDue.IsZero() || due.Before(nextDue) {
				next, nextDue = t, due
			}
		}
	}
	return n, next, nextDue
}

func calendarEntry(c domain.Calendar, tasks []domain.Task, now time.Time) []slack.Block {
	n, next, nextDue := upcomingTasks(tasks, now)
	text := fmt.Sprintf("*:date: %s* — %d upcoming %s", c.Host(), n, plural(n, "task", "tasks"))
	if n > 0 {
		text += fmt.Sprintf(", next *%s* %s", chat.Escape(next.Title), chat.FormatTime(now, nextDue.In(now.Location())))
	}
	text += fmt.Sprintf("\nAttached by <@%s>. ", c.CreatedBy)
	switch {
	case c.LastError != "":
		text += fmt.Sprintf(":warning: Failing since %s: %s", chat.FormatTime(now, c.FailingSince.In(now.Location())), chat.Escape(c.LastError))
	case !c.LastFetched.IsZero():
		text += "Last read " + chat.FormatTime(now, c.LastFetched.In(now.Location())) + "."
	}
	switch c.Escalation {
	case domain.EscalateOnCall:
		text += fmt.Sprintf("\nIf not started within %d min: mention the on-call of %s", c.GraceMinutes, chat.Escape(c.EscalationTargetName))
	case domain.EscalateIncident:
		text += fmt.Sprintf("\nIf not started within %d min: open an incident on %s", c.GraceMinutes, chat.Escape(c.EscalationTargetName))
	}
	refresh := slack.NewButtonBlockElement(actionCalendarRefresh, c.ID, chat.Plain("Refresh now"))
	detach := slack.NewButtonBlockElement(actionCalendarDetach, c.ID, chat.Plain("Detach"))
	detach.Style = slack.StyleDanger
	detach.Confirm = slack.NewConfirmationBlockObject(chat.Plain("Detach this calendar?"),
		chat.Plain(fmt.Sprintf("Its %d upcoming %s will be deleted. Cards already posted stay.", n, plural(n, "task", "tasks"))),
		chat.Plain("Detach"), chat.Plain("Keep"))
	return []slack.Block{
		slack.NewSectionBlock(chat.Mrkdwn(text), nil, nil),
		slack.NewActionBlock("calendar/"+c.ID, refresh, detach),
	}
}

// calendarClick handles Refresh now (anyone in the channel) and Detach
// (the person who attached it, or an admin).
//
// Click answers the list's buttons ("calendar.").
func (f *Feature) Click(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	return chat.Response{Then: func(ctx context.Context) error {
		c, err := f.Store.Calendar(ctx, act.Value)
		if errors.Is(err, domain.ErrNotFound) {
			return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: "That calendar was already detached."})
		}
		if err != nil {
			return err
		}
		var note string
		switch act.ActionID {
		case actionCalendarRefresh:
			res, err := f.refreshCalendar(ctx, c)
			if err != nil {
				return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(":warning: I can't read the calendar from %s: %s", c.Host(), calendarProblem(err))})
			}
			note = fmt.Sprintf(":arrows_counterclockwise: Refreshed %s: %d new, %d changed, %d removed; %d upcoming.", c.Host(), res.Created, res.Updated, res.Deleted, res.Upcoming)
		case actionCalendarDetach:
			if c.CreatedBy != place.UserID && !f.Admins[place.UserID] {
				return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(":no_entry: Only <@%s>, who attached it, or a toban admin can detach this calendar.", c.CreatedBy)})
			}
			removed, err := f.detachCalendar(ctx, c)
			if err != nil {
				return err
			}
			text := fmt.Sprintf(":wastebasket: <@%s> detached the calendar (%s): %d upcoming %s deleted.", place.UserID, c.Host(), removed, plural(removed, "task", "tasks"))
			if _, err := f.Slack.PostMessage(ctx, c.ChannelID, chat.Message{Text: text}); err != nil {
				return err
			}
		default:
			return nil
		}
		msg, err := f.calendarList(ctx, c.ChannelID)
		if err != nil {
			return err
		}
		if note != "" {
			msg.Blocks = append([]slack.Block{slack.NewContextBlock("", chat.Mrkdwn(note))}, msg.Blocks...)
			if len(msg.Blocks) == 1 { // the list had only text
				msg.Blocks = append(msg.Blocks, slack.NewSectionBlock(chat.Mrkdwn(msg.Text), nil, nil))
			}
		}
		msg.ReplaceOriginal = true
		return chat.TellClicker(ctx, f.Slack, place, msg)
	}}
}

// calendarProblem is the sentence for a failed refresh: the feed's own
// words, or UserMessage for toban's problems.
func calendarProblem(err error) string {
	var fe *icsfeed.Error
	if errors.As(err, &fe) {
		return fe.Msg
	}
	return chat.UserMessage(err)
}

// detachCalendar deletes the calendar's tasks still to come, then the
// calendar; tasks already due stay, for the record.
func (f *Feature) detachCalendar(ctx context.Context, c domain.Calendar) (int, error) {
	unlock := calendarLocks.Lock(c.ID)
	defer unlock()
	tasks, err := f.Store.CalendarTasks(ctx, c.ID)
	if err != nil {
		return 0, err
	}
	now := f.now()
	removed := 0
	for _, t := range tasks {
		if n, _, _ := upcomingTasks([]domain.Task{t}, now); n == 0 {
			continue
		}
		if err := f.Tasks.DeleteTask(ctx, t.ID); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return removed, err
		}
		f.Engine.Remove(t.ID)
		removed++
	}
	if err := f.Store.DeleteCalendar(ctx, c.ID); err != nil && !errors.Is(err, domain.ErrNotFound) {
		return removed, err
	}
	f.Log.Info().Str("calendar", c.ID).Str("host", c.Host()).Int("tasks_removed", removed).Msg("calendar detached")
	return removed, nil
}
