package shiftfile

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// CreateOverrides creates many on one schedule in one request,
	// answering per item; err means none was created.
	CreateOverrides(ctx context.Context, scheduleID string, items []domain.NewOverride) ([]domain.OverrideResult, error)
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
	// Zone is the shift's own time zone, to show it in: the zone its row is
	// written in (Row.Zone), else the schedule's in PagerDuty, else the
	// offset its start was written with.
	Zone *time.Location
}

// Resolve finds each row's schedule (by ID, else by name, ignoring case)
// and user (by email), and checks what only then can be checked: that
// no shift has already ended and that no two shifts of one schedule
// overlap. It returns the shifts only when no row has a problem (a row's
// problems joined on one line); err is for PagerDuty failing, not for bad
// rows.
func Resolve(ctx context.Context, rows []Row, dir Directory, now time.Time) ([]Shift, []RowError, error) {
	res, err := newResolver(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	var problems []RowError
	shifts := make([]Shift, 0, len(rows))
	for _, r := range rows {
		shift, why, err := res.resolve(ctx, r, now)
		if err != nil {
			return nil, nil, err
		}
		if len(why) > 0 {
			problems = append(problems, RowError{r.Line, strings.Join(why, "; ") + "."})
			continue
		}
		shifts = append(shifts, shift)
	}
	problems = append(problems, overlaps(shifts)...)
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return nil, problems, nil
	}
	return shifts, nil, nil
}

// Check reads a shift file (as Parse) and resolves its rows (as Resolve) in
// one pass: a row with a syntax problem is still looked up as far as it can
// be, so the file's every problem, syntax and PagerDuty alike, comes back
// at once, one RowError per problem, ordered by line. It returns the shifts
// only when there is no problem; err is for PagerDuty failing.
func Check(ctx context.Context, r io.Reader, defaultZone *time.Location, dir Directory, now time.Time) ([]Shift, []RowError, error) {
	f := parse(r, defaultZone)
	if !f.header {
		return nil, f.errs, nil
	}
	if len(f.rows) == 0 && len(f.errs) == 0 {
		return nil, []RowError{{Msg: "The file has a header but no shifts."}}, nil
	}
	problems := f.errs
	var shifts []Shift
	if len(f.rows) > 0 {
		res, err := newResolver(ctx, dir)
		if err != nil {
			return nil, nil, err
		}
		for i, row := range f.rows {
			why := f.problems[i]
			shift, lookups, err := res.resolve(ctx, row, now)
			if err != nil {
				return nil, nil, err
			}
			why = append(why, lookups...)
			for _, w := range why {
				problems = append(problems, RowError{row.Line, w + "."})
			}
			if len(why) == 0 {
				shifts = append(shifts, shift)
			}
		}
	}
	problems = append(problems, overlaps(shifts)...)
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return nil, problems, nil
	}
	return shifts, nil, nil
}

// resolver looks rows up in PagerDuty, asking once per email.
type resolver struct {
	dir    Directory
	byID   map[string]domain.Schedule
	byName map[string][]domain.Schedule
	users  map[string]*domain.Person // lower email → user, nil when unknown
}

