package tasks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// Fire posts the card of one due occurrence, exactly once: the
// occurrence is claimed in the database first, and a claim without a
// recorded message (a crash right after posting) is resolved by finding
// the card through its metadata before posting again.
func (f *Feature) Fire(ctx context.Context, occ scheduler.Occurrence) error {
	task, err := f.Store.Task(ctx, occ.TaskID)
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
		base = f.now() // a late card gets its full grace period from now
	}
	var escalateAt time.Time
	if task.GraceMinutes > 0 {
		escalateAt = base.Add(time.Duration(task.GraceMinutes) * time.Minute)
	}
	o, claimed, err := f.Store.ClaimOccurrence(ctx, task.ID, occ.Due, occ.Late, task.ChannelID, escalateAt)
	if err != nil {
		return fmt.Errorf("claim %s at %s: %w", task.ID, occ.Due, err)
	}
	if o.HeldElsewhere {
		return nil // another replica claimed it and is posting its card
	}
	if err := f.postTaskCard(ctx, task, o, !claimed); err != nil {
		return err
	}
	f.wakeForEscalation(o.EscalateAt)
	return nil
}

// wakeForEscalation wakes Run if at is earlier than the deadline it
// sleeps until. Run looks again at that deadline anyway, so a later one
// needs no wake, even if Run's look missed it.
func (f *Feature) wakeForEscalation(at time.Time) {
	if at.IsZero() {
		return
	}
	if armed := f.armed.Load(); armed == 0 || at.UnixMilli() < armed {
		f.wake.Wake()
	}
}

// postTaskCard makes sure the occurrence's card exists once. Only an
// occurrence claimed before (by a process that may have died right after
// posting) is looked for in the channel's history first: history is a
// Tier 3 method, too slow and scarce to consult on every firing.
func (f *Feature) postTaskCard(ctx context.Context, task domain.Task, o domain.Occurrence, claimedBefore bool) error {
	if o.TS != "" {
		return nil
	}
	var ts string
	var found bool
	var err error
	if claimedBefore {
		ts, found, err = f.Slack.FindMessage(ctx, o.ChannelID, o.ClaimedAt.Add(-time.Minute), metadataTaskCard, o.ID)
		if err != nil {
			f.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("could not look for an earlier card; posting")
		}
	}
	if !found {
		shown := o
		shown.State = domain.OccPosted // what the card is once posted
		ts, err = f.Slack.PostMessage(ctx, o.ChannelID, f.taskCard(ctx, task, shown))

		if err != nil {
			return fmt.Errorf("post card of %s: %w", o.ID, err)
		}
	}
	fresh, err := f.Store.SetOccurrencePosted(ctx, o.ID, ts)
	if errors.Is(err, domain.ErrAlreadyPosted) && !found {
		// Another card of the occurrence was recorded while this one was
		// on its way: a post still in flight when this process looked in
		// the channel (from a replica that died, or before a restart).
		// The recorded card stays; this one is taken back.
		if derr := f.Slack.DeleteMessage(ctx, o.ChannelID, ts); derr != nil {
			return fmt.Errorf("record card of %s: %w; and the second card %s stays: %w", o.ID, err, ts, derr)
		}
		f.Log.Info().Str("occurrence", o.ID).Str("ts", ts).Msg("card posted twice; the second taken back")
		return nil
	}
	if err != nil {
		return fmt.Errorf("record card of %s: %w", o.ID, err)
	}
	// Someone may have clicked the card before its ts was recorded.
	if fresh.State != domain.OccPosted {
		f.updateTaskCard(ctx, task, fresh)
	}
	return nil
}

// Recover finishes what a crash interrupted: occurrences claimed but
// never recorded as posted, by this process before a restart or by a
// replica that died, once their claims have lapsed. Run it at start and
// then every few seconds.
func (f *Feature) Recover(ctx context.Context) error {
	unposted, err := f.Store.RetakeUnposted(ctx)
	if err != nil {
		return fmt.Errorf("recover tasks: %w", err)
	}
	for _, o := range unposted {
		task, err := f.Store.Task(ctx, o.TaskID)
		if err != nil {
			f.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("unposted occurrence without a task")
			continue
		}
		if err := f.postTaskCard(ctx, task, o, true); err != nil {
			f.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("unposted occurrence still unposted")
		}
	}
	return nil
}

func (f *Feature) taskCard(ctx context.Context, task domain.Task, o domain.Occurrence) chat.Message {
	v := taskCardView{Task: task, Occurrence: o, Location: taskLocation(task, f.location()), Now: f.now()}
	if o.IncidentID != "" && f.PagerDuty != nil && f.Incidents != nil {
		if line, err := f.Incidents.IncidentStatusLine(ctx, o.IncidentID); err == nil {
			v.IncidentStatus = line
		}
	}
	return renderTaskCard(v)
}

