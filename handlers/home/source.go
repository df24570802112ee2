package home

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/identity"
)

// page is everything one person's Home shows.
type page struct {
	UserID string
	// Now is in toban's zone; DayStart and DayEnd bound the viewer's
	// today in their own zone.
	Now, DayStart, DayEnd time.Time
	// PagerDuty is false when PagerDuty is not configured.
	PagerDuty bool
	// Person is who the viewer is in PagerDuty; NotLinked says why
	// nobody, and IdentityErr that it could not be found out.
	Person      domain.Person
	NotLinked   *identity.NotLinkedError
	IdentityErr error
	// Incidents are the open incidents assigned to Person.
	Incidents    []domain.Incident
	IncidentsErr error
	// OnCall is who is on call now and in the coming week.
	OnCall    []domain.OnCall
	OnCallErr error
	Tasks     []taskItem
	TasksErr  error
}

// linked says whether the viewer acts as a PagerDuty user.
func (p page) linked() bool { return p.Person.ID != "" }

// failed says whether something could not be read: Run then keeps the
// Home already shown rather than replace it with a poorer one.
func (p page) failed() bool {
	return p.IdentityErr != nil || p.IncidentsErr != nil || p.OnCallErr != nil || p.TasksErr != nil
}

// taskItem is one task of the viewer's day: an occurrence (with its ID
// for Start and Done) or a time still to come today.
type taskItem struct {
	Title, ChannelID string
	Due              time.Time
	// Occurrence is "" for a due time whose card is not posted yet.
	Occurrence string
	State      string
	StartedBy  string
	DoneBy     string
}

// source reads what Homes show, once for all the Homes of one refresh.
type source struct {
	pd        PagerDuty
	now       time.Time
	onCalls   []domain.OnCall
	onCallErr error
	onCallSet bool
	// incidents by PagerDuty user, when fetched for many people at once.
	incidents    map[string][]domain.Incident
	incidentsErr error
	occs         []domain.Occurrence
	occErr       error
	occSet       bool
	// who caches ActingAs by Slack user for one refresh.
	who map[string]actingAs
}

type actingAs struct {
	person domain.Person
	err    error
}

// actingAs is who the Slack user is in PagerDuty, asked once per refresh.
func (s *source) actingAs(ctx context.Context, id identity.Actor, userID string) (domain.Person, error) {
	if r, ok := s.who[userID]; ok {
		return r.person, r.err
	}
	p, err := id.ActingAs(ctx, userID)
	if s.who == nil {
		s.who = map[string]actingAs{}
	}
	s.who[userID] = actingAs{p, err}
	return p, err
}

func (f *Feature) newSource(context.Context) *source {
	return &source{pd: f.PagerDuty, now: f.now()}
}

// occurrenceWindow is how far around now occurrences are read: every
// zone's today, and yesterday's tasks still in progress.
const occurrenceWindow = 48 * time.Hour

func (s *source) oncalls(ctx context.Context) ([]domain.OnCall, error) {
	if !s.onCallSet {
		s.onCalls, s.onCallErr = s.pd.OnCalls(ctx, "")
		if s.onCallErr != nil {
			s.onCallErr = fmt.Errorf("on-call for home: %w", s.onCallErr)
		}
		s.onCallSet = true
	}
	return s.onCalls, s.onCallErr
}

// prefetch reads the open incidents of many people in one listing.
func (s *source) prefetch(ctx context.Context, pdUserIDs []string) {
	if len(pdUserIDs) == 0 || s.pd == nil {
		return
	}
	list, err := s.pd.OpenIncidents(ctx, domain.IncidentFilter{UserIDs: pdUserIDs})
	s.incidents = map[string][]domain.Incident{}
	if err != nil {
		s.incidentsErr = fmt.Errorf("incidents for home: %w", err)
		return
	}
	for _, inc := range list {
		for _, a := range inc.Assignees {
			s.incidents[a.ID] = append(s.incidents[a.ID], inc)
		}
	}
}