func newResolver(ctx context.Context, dir Directory) (*resolver, error) {
	all, err := dir.Schedules(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	res := &resolver{dir: dir, byID: map[string]domain.Schedule{}, byName: map[string][]domain.Schedule{}, users: map[string]*domain.Person{}}
	for _, s := range all {
		res.byID[s.ID] = s
		key := strings.ToLower(strings.TrimSpace(s.Name))
		res.byName[key] = append(res.byName[key], s)
	}
	return res, nil
}

// resolve finds what it can of the row's schedule and user and says what is
// wrong, each problem without a final full stop. Empty or malformed fields
// (the parser's to report) are not looked up.
func (res *resolver) resolve(ctx context.Context, r Row, now time.Time) (Shift, []string, error) {
	var why []string
	sched, ok := res.byID[r.Schedule]
	if !ok && r.Schedule != "" {
		switch matches := res.byName[strings.ToLower(r.Schedule)]; len(matches) {
		case 0:
			why = append(why, fmt.Sprintf("PagerDuty has no schedule named %q", truncate(r.Schedule, 60)))
		case 1:
			sched = matches[0]
		default:
			why = append(why, fmt.Sprintf("%d schedules are named %q; use the schedule ID instead", len(matches), truncate(r.Schedule, 60)))
		}
	}
	var user *domain.Person
	if validEmail(r.Email) {
		key := strings.ToLower(r.Email)
		u, looked := res.users[key]
		if !looked {
			p, err := res.dir.UserByEmail(ctx, r.Email)
			switch {
			case errors.Is(err, domain.ErrNotFound):
			case err != nil:
				return Shift{}, nil, fmt.Errorf("look up %s: %w", r.Email, err)
			default:
				u = &p
			}
			res.users[key] = u
		}
		if user = u; user == nil {
			why = append(why, fmt.Sprintf("no PagerDuty user has the email %s", r.Email))
		}
	}
	if !r.End.IsZero() && !r.End.After(now) {
		why = append(why, fmt.Sprintf("the shift ended already (%s)", r.End.Format("2006-01-02 15:04 MST")))
	}
	if len(why) > 0 || user == nil || sched.ID == "" {
		return Shift{}, why, nil
	}
	return Shift{Line: r.Line, Schedule: sched, User: *user, Start: r.Start, End: r.End, Zone: shiftZone(r, sched)}, nil, nil
}

// shiftZone is the zone to show a shift in: the row's, else the
// schedule's, else its start's own offset.
func shiftZone(r Row, sched domain.Schedule) *time.Location {
	if r.Zone != nil {
		return r.Zone
	}
	if sched.TimeZone != "" {
		if loc, err := time.LoadLocation(sched.TimeZone); err == nil {
			return loc
		}
	}
	return r.Start.Location()
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

// Outcome is what Apply did, row by row.
type Outcome struct {
	// Created are the shifts PagerDuty created, each with its override.
	Created []Created
	// Refused are the shifts PagerDuty refused, each with its reason.
	Refused []Refused
	// NotSent are the shifts of schedules not sent because an earlier
	// schedule's were refused.
	NotSent []Shift
}

// Created is a shift PagerDuty accepted.
type Created struct {
	Shift    Shift
	Override domain.Override
}

// Refused is a shift PagerDuty did not create, and why.
type Refused struct {
	Shift  Shift
	Reason string
}

// Complete reports whether every shift was created.
func (o Outcome) Complete() bool { return len(o.Refused) == 0 && len(o.NotSent) == 0 }

// Overrides returns the overrides created, to remove them again.
func (o Outcome) Overrides() []domain.Override {
	out := make([]domain.Override, 0, len(o.Created))
	for _, c := range o.Created {
		out = append(out, c.Override)
	}
	return out
}

// Apply creates the shifts' overrides with one request per schedule, in
// the order schedules first appear. PagerDuty accepts or refuses each
// item of a request on its own, so a request can half succeed: Apply then
// stops (later schedules are not sent) and the Outcome says, row by row,
// what was created and what was not, so that the caller can offer to
// remove what was created and keep the import all or nothing. A request
// that fails as a whole counts as refusing all its shifts.
func Apply(ctx context.Context, shifts []Shift, o Overrides) Outcome {
	var order []string
	bySchedule := map[string][]Shift{}
	for _, s := range shifts {
		if _, ok := bySchedule[s.Schedule.ID]; !ok {
			order = append(order, s.Schedule.ID)
		}
		bySchedule[s.Schedule.ID] = append(bySchedule[s.Schedule.ID], s)
	}
	var out Outcome
	for i, id := range order {
		group := bySchedule[id]
		items := make([]domain.NewOverride, 0, len(group))
		for _, s := range group {
			items = append(items, domain.NewOverride{User: s.User, Start: s.Start, End: s.End})
		}
		res, err := o.CreateOverrides(ctx, id, items)
		for j, s := range group {
			switch {
			case err != nil:
				// A timeout may hide overrides that were created: say so.
				out.Refused = append(out.Refused, Refused{s, "the request failed (check the schedule in PagerDuty): " + err.Error()})
			case res[j].Created:
				out.Created = append(out.Created, Created{s, res[j].Override})
			default:
				out.Refused = append(out.Refused, Refused{s, res[j].Refused})
			}
		}
		if len(out.Refused) > 0 {
			for _, rest := range order[i+1:] {
				out.NotSent = append(out.NotSent, bySchedule[rest]...)
			}
			break
		}
	}
	return out
}

// Report says row by row, in file order, what Apply did when it did not
// create everything: "line 3: created (PO1A2B3C) — …", "line 7: NOT
// created: User not found — …", "line 9: not sent — …".
func Report(o Outcome, loc *time.Location) []string {
	type row struct {
		line int
		text string
	}
	var rows []row
	for _, c := range o.Created {
		rows = append(rows, row{c.Shift.Line, fmt.Sprintf("created (%s) — %s", c.Override.ID, Describe(c.Shift, loc))})
	}
	for _, r := range o.Refused {
		rows = append(rows, row{r.Shift.Line, fmt.Sprintf("NOT created, PagerDuty said: %s — %s", r.Reason, Describe(r.Shift, loc))})
	}
	for _, s := range o.NotSent {
		rows = append(rows, row{s.Line, "not sent (stopped at the refusal) — " + Describe(s, loc)})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].line < rows[j].line })
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.text)
	}
	return out
}

// Remove deletes overrides (those an incomplete import created),
// returning the ones that could not be deleted, as "SCHEDULE/OVERRIDE".
func Remove(ctx context.Context, o Overrides, created []domain.Override) (left []string) {
	for _, c := range created {
		if err := o.DeleteOverride(ctx, c.ScheduleID, c.ID); err != nil {
			left = append(left, c.ScheduleID+"/"+c.ID)
		}
	}
	return left
}

// Describe says what a shift does, with its times in its own zone (Zone),
// or in loc when it has none, and that zone named: "line 2: Primary — Bob
// Ops (bob@example.com), Tue Dec 1 2026 09:00 → Tue Dec 1 2026 18:00
// (Asia/Tokyo)".
func Describe(s Shift, loc *time.Location) string {
	if s.Zone != nil {
		loc = s.Zone
	}
	if loc == nil {
		loc = time.UTC
	}
	return fmt.Sprintf("line %d: %s — %s (%s), %s → %s (%s)", s.Line, s.Schedule.Name, s.User.Name, s.User.Email,
		s.Start.In(loc).Format("Mon Jan 2 2006 15:04"), s.End.In(loc).Format("Mon Jan 2 2006 15:04"), zoneName(loc, s.Start))
}

// zoneName is loc's IANA name, or for a fixed offset its name as written
// (+09:00) or, unnamed, the offset at t.
func zoneName(loc *time.Location, t time.Time) string {
	if name := loc.String(); name != "" && name != "Local" {
		return name
	}
	return t.In(loc).Format("-07:00")
}