// updateTaskCard re-renders an occurrence's card in place.
func (f *Feature) updateTaskCard(ctx context.Context, task domain.Task, o domain.Occurrence) {
	if o.TS == "" {
		return
	}
	if err := f.Slack.UpdateMessage(ctx, o.ChannelID, o.TS, f.taskCard(ctx, task, o)); err != nil {
		f.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("task card not updated")
	}
}

// Run sleeps until the next escalation deadline on Clock (never scanning
// on a tick) and escalates occurrences nobody started in time, until ctx
// ends.
func (f *Feature) Run(ctx context.Context) error {
	clock := f.Clock
	for {
		f.armed.Store(0)
		o, ok, err := f.Store.NextEscalation(ctx)
		if err != nil && ctx.Err() == nil {
			f.Log.Warn().Err(err).Msg("next escalation unreadable; retrying in a minute")
		}
		var next time.Time
		switch {
		case err != nil:
			next = clock.Now().Add(time.Minute)
		case ok:
			if !o.EscalateAt.After(clock.Now()) {
				f.escalateTask(ctx, o)
				continue
			}
			next = o.EscalateAt
		}
		if next.IsZero() {
			f.armed.Store(math.MaxInt64)
		} else {
			f.armed.Store(next.UnixMilli())
		}
		if scheduler.SleepUntil(ctx, clock, next, f.wake.C()) != nil {
			return nil
		}
	}
}

// escalateTask reminds in the card's thread and, as configured, mentions
// the on-call or opens a PagerDuty incident keyed by the occurrence, so a
// retry after a crash cannot page twice.
func (f *Feature) escalateTask(ctx context.Context, o domain.Occurrence) {
	task, err := f.Store.Task(ctx, o.TaskID)
	if err != nil {
		f.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("escalating an occurrence without its task")
		_ = f.Store.MarkEscalated(ctx, o.ID, f.now(), "")
		return
	}
	who, incidentID := "", ""
	switch task.Escalation {
	case domain.EscalateOnCall:
		who = f.onCallMention(ctx, task.EscalationTargetName)
	case domain.EscalateIncident:
		incidentID, err = f.pageForTask(ctx, task, o)
		if err != nil {
			f.Log.Error().Err(err).Str("occurrence", o.ID).Msg("could not trigger the escalation incident; retrying in a minute")
			if err := f.Store.PostponeEscalation(ctx, o.ID, f.now().Add(time.Minute)); err != nil {
				f.Log.Error().Err(err).Str("occurrence", o.ID).Msg("escalation retry not recorded")
			}
			return
		}
	}
	if first, err := f.Clicks.FirstClick(ctx, "task-reminder:"+o.ID+":"+o.EscalateAt.Format(time.RFC3339)); err == nil && first && o.TS != "" {
		text := fmt.Sprintf(":alarm_clock: *%s* was due at %s and nobody has started it.", chat.Escape(task.Title), chat.FormatTime(f.now().In(taskLocation(task, f.location())), o.Due.In(taskLocation(task, f.location()))))
		if who != "" {
			text += " " + who + ", can you take it?"
		}
		if incidentID != "" {
			text += " I opened a PagerDuty incident so the person on duty gets paged."
		}
		if _, err := f.Slack.PostMessage(ctx, o.ChannelID, chat.Message{Text: text, ThreadTS: o.TS}); err != nil {
			f.Log.Warn().Err(err).Str("occurrence", o.ID).Msg("reminder not posted")
		}
	}
	if err := f.Store.MarkEscalated(ctx, o.ID, f.now(), incidentID); err != nil {
		f.Log.Error().Err(err).Str("occurrence", o.ID).Msg("escalation not recorded")
		return
	}
	if fresh, err := f.Store.Occurrence(ctx, o.ID); err == nil {
		f.updateTaskCard(ctx, task, fresh)
	}
}

// onCallMention names who is on call now on the schedule.
func (f *Feature) onCallMention(ctx context.Context, schedule string) string {
	if f.PagerDuty == nil || schedule == "" {
		return ""
	}
	entries, err := f.PagerDuty.OnCalls(ctx, schedule)
	if err != nil {
		f.Log.Warn().Err(err).Msg("on-call unknown for a task reminder")
		return ""
	}
	var names []string
	seen := map[string]bool{}
	for _, l := range chat.OnCallLevels(entries, f.now()) {
		for _, e := range l.Now {
			if seen[e.User.ID] || !strings.EqualFold(e.ScheduleName, schedule) {
				continue
			}
			seen[e.User.ID] = true
			if id, err := f.Users.SlackUserFor(ctx, e.User.ID); err == nil && id != "" {
				names = append(names, "<@"+id+">")
			} else {
				names = append(names, chat.Escape(e.User.Name))
			}
		}
	}
	return strings.Join(names, ", ")
}

// pageForTask opens the escalation incident, once per occurrence.
func (f *Feature) pageForTask(ctx context.Context, task domain.Task, o domain.Occurrence) (string, error) {
	if f.PagerDuty == nil {
		return "", domain.ErrNotConfigured
	}
	inc, err := f.PagerDuty.CreateIncident(ctx, domain.NewIncident{
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