func (s *source) incidentsOf(ctx context.Context, pdUserID string) ([]domain.Incident, error) {
	if s.incidents != nil {
		return s.incidents[pdUserID], s.incidentsErr
	}
	list, err := s.pd.OpenIncidents(ctx, domain.IncidentFilter{UserIDs: []string{pdUserID}})
	if err != nil {
		return nil, fmt.Errorf("incidents of %s for home: %w", pdUserID, err)
	}
	var out []domain.Incident
	for _, inc := range list {
		for _, a := range inc.Assignees {
			if a.ID == pdUserID {
				out = append(out, inc)
				break
			}
		}
	}
	return out, nil
}

func (s *source) occurrences(ctx context.Context, store Store) ([]domain.Occurrence, error) {
	if !s.occSet {
		s.occs, s.occErr = store.OccurrencesBetween(ctx, s.now.Add(-occurrenceWindow), s.now.Add(occurrenceWindow))
		s.occSet = true
	}
	return s.occs, s.occErr
}

// page gathers one viewer's Home.
func (s *source) page(ctx context.Context, f *Feature, v domain.HomeViewer) page {
	now := s.now.In(f.location())
	zone := f.location()
	if v.Zone != "" {
		if loc, err := time.LoadLocation(v.Zone); err == nil {
			zone = loc
		}
	}
	local := now.In(zone)
	start := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
	p := page{UserID: v.UserID, Now: now, DayStart: start, DayEnd: start.AddDate(0, 0, 1), PagerDuty: s.pd != nil}
	if s.pd != nil {
		p.Person, p.IdentityErr = s.actingAs(ctx, f.Identity, v.UserID)
		if errors.As(p.IdentityErr, &p.NotLinked) {
			p.IdentityErr = nil
		}
		if p.linked() {
			p.Incidents, p.IncidentsErr = s.incidentsOf(ctx, p.Person.ID)
		}
		p.OnCall, p.OnCallErr = s.oncalls(ctx)
	}
	p.Tasks, p.TasksErr = s.tasks(ctx, f.Store, v.UserID, p.DayStart, p.DayEnd)
	return p
}

// tasks lists the viewer's day: occurrences of their tasks due today,
// occurrences they started and have not finished, and due times of their
// tasks still to come today.
func (s *source) tasks(ctx context.Context, store Store, userID string, dayStart, dayEnd time.Time) ([]taskItem, error) {
	mine, err := store.TasksCreatedBy(ctx, userID)
	if err != nil {
		return nil, err
	}
	byID := map[string]domain.Task{}
	for _, t := range mine {
		byID[t.ID] = t
	}
	occs, err := s.occurrences(ctx, store)
	if err != nil {
		return nil, fmt.Errorf("occurrences for home: %w", err)
	}
	var out []taskItem
	seen := map[string]bool{}
	for _, o := range occs {
		t, own := byID[o.TaskID]
		today := !o.Due.Before(dayStart) && o.Due.Before(dayEnd)
		started := o.State == domain.OccStarted && o.StartedBy == userID
		if !(own && today) && !started {
			continue
		}
		if !own {
			if t, err = store.Task(ctx, o.TaskID); err != nil {
				if errors.Is(err, domain.ErrNotFound) {
					continue
				}
				return nil, err
			}
		}
		seen[o.ID] = true
		out = append(out, taskItem{Title: t.Title, ChannelID: t.ChannelID, Due: o.Due, Occurrence: o.ID,
			State: o.State, StartedBy: o.StartedBy, DoneBy: o.DoneBy})
	}
	for _, t := range mine {
		if t.Paused {
			continue
		}
		next, ok := t.Rule.Next(s.now)
		if !ok || !next.Before(dayEnd) || seen[domain.OccurrenceID(t.ID, next)] {
			continue
		}
		out = append(out, taskItem{Title: t.Title, ChannelID: t.ChannelID, Due: next})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Due.Equal(out[j].Due) {
			return out[i].Due.Before(out[j].Due)
		}
		return out[i].Title < out[j].Title
	})
	return out, nil
}
