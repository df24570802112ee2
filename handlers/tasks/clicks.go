package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

const (
	viewTaskSkip  = "task.skip"
	maxSkipReason = 500
)

// taskClick handles Start, Done, Snooze and Skip on a task card. Every
// transition is a conditional update in the database, so double clicks
// and redeliveries change the state once; the loser is told who won.
func (f *Feature) taskClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	occID, snooze := act.Value, ""
	if act.ActionID == actionTaskSnooze {
		occID, snooze, _ = strings.Cut(act.SelectedOption.Value, "|")
	}
	if f.Store == nil || occID == "" {
		return chat.RespondLater(f.Slack, place.ResponseURL, OlderCard)
	}
	return chat.Response{Then: func(ctx context.Context) error {
		o, err := f.Store.Occurrence(ctx, occID)
		if errors.Is(err, domain.ErrNotFound) {
			return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: "That task was deleted."})
		}
		o, task, err := f.withTask(ctx, o, err)
		if err != nil {
			return err
		}
		now := f.now()
		var changed bool
		switch act.ActionID {
		case actionTaskStart:
			o, changed, err = f.Store.StartOccurrence(ctx, o.ID, place.UserID, now)
		case actionTaskDone:
			o, changed, err = f.Store.CompleteOccurrence(ctx, o.ID, place.UserID, now)
			if err == nil && changed && o.IncidentID != "" {
				f.resolveTaskIncident(ctx, place, o)
			}
		case actionTaskSkip:
			if o.State != domain.OccPosted && o.State != domain.OccStarted {
				break
			}
			return f.openSkip(ctx, cb.TriggerID, place, o)
		case actionTaskSnooze:
			until, ok := snoozeUntil(snooze, now, o.Due, taskLocation(task, f.location()))
			if !ok {
				return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: "Choose 15 minutes, 1 hour or tomorrow."})
			}
			o, changed, err = f.Store.SnoozeOccurrence(ctx, o.ID, place.UserID, until, until)
			if err == nil && changed {
				f.wake.Wake()
			}
		}
		if err != nil {
			return err
		}
		return f.showTaskChange(ctx, place, task, o, changed)
	}}
}

// snoozeUntil turns a snooze choice into a time: 15 minutes or an hour
// from now, or tomorrow at the due time of day in the task's zone.
func snoozeUntil(choice string, now, due time.Time, loc *time.Location) (time.Time, bool) {
	switch choice {
	case "15m":
		return now.Add(15 * time.Minute), true
	case "1h":
		return now.Add(time.Hour), true
	case "tomorrow":
		n, d := now.In(loc), due.In(loc)
		return time.Date(n.Year(), n.Month(), n.Day()+1, d.Hour(), d.Minute(), 0, 0, loc), true
	}
	return time.Time{}, false
}

// taskStateSentence says where an occurrence stands, for a click that
// came too late to change it.
func taskStateSentence(o domain.Occurrence, now time.Time) string {
	at := func(t time.Time) string { return chat.FormatTime(now, t.In(now.Location())) }
	switch o.State {
	case domain.OccStarted:
		return fmt.Sprintf("Already started by <@%s> at %s.", o.StartedBy, at(o.StartedAt))
	case domain.OccDone:
		return fmt.Sprintf("Already done by <@%s> at %s.", o.DoneBy, at(o.DoneAt))
	case domain.OccSkipped:
		return fmt.Sprintf("Already skipped by <@%s>: %s", o.SkippedBy, o.SkipReason)
	}
	return "Nothing changed: the task is not in a state that allows it."
}

func (f *Feature) resolveTaskIncident(ctx context.Context, place chat.Place, o domain.Occurrence) {
	actor, err := f.Identity.ActingAs(ctx, place.UserID)
	if err != nil {
		_ = chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: "The task is done, but I could not resolve its PagerDuty incident as you (link your account with `/toban link`). Resolve it in PagerDuty."})
		return
	}
	if _, err := f.PagerDuty.Resolve(ctx, o.IncidentID, actor); err != nil && !errors.Is(err, domain.ErrInvalid) {
		f.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("task incident not resolved")
		_ = chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: "The task is done, but resolving its PagerDuty incident failed: " + chat.UserMessage(err)})
	}
}

func (f *Feature) openSkip(ctx context.Context, triggerID string, place chat.Place, o domain.Occurrence) error {
	input := slack.NewPlainTextInputBlockElement(chat.Plain("e.g. customer postponed the maintenance"), "reason")
	input.MaxLength = maxSkipReason
	_, err := f.Slack.OpenView(ctx, triggerID, chat.Modal(viewTaskSkip, "Skip this time", "Skip",
		chat.ModalState{IncidentID: o.ID, ChannelID: place.ChannelID, MessageTS: place.MessageTS},
		slack.NewInputBlock("reason", chat.Plain("Why is it skipped?"), chat.Plain("Shown on the card, so the team knows."), input)))
	if err != nil {
		return fmt.Errorf("open skip modal: %w", err)
	}
	return nil
}

// skipSubmission validates the reason and records the skip.
func (f *Feature) skipSubmission(cb slack.InteractionCallback, state chat.ModalState) chat.Response {
	reason := strings.TrimSpace(cb.View.State.Values["reason"]["reason"].Value)
	switch {
	case reason == "":
		return chat.Response{Ack: chat.ViewErrors(map[string]string{"reason": "Say why, so the team knows."})}
	case utf8.RuneCountInString(reason) > maxSkipReason:
		return chat.Response{Ack: chat.ViewErrors(map[string]string{"reason": fmt.Sprintf("At most %d characters.", maxSkipReason)})}
	}
	place := chat.Place{UserID: cb.User.ID, ChannelID: state.ChannelID, MessageTS: state.MessageTS}
	return chat.Response{Then: func(ctx context.Context) error {
		o, changed, err := f.Store.SkipOccurrence(ctx, state.IncidentID, place.UserID, reason, f.now())
		o, task, err := f.withTask(ctx, o, err)
		if err != nil {
			return err
		}
		return f.showTaskChange(ctx, place, task, o, changed)
	}}
}

// withTask reads the task of o, which a click or a modal has just read or
// changed (err is how that went; it is returned as is).
func (f *Feature) withTask(ctx context.Context, o domain.Occurrence, err error) (domain.Occurrence, domain.Task, error) {
	if err != nil {
		return o, domain.Task{}, err
	}
	task, err := f.Store.Task(ctx, o.TaskID)
	return o, task, err
}

// showTaskChange puts an occurrence's new state on its card and, when the
// click changed nothing (someone got there first), tells the clicker what
// the state already is.
func (f *Feature) showTaskChange(ctx context.Context, place chat.Place, task domain.Task, o domain.Occurrence, changed bool) error {
	if o.TS == "" && place.MessageTS != "" {
		// Clicked the instant it appeared, before toban recorded its ts:
		// the click says where the card is.
		o.ChannelID, o.TS = place.ChannelID, place.MessageTS
	}
	f.updateTaskCard(ctx, task, o)
	if !changed {
		return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: ":information_source: " + taskStateSentence(o, f.now().In(taskLocation(task, f.location())))})
	}
	return nil
}
