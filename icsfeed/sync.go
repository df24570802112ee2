package icsfeed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

// Store is the database Sync keeps in step (*storage.DB).
type Store interface {
	CalendarTasks(ctx context.Context, calendarID string) ([]domain.Task, error)
	SaveTask(ctx context.Context, t domain.Task) (domain.Task, error)
	DeleteTask(ctx context.Context, id string) error
}

// Scheduler is told about every task Sync saves or deletes
// (*scheduler.Engine).
type Scheduler interface {
	Upsert(t scheduler.Task)
	Remove(taskID string)
}

// SyncResult counts what Sync changed.
type SyncResult struct {
	Created, Updated, Deleted int
	// Upcoming is how many of the calendar's tasks are still to come.
	Upcoming int
}

// Sync makes the calendar's tasks match its upcoming instances, which
// Expand returned for a window starting at now: an instance without a task
// gets one, a task whose instance changed (time, title, description) or
// whose calendar settings changed is updated, and a task not yet due whose
// instance is gone (cancelled, deleted, moved into the past or beyond the
// window) is deleted. Tasks already due are history and stay as they are,
// unless their instance moved into the future, which schedules them again.
// A task someone paused stays paused. Each change is told to sch at once.
// One task that cannot be saved does not stop the others; the errors are
// returned together.
func Sync(ctx context.Context, st Store, sch Scheduler, cal domain.Calendar, instances []Instance, now time.Time) (SyncResult, error) {
	var res SyncResult
	existing, err := st.CalendarTasks(ctx, cal.ID)
	if err != nil {
		return res, fmt.Errorf("sync calendar %s: %w", cal.ID, err)
	}
	byKey := make(map[string]domain.Task, len(existing))
	for _, t := range existing {
		byKey[t.ExternalID] = t
	}
	var errs []error
	want := make(map[string]bool, len(instances))
	for _, in := range instances {
		want[in.Key] = true
		t := TaskFor(cal, in)
		old, ok := byKey[in.Key]
		if ok {
			t.ID, t.Paused = old.ID, old.Paused
			if sameTask(old, t) {
				continue
			}
		}
		saved, err := st.SaveTask(ctx, t)
		if err != nil {
			errs = append(errs, fmt.Errorf("event %q: %w", in.Summary, err))
			continue
		}
		if ok {
			res.Updated++
		} else {
			res.Created++
		}
		sch.Upsert(scheduler.Task{ID: saved.ID, Rule: saved.Rule, Paused: saved.Paused})
	}
	res.Upcoming = len(instances)
	for _, t := range existing {
		if want[t.ExternalID] || !notYetDue(t, now) {
			continue
		}
		if err := st.DeleteTask(ctx, t.ID); err != nil && !errors.Is(err, domain.ErrNotFound) {
			errs = append(errs, fmt.Errorf("event task %s: %w", t.ID, err))
			continue
		}
		sch.Remove(t.ID)
		res.Deleted++
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("sync calendar %s: %w", cal.ID, errors.Join(errs...))
	}
	return res, nil
}

// notYetDue reports whether the task's one-off due time is still to come,
// so its card was never posted.
func notYetDue(t domain.Task, now time.Time) bool {
	_, ok := t.Rule.Next(now)
	return ok
}

// TaskFor is the task of one instance of the calendar's events: a one-off
// at the instance's start, titled by its summary, with the calendar's
// channel, grace period and escalation.
func TaskFor(cal domain.Calendar, in Instance) domain.Task {
	title := truncate(in.Summary, domain.MaxTaskTitle-1)
	if title == "" {
		title = "(untitled event)"
	}
	desc := in.Description
	if in.Location != "" {
		desc += "\n📍 " + in.Location
	}
	if in.URL != "" {
		desc += "\n🔗 " + in.URL
	}
	return domain.Task{
		Title:                title,
		Description:          truncate(trimNewlines(desc), domain.MaxTaskDescription-1),
		ChannelID:            cal.ChannelID,
		Rule:                 onceRule(in.Start),
		GraceMinutes:         cal.GraceMinutes,
		Escalation:           cal.Escalation,
		EscalationTargetID:   cal.EscalationTargetID,
		EscalationTargetName: cal.EscalationTargetName,
		CreatedBy:            cal.CreatedBy,
		CreatorPDEmail:       cal.CreatorPDEmail,
		Source:               cal.Source(),
		ExternalID:           in.Key,
	}
}

// onceRule is a one-off rule due at start, in start's zone. A time the
// zone shows twice (the repeated hour when clocks go back) is due at its
// first occurrence in a rule, so an instance at the second one gets a rule
// in UTC instead.
func onceRule(start time.Time) scheduler.Rule {
	r := scheduler.Rule{Kind: scheduler.KindOnce, Date: start.Format(time.DateOnly), At: start.Format("15:04"), Location: start.Location()}
	if due, ok := r.Next(start.Add(-time.Minute)); ok && due.Equal(start) {
		return r
	}
	u := start.UTC()
	return scheduler.Rule{Kind: scheduler.KindOnce, Date: u.Format(time.DateOnly), At: u.Format("15:04"), Location: time.UTC}
}

func trimNewlines(s string) string {
	for len(s) > 0 && s[0] == '\n' {
		s = s[1:]
	}
	return s
}

// sameTask reports whether saving t over old would change nothing.
func sameTask(old, t domain.Task) bool {
	return old.Title == t.Title && old.Description == t.Description && old.ChannelID == t.ChannelID &&
		old.Rule.Encode() == t.Rule.Encode() && old.GraceMinutes == t.GraceMinutes && old.Escalation == t.Escalation &&
		old.EscalationTargetID == t.EscalationTargetID && old.EscalationTargetName == t.EscalationTargetName &&
		old.CreatorPDEmail == t.CreatorPDEmail
}
