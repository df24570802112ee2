package handlers

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
func (a *App) remindersCommand(in invocation) chat.Response {
	if a.Tasks == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: "Scheduled tasks are not set up in this toban."})}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		msg, err := a.taskList(ctx, in.ChannelID)
		if err != nil {
			return err
		}
		return a.Slack.Respond(ctx, in.ResponseURL, msg)
	}}
}

func (a *App) taskList(ctx context.Context, channelID string) (chat.Message, error) {
	tasks, err := a.Tasks.TasksInChannel(ctx, channelID)
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
		blocks = append(blocks, a.taskListEntry(t)...)
	}
	return chat.Message{Text: fmt.Sprintf("%d scheduled tasks", len(tasks)), Blocks: blocks}, nil
}

func (a *App) taskListEntry(t domain.Task) []slack.Block {
	loc := taskLocation(t, a.location())
	schedule := t.Rule.String()
	next := "no further due time"
	if t.Paused {
		next = "*paused*"
	} else if due, ok := a.Engine.NextDue(t.ID); ok {
		next = "next " + chat.FormatTime(a.now().In(loc), due.In(loc))
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
func (a *App) taskListClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	return chat.Response{Then: func(ctx context.Context) error {
		t, err := a.Tasks.Task(ctx, act.Value)
		if errors.Is(err, domain.ErrNotFound) {
			return a.tellClicker(ctx, place, chat.Message{Text: "That task was already deleted."})
		}
		if err != nil {
			return err
		}
		if t.CreatedBy != place.UserID && !a.Admins[place.UserID] {
			return a.tellClicker(ctx, place, chat.Message{Text: fmt.Sprintf(":no_entry: Only <@%s>, who created it, or a toban admin can change this task.", t.CreatedBy)})
		}
		switch act.ActionID {
		case actionTaskEdit:
			return a.openTaskModal(ctx, cb.TriggerID, taskForm{TaskID: t.ID, ChannelID: t.ChannelID}, t)
		case actionTaskDelete:
			if err := a.Tasks.DeleteTask(ctx, t.ID); err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
			a.Engine.Remove(t.ID)
			return a.Slack.Respond(ctx, place.ResponseURL, chat.Message{ReplaceOriginal: true, Text: fmt.Sprintf(":wastebasket: Deleted *%s*.", chat.Escape(t.Title))})
		case actionTaskPause, actionTaskResume:
			t.Paused = act.ActionID == actionTaskPause
			if err := a.Tasks.SetTaskPaused(ctx, t.ID, t.Paused); err != nil {
				return err
			}
			a.scheduleTask(t)
			msg, err := a.taskList(ctx, t.ChannelID)
			if err != nil {
				return err
			}
			msg.ReplaceOriginal = true
			return a.Slack.Respond(ctx, place.ResponseURL, msg)
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

func (a *App) suggestZones(query string) chat.Response {
	q := strings.ToLower(strings.TrimSpace(query))
	zones := append([]string{a.location().String()}, commonZones...)
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

func (a *App) suggestSchedules(ctx context.Context, query string) chat.Response {
	empty := chat.Response{Ack: slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}}
	if a.PagerDuty == nil {
		return empty
	}
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	list, err := a.PagerDuty.Schedules(ctx, query)
	if err != nil {
		a.Log.Warn().Err(err).Msg("schedules for type-ahead unavailable")
		return empty
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	opts := []*slack.OptionBlockObject{}
	for i, s := range list {
		if i == 100 {
			break
		}
		opts = append(opts, slack.NewOptionBlockObject(s.ID, chat.Plain(chat.Truncate(s.Name, 75)), nil))
	}
	return chat.Response{Ack: slack.OptionsResponse{Options: opts}}
}
