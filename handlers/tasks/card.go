package tasks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// Action IDs of task card controls; each carries the occurrence ID.
const (
	actionTaskStart  = "task.start"
	actionTaskDone   = "task.done"
	actionTaskSnooze = "task.snooze" // a select: 15m, 1h, tomorrow
	actionTaskSkip   = "task.skip"
)

// metadataTaskCard tags task cards so a card posted before a crash can be
// found again.
const metadataTaskCard = "toban_task_occurrence"

// taskCardView is everything a task card shows.
type taskCardView struct {
	Task       domain.Task
	Occurrence domain.Occurrence
	Location   *time.Location // the task's time zone
	Now        time.Time
	// IncidentStatus is the PagerDuty incident's state line, if escalated.
	IncidentStatus string
}

var taskStateEmoji = map[string]string{
	domain.OccClaimed: ":calendar:", domain.OccPosted: ":calendar:", domain.OccStarted: ":hammer_and_wrench:",
	domain.OccDone: ":white_check_mark:", domain.OccSkipped: ":fast_forward:",
}

// renderTaskCard builds the card of one occurrence of a task. Controls
// follow the state: Start, Done, Snooze and Skip until started; Done and
// Skip while started; none when done or skipped.
func renderTaskCard(v taskCardView) chat.Message {
	t, o := v.Task, v.Occurrence
	loc := v.Location
	if loc == nil {
		loc = time.UTC
	}
	now := v.Now.In(loc)
	due := o.Due.In(loc)
	at := func(t time.Time) string { return chat.FormatTime(now, t.In(loc)) }

	blocks := []slack.Block{slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf("%s *%s*", taskStateEmoji[o.State], chat.Escape(t.Title))), nil, nil)}
	if d := strings.TrimSpace(t.Description); d != "" {
		blocks = append(blocks, slack.NewSectionBlock(chat.Mrkdwn(chat.Escape(d)), nil, nil))
	}
	dueLine := fmt.Sprintf("Due %s (%s)", chat.FormatTime(now, due), loc)
	if o.Late && !o.ClaimedAt.IsZero() && o.ClaimedAt.After(o.Due) {
		dueLine += fmt.Sprintf(" — posted late by %s: toban was not running at the due time", roundDuration(o.ClaimedAt.Sub(o.Due)))
	}
	blocks = append(blocks, slack.NewContextBlock("", chat.Mrkdwn(dueLine)))

	var lines []string
	if !o.SnoozedUntil.IsZero() && o.State == domain.OccPosted {
		lines = append(lines, fmt.Sprintf("Snoozed by <@%s> until %s", o.SnoozedBy, at(o.SnoozedUntil)))
	}
	if !o.EscalatedAt.IsZero() {
		line := fmt.Sprintf("Not started in time: escalated at %s", at(o.EscalatedAt))
		if v.IncidentStatus != "" {
			line += " — " + v.IncidentStatus
		}
		lines = append(lines, line)
	}
	if !o.StartedAt.IsZero() {
		lines = append(lines, fmt.Sprintf("Started by <@%s> at %s", o.StartedBy, at(o.StartedAt)))
	}
	switch o.State {
	case domain.OccDone:
		took := ""
		if !o.StartedAt.IsZero() {
			took = fmt.Sprintf(" (took %s)", roundDuration(o.DoneAt.Sub(o.StartedAt)))
		}
		lines = append(lines, fmt.Sprintf("Done by <@%s> at %s%s", o.DoneBy, at(o.DoneAt), took))
	case domain.OccSkipped:
		lines = append(lines, fmt.Sprintf("Skipped by <@%s>: %s", o.SkippedBy, chat.Escape(o.SkipReason)))
	}
	if len(lines) > 0 {
		blocks = append(blocks, slack.NewContextBlock("", chat.Mrkdwn(strings.Join(lines, "\n"))))
	}
	if controls := taskControls(o); len(controls) > 0 {
		blocks = append(blocks, slack.NewActionBlock("task/"+o.ID, controls...))
	}
	return chat.Message{
		Text:     fmt.Sprintf("%s — due %s (%s)", t.Title, chat.FormatTime(now, due), o.State),
		Blocks:   blocks,
		Metadata: &chat.Metadata{EventType: metadataTaskCard, Key: o.ID},
	}
}

func taskControls(o domain.Occurrence) []slack.BlockElement {
	button := func(action, label string, style slack.Style) *slack.ButtonBlockElement {
		b := slack.NewButtonBlockElement(action, o.ID, chat.Plain(label))
		b.Style = style
		return b
	}
	switch o.State {
	case domain.OccPosted:
		snooze := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("Snooze"), actionTaskSnooze,
			slack.NewOptionBlockObject(o.ID+"|15m", chat.Plain("15 minutes"), nil),
			slack.NewOptionBlockObject(o.ID+"|1h", chat.Plain("1 hour"), nil),
			slack.NewOptionBlockObject(o.ID+"|tomorrow", chat.Plain("Tomorrow"), nil))
		return []slack.BlockElement{button(actionTaskStart, "Start", slack.StylePrimary), button(actionTaskDone, "Done", slack.StyleDefault), snooze, button(actionTaskSkip, "Skip", slack.StyleDefault)}
	case domain.OccStarted:
		return []slack.BlockElement{button(actionTaskDone, "Done", slack.StylePrimary), button(actionTaskSkip, "Skip", slack.StyleDefault)}
	}
	return nil
}

// roundDuration shows d as people say it: "28 min", "2 h", "1 h 5 min".
func roundDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", int(d.Hours()))
	default:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
}

// taskLocation is the task's time zone, from its rule.
func taskLocation(t domain.Task, fallback *time.Location) *time.Location {
	if t.Rule.Location == nil {
		return fallback
	}
	return t.Rule.Location
}
