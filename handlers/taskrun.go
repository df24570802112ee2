package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// taskWake nudges the escalation loop when a deadline may have moved.
type taskWake = chat.Waker

// FireTask posts the card of one due occurrence, exactly once: the
// occurrence is claimed in the database first, and a claim without a
// recorded message (a crash right after posting) is resolved by finding
// the card through its metadata before posting again.
func (a *App) FireTask(ctx context.Context, occ scheduler.Occurrence) error {
	task, err := a.Tasks.Task(ctx, occ.TaskID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // deleted since it was scheduled
	}
	if err != nil {
		return fmt.Errorf("fire %s: %w", occ.TaskID, err)
	}
	if task.Paused {
		return nil
	}
	base := occ.Due
	if occ.Late {
		base = a.now() // a late card gets its full grace period from now
	}
	var escalateAt time.Time
	if task.GraceMinutes > 0 {
		escalateAt = base.Add(time.Duration(task.GraceMinutes) * time.Minute)
	}
	o, claimed, err := a.Tasks.ClaimOccurrence(ctx, task.ID, occ.Due, occ.Late, task.ChannelID, escalateAt)
	if err != nil {
		return fmt.Errorf("claim %s at %s: %w", task.ID, occ.Due, err)
	}
	if o.HeldElsewhere {
		return nil // another replica claimed it and is posting its card
	}
	if err := a.postTaskCard(ctx, task, o, !claimed); err != nil {
		return err
	}
	a.taskWake.Wake()
	return nil
}

// postTaskCard makes sure the occurrence's card exists once. Only an
// occurrence claimed before (by a process that may have died right after
// posting) is looked for in the channel's history first: history is a
// Tier 3 method, too slow and scarce to consult on every firing.
func (a *App) postTaskCard(ctx context.Context, task domain.Task, o domain.Occurrence, claimedBefore bool) error {
	if o.TS != "" {
		return nil
	}
	var ts string
	var found bool
	var err error
	if claimedBefore {
		ts, found, err = a.Slack.FindMessage(ctx, o.ChannelID, o.ClaimedAt.Add(-time.Minute), metadataTaskCard, o.ID)
		if err != nil {
			a.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("could not look for an earlier card; posting")
		}
	}
	if !found {
		shown := o
		shown.State = domain.OccPosted // what the card is once posted
		ts, err = a.Slack.PostMessage(ctx, o.ChannelID, a.taskCard(ctx, task, shown))
		if err != nil {
			return fmt.Errorf("post card of %s: %w", o.ID, err)
		}
	}
	if err := a.Tasks.SetOccurrencePosted(ctx, o.ID, ts); err != nil {
		return fmt.Errorf("record card of %s: %w", o.ID, err)
	}
	// Someone may have clicked the card before its ts was recorded.
	if fresh, err := a.Tasks.Occurrence(ctx, o.ID); err == nil && fresh.State != domain.OccPosted {
		a.updateTaskCard(ctx, task, fresh)
	}
	return nil
}

// RecoverTasks finishes what a crash interrupted: occurrences claimed but
// never recorded as posted, by this process before a restart or by a
// replica that died, once their claims have lapsed. Run it at start and
// then every few seconds.
func (a *App) RecoverTasks(ctx context.Context) error {
	unposted, err := a.Tasks.RetakeUnposted(ctx)
	if err != nil {
		return fmt.Errorf("recover tasks: %w", err)
	}
	for _, o := range unposted {
		task, err := a.Tasks.Task(ctx, o.TaskID)
		if err != nil {
			a.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("unposted occurrence without a task")
			continue
		}
		if err := a.postTaskCard(ctx, task, o, true); err != nil {
			a.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("unposted occurrence still unposted")
		}
	}
	return nil
}

func (a *App) taskCard(ctx context.Context, task domain.Task, o domain.Occurrence) chat.Message {
	v := taskCardView{Task: task, Occurrence: o, Location: taskLocation(task, a.location()), Now: a.now()}
	if o.IncidentID != "" && a.PagerDuty != nil {
		if inc, err := a.PagerDuty.Incident(ctx, o.IncidentID); err == nil {
			v.IncidentStatus = incidentStatusLine(a.cardViewOf(ctx, inc))
		}
	}
	return renderTaskCard(v)
}

func incidentStatusLine(v cardView) string {
	inc := v.Incident
	s := fmt.Sprintf("<%s|PagerDuty incident #%d> %s", inc.URL, inc.Number, inc.Status)
	if n := len(inc.Acknowledgements); n > 0 && inc.Status == domain.StatusAcknowledged {
		s += " by " + v.person(inc.Acknowledgements[n-1].By)
	}
	return s
}

// updateTaskCard re-renders an occurrence's card in place.
func (a *App) updateTaskCard(ctx context.Context, task domain.Task, o domain.Occurrence) {
	if o.TS == "" {
		return
	}
	if err := a.Slack.UpdateMessage(ctx, o.ChannelID, o.TS, a.taskCard(ctx, task, o)); err != nil {
		a.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("task card not updated")
	}
}

