package shiftfile

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
)

// Directory finds the schedules and people rows name; *pagerduty.Client
// is one.
type Directory interface {
	// Schedules lists schedules whose name matches query (all for "").
	Schedules(ctx context.Context, query string) ([]domain.Schedule, error)
	// UserByEmail fails with domain.ErrNotFound when nobody has the email.
	UserByEmail(ctx context.Context, email string) (domain.Person, error)
}

// Overrides creates and removes schedule overrides; *pagerduty.Client is one.
type Overrides interface {
	CreateOverride(ctx context.Context, scheduleID string, user domain.Person, start, end time.Time) (domain.Override, error)
	DeleteOverride(ctx context.Context, scheduleID, overrideID string) error
}

// Shift is a row resolved to a PagerDuty schedule and user: one override
// to create.
type Shift struct {
	Line     int
	Schedule domain.Schedule
	User     domain.Person
	Start    time.Time
	End      time.Time
}

// Resolve finds each row's schedule (by ID, else by name, ignoring case)
// and user (by email), and checks what only then can be checked: that
// no shift has already ended and that no two shifts of one schedule
// overlap. It returns the shifts only when no row has a problem; err is
// for PagerDuty failing, not for bad rows.
func Resolve(ctx context.Context, rows []Row, dir Directory, now time.Time) ([]Shift, []RowError, error) {
	all, err := dir.Schedules(ctx, "")
	if err != nil {
		return nil, nil, fmt.Errorf("list schedules: %w", err)
	}
	byID := map[string]domain.Schedule{}
	byName := map[string][]domain.Schedule{}
	for _, s := range all {
		byID[s.ID] = s
		key := strings.ToLower(strings.TrimSpace(s.Name))
		byName[key] = append(byName[key], s)
	}
	users := map[string]*domain.Person{} // lower email → user, nil when unknown
	var problems []RowError
	shifts := make([]Shift, 0, len(rows))
	for _, r := range rows {
		var why []string
		sched, ok := byID[r.Schedule]
		if !ok {
			switch matches := byName[strings.ToLower(r.Schedule)]; len(matches) {
			case 0:
				why = append(why, fmt.Sprintf("PagerDuty has no schedule named %q", truncate(r.Schedule, 60)))
			case 1:
				sched = matches[0]
			default:
				why = append(why, fmt.Sprintf("%d schedules are named %q; use the schedule ID instead", len(matches), truncate(r.Schedule, 60)))
			}
		}
		key := strings.ToLower(r.Email)
		user, looked := users[key]
		if !looked {
			p, err := dir.UserByEmail(ctx, r.Email)
			switch {
			case errors.Is(err, domain.ErrNotFound):
			case err != nil:
				return nil, nil, fmt.Errorf("look up %s: %w", r.Email, err)
			default:
				user = &p
			}
			users[key] = user
		}
		if user == nil {
			why = append(why, fmt.Sprintf("no PagerDuty user has the email %s", r.Email))
		}
		if !r.End.After(now) {
			why = append(why, fmt.Sprintf("the shift ended already (%s)", r.End.Format("2006-01-02 15:04 MST")))
		}
		if len(why) > 0 {
			problems = append(problems, RowError{r.Line, strings.Join(why, "; ") + "."})
			continue
		}
		shifts = append(shifts, Shift{Line: r.Line, Schedule: sched, User: *user, Start: r.Start, End: r.End})
	}
	problems = append(problems, overlaps(shifts)...)
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return nil, problems, nil
	}
	return shifts, nil, nil
}

// overlaps reports each shift that overlaps an earlier-starting one of the
// same schedule: two overrides at once would silently hide one of them.
func overlaps(shifts []Shift) []RowError {
	bySchedule := map[string][]Shift{}
	for _, s := range shifts {
		bySchedule[s.Schedule.ID] = append(bySchedule[s.Schedule.ID], s)
	}
	var out []RowError
	for _, list := range bySchedule {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Start.Before(list[j].Start) })
		latest := list[0] // the shift reaching furthest so far
		for _, s := range list[1:] {
			if s.Start.Before(latest.End) {
				bad, other := s, latest
				if bad.Line < other.Line {
					bad, other = other, bad
				}
				out = append(out, RowError{bad.Line, fmt.Sprintf("overlaps line %d: both put someone on %s at %s.",
					other.Line, bad.Schedule.Name, later(s.Start, latest.Start).Format("2006-01-02 15:04 MST"))})
			}
			if s.End.After(latest.End) {
				latest = s
			}
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Apply creates one override per shift, in order. If PagerDuty refuses
// one, those already created are deleted again, so that the schedule is
// as before; the error says so (or which ones could not be removed).
func Apply(ctx context.Context, shifts []Shift, o Overrides) ([]domain.Override, error) {
	created := make([]domain.Override, 0, len(shifts))
	for _, s := range shifts {
		ov, err := o.CreateOverride(ctx, s.Schedule.ID, s.User, s.Start, s.End)
		if err == nil {
			created = append(created, ov)
			continue
		}
		var left []string
		for _, c := range created {
			// The caller's context may be what failed; undo regardless.
			undoCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			if derr := o.DeleteOverride(undoCtx, c.ScheduleID, c.ID); derr != nil {
				left = append(left, fmt.Sprintf("%s on %s", c.ID, c.ScheduleID))
			}
			cancel()
		}
		if len(left) > 0 {
			return nil, fmt.Errorf("line %d (%s): %w; %d overrides created before could not be removed: %s",
				s.Line, s.Schedule.Name, err, len(left), strings.Join(left, ", "))
		}
		return nil, fmt.Errorf("line %d (%s): %w; the %d overrides created before it were removed again, so nothing changed",
			s.Line, s.Schedule.Name, err, len(created))
	}
	return created, nil
}

// Describe says what a shift does, with times in loc: "line 2: Primary —
// Bob Ops (bob@example.com), Tue Dec 1 09:00 → Tue Dec 1 18:00".
func Describe(s Shift, loc *time.Location) string {
	return fmt.Sprintf("line %d: %s — %s (%s), %s → %s", s.Line, s.Schedule.Name, s.User.Name, s.User.Email,
		s.Start.In(loc).Format("Mon Jan 2 2006 15:04"), s.End.In(loc).Format("Mon Jan 2 2006 15:04"))
}
