package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

const (
	actionTaskPause  = "tasks.pause"
	actionTaskResume = "tasks.resume"
	actionTaskEdit   = "tasks.edit"
	actionTaskDelete = "tasks.delete"
)

// remindersCommand lists the channel's tasks with their next due time.
func (f *Feature) remindersCommand(in chat.Invocation) chat.Response {
	if f.Store == nil {
		return chat.Response{Ack: chat.Ephemeral(NotSetUp)}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		msg, err := f.taskList(ctx, in.ChannelID)
		if err != nil {
			return err
		}
		return f.Slack.Respond(ctx, in.ResponseURL, msg)
	}}
}

func (f *Feature) taskList(ctx context.Context, channelID string) (chat.Message, error) {
	tasks, err := f.Store.TasksInChannel(ctx, channelID)
	if err != nil {
		return chat.Message{}, err
	}
	if len(tasks) == 0 {
		return chat.Message{Text: "No scheduled tasks post in this channel. `/toban remind` creates one."}, nil
	}
	blocks := []slack.Block{slack.NewHeaderBlock(chat.Plain(fmt.Sprintf("Scheduled tasks in this channel: %d", len(tasks))))}
	for i, t := range tasks {
		if i == 20 {
			blocks = append(blocks, slack.NewContextBlock("", chat.Mrkdwn(fmt.Sprintf("…and %d more. `toban reminders export` lists them all.", len(tasks)-20))))
			break
		}
		blocks = append(blocks, f.taskListEntry(t)...)
	}
	return chat.Message{Text: fmt.Sprintf("%d scheduled tasks", len(tasks)), Blocks: blocks}, nil
}

func (f *Feature) taskListEntry(t domain.Task) []slack.Block {
	loc := taskLocation(t, f.location())
	schedule := t.Rule.String()
	next := "no further due time"
	if t.Paused {
		next = "*paused*"
	} else if due, ok := f.Engine.NextDue(t.ID); ok {
		next = "next " + chat.FormatTime(f.now().In(loc), due.In(loc))
	}
	text := fmt.Sprintf("*%s*\n%s — %s", chat.Escape(t.Title), chat.Escape(schedule), next)
	if t.Escalation != domain.EscalateNone {
		text += fmt.Sprintf("\nIf not started within %d min: %s %s", t.GraceMinutes, map[domain.Escalation]string{
			domain.EscalateOnCall: "mention the on-call of", domain.EscalateIncident: "open an incident on"}[t.Escalation], chat.Escape(t.EscalationTargetName))
	}
	pause := slack.NewButtonBlockElement(actionTaskPause, t.ID, chat.Plain("Pause"))
	if t.Paused {
		pause = slack.NewButtonBlockElement(actionTaskResume, t.ID, chat.Plain("Resume"))
	}
	del := slack.NewButtonBlockElement(actionTaskDelete, t.ID, chat.Plain("Delete"))
	del.Style = slack.StyleDanger
	del.Confirm = slack.NewConfirmationBlockObject(chat.Plain("Delete this task?"),
		chat.Plain(chat.Truncate(fmt.Sprintf("%q will no longer post cards. Past cards stay.", t.Title), 300)), chat.Plain("Delete"), chat.Plain("Keep"))
	return []slack.Block{
		slack.NewSectionBlock(chat.Mrkdwn(text), nil, nil),
		slack.NewActionBlock("tasks/"+t.ID, pause, slack.NewButtonBlockElement(actionTaskEdit, t.ID, chat.Plain("Edit")), del),
	}
}

// taskListClick handles Pause, Resume, Edit and Delete. Only the task's
// author or an admin may change it.
func (f *Feature) taskListClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	return chat.Response{Then: func(ctx context.Context) error {
		t, err := f.Store.Task(ctx, act.Value)
		if errors.Is(err, domain.ErrNotFound) {
			return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: "That task was already deleted."})
		}
		if err != nil {
			return err
		}
		if t.CreatedBy != place.UserID && !f.Admins[place.UserID] {
			return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(":no_entry: Only <@%s>, who created it, or a toban admin can change this task.", t.CreatedBy)})
		}
		switch act.ActionID {
		case actionTaskEdit:
			return f.openTaskModal(ctx, cb.TriggerID, taskForm{TaskID: t.ID, ChannelID: t.ChannelID}, t)
		case actionTaskDelete:
			if err := f.Store.DeleteTask(ctx, t.ID); err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
			f.Engine.Remove(t.ID)
			return f.Slack.Respond(ctx, place.ResponseURL, chat.Message{ReplaceOriginal: true, Text: fmt.Sprintf(":wastebasket: Deleted *%s*.", chat.Escape(t.Title))})
		case actionTaskPause, actionTaskResume:
			t.Paused = act.ActionID == actionTaskPause
			if err := f.Store.SetTaskPaused(ctx, t.ID, t.Paused); err != nil {
				return err
			}
			f.scheduleTask(t)
			msg, err := f.taskList(ctx, t.ChannelID)
			if err != nil {
				return err
			}
			msg.ReplaceOriginal = true
			return f.Slack.Respond(ctx, place.ResponseURL, msg)
		}
		return nil
	}}
}

// commonZones are offered by the time zone type-ahead; TOBAN_TIMEZONE is
// always among them.
var commonZones = []string{
	"UTC", "Asia/Tokyo", "Asia/Seoul", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore",
	"Asia/Manila", "Asia/Jakarta", "Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Kolkata", "Asia/Dubai",
	"Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane", "Australia/Perth", "Pacific/Auckland",
	"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam",
	"Europe/Madrid", "Europe/Rome", "Europe/Zurich", "Europe/Stockholm", "Europe/Warsaw", "Europe/Athens",
	"Europe/Helsinki", "Europe/Istanbul", "Europe/Moscow", "Africa/Johannesburg", "Africa/Lagos", "Africa/Cairo",
	"America/New_York", "America/Toronto", "America/Chicago", "America/Denver", "America/Phoenix",
	"America/Los_Angeles", "America/Vancouver", "America/Anchorage", "Pacific/Honolulu", "America/Mexico_City",
	"America/Bogota", "America/Lima", "America/Santiago", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
}

// SuggestZones answers the time zone type-ahead: TOBAN_TIMEZONE first, then
// the common zones matching query, and any full IANA name typed.
func (f *Feature) SuggestZones(query string) chat.Response {
	q := strings.ToLower(strings.TrimSpace(query))
	zones := append([]string{f.location().String()}, commonZones...)
	seen := map[string]bool{}
	var opts []*slack.OptionBlockObject
	for _, z := range zones {
		if seen[z] || (q != "" && !strings.Contains(strings.ToLower(z), q)) {
			continue
		}
		seen[z] = true
		opts = append(opts, slack.NewOptionBlockObject(z, chat.Plain(z), nil))
	}
	// A valid IANA name typed in full is accepted even if not listed.
	if _, err := time.LoadLocation(strings.TrimSpace(query)); err == nil && query != "" && !seen[strings.TrimSpace(query)] && strings.Contains(query, "/") {
		z := strings.TrimSpace(query)
		opts = append([]*slack.OptionBlockObject{slack.NewOptionBlockObject(z, chat.Plain(z), nil)}, opts...)
	}
	if opts == nil {
		opts = []*slack.OptionBlockObject{}
	}
	return chat.Response{Ack: slack.OptionsResponse{Options: opts}}
}