// RunTaskEscalations sleeps until the next escalation deadline (never
// scanning on a tick) and escalates occurrences nobody started in time.
func (a *App) RunTaskEscalations(ctx context.Context, clock scheduler.Clock) {
	for {
		o, ok, err := a.Tasks.NextEscalation(ctx)
		if err != nil && ctx.Err() == nil {
			a.Log.Warn().Err(err).Msg("next escalation unreadable; retrying in a minute")
		}
		var next time.Time
		switch {
		case err != nil:
			next = clock.Now().Add(time.Minute)
		case ok:
			if !o.EscalateAt.After(clock.Now()) {
				a.escalateTask(ctx, o)
				continue
			}
			next = o.EscalateAt
		}
		if scheduler.SleepUntil(ctx, clock, next, a.taskWake.C()) != nil {
			return
		}
	}
}

// escalateTask reminds in the card's thread and, as configured, mentions
// the on-call or opens a PagerDuty incident keyed by the occurrence, so a
// retry after a crash cannot page twice.
func (a *App) escalateTask(ctx context.Context, o domain.Occurrence) {
	task, err := a.Tasks.Task(ctx, o.TaskID)
	if err != nil {
		a.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("escalating an occurrence without its task")
		_ = a.Tasks.MarkEscalated(ctx, o.ID, a.now(), "")
		return
	}
	who, incidentID := "", ""
	switch task.Escalation {
	case domain.EscalateOnCall:
		who = a.onCallMention(ctx, task.EscalationTargetName)
	case domain.EscalateIncident:
		incidentID, err = a.pageForTask(ctx, task, o)
		if err != nil {
			a.Log.Error().Err(err).Str("occurrence", o.ID).Msg("could not trigger the escalation incident; retrying in a minute")
			if err := a.Tasks.PostponeEscalation(ctx, o.ID, a.now().Add(time.Minute)); err != nil {
				a.Log.Error().Err(err).Str("occurrence", o.ID).Msg("escalation retry not recorded")
			}
			return
		}
	}
	if first, err := a.Store.FirstClick(ctx, "task-reminder:"+o.ID+":"+o.EscalateAt.Format(time.RFC3339)); err == nil && first && o.TS != "" {
		text := fmt.Sprintf(":alarm_clock: *%s* was due at %s and nobody has started it.", chat.Escape(task.Title), chat.FormatTime(a.now().In(taskLocation(task, a.location())), o.Due.In(taskLocation(task, a.location()))))
		if who != "" {
			text += " " + who + ", can you take it?"
		}
		if incidentID != "" {
			text += " I opened a PagerDuty incident so the person on duty gets paged."
		}
		if _, err := a.Slack.PostMessage(ctx, o.ChannelID, chat.Message{Text: text, ThreadTS: o.TS}); err != nil {
			a.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("reminder not posted")
		}
	}
	if err := a.Tasks.MarkEscalated(ctx, o.ID, a.now(), incidentID); err != nil {
		a.Log.Error().Err(err).Str("occurrence", o.ID).Msg("escalation not recorded")
		return
	}
	if fresh, err := a.Tasks.Occurrence(ctx, o.ID); err == nil {
		a.updateTaskCard(ctx, task, fresh)
	}
}

// onCallMention names who is on call now on the schedule.
func (a *App) onCallMention(ctx context.Context, schedule string) string {
	if a.PagerDuty == nil || schedule == "" {
		return ""
	}
	entries, err := a.PagerDuty.OnCalls(ctx, schedule)
	if err != nil {
		a.Log.Warn().Err(err).Msg("on-call unknown for a task reminder")
		return ""
	}
	var names []string
	seen := map[string]bool{}
	for _, l := range onCallLevels(entries, a.now()) {
		for _, e := range l.now {
			if seen[e.User.ID] || !strings.EqualFold(e.ScheduleName, schedule) {
				continue
			}
			seen[e.User.ID] = true
			if id, err := a.Store.SlackUserFor(ctx, e.User.ID); err == nil && id != "" {
				names = append(names, "<@"+id+">")
			} else {
				names = append(names, chat.Escape(e.User.Name))
			}
		}
	}
	return strings.Join(names, ", ")
}

// pageForTask opens the escalation incident, once per occurrence.
func (a *App) pageForTask(ctx context.Context, task domain.Task, o domain.Occurrence) (string, error) {
	if a.PagerDuty == nil {
		return "", domain.ErrNotConfigured
	}
	inc, err := a.PagerDuty.CreateIncident(ctx, domain.NewIncident{
		ServiceID:   task.EscalationTargetID,
		Title:       "Operations task not started: " + task.Title,
		Urgency:     "high",
		Details:     fmt.Sprintf("%s\n\nDue %s. Start it from the card in Slack.", task.Description, o.Due.Format(time.RFC1123)),
		IncidentKey: "toban-task-" + o.ID,
	}, domain.Person{Email: task.CreatorPDEmail})
	if errors.Is(err, domain.ErrInvalid) && strings.Contains(strings.ToLower(err.Error()), "matching dedup key") {
		return "", nil // opened before a crash; PagerDuty kept the first
	}
	if err != nil {
		return "", fmt.Errorf("page for %s: %w", o.ID, err)
	}
	return inc.ID, nil
}
