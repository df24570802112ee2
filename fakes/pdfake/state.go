package pdfake

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// ErrNotFound is returned by the state helpers for an unknown ID.
var ErrNotFound = errors.New("pdfake: not found")

// errResolved is PagerDuty's complaint about changing a resolved incident.
var errResolved = errors.New("Incident Already Resolved")

// errNotAcknowledged is the fake's complaint about snoozing an incident
// that is not acknowledged (PagerDuty only snoozes acknowledged ones).
var errNotAcknowledged = errors.New("Incident must be acknowledged before it can be snoozed")

// AddUser adds or replaces a user.
func (s *Server) AddUser(u User) {
	if u.TimeZone == "" {
		u.TimeZone = "UTC"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = &u
}

// AddService adds or replaces a service.
func (s *Server) AddService(sv Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services[sv.ID] = &sv
}

// AddEscalationPolicy adds or replaces an escalation policy.
func (s *Server) AddEscalationPolicy(p EscalationPolicy) {
	levels := make([]EscalationLevel, len(p.Levels))
	for i, l := range p.Levels {
		levels[i] = EscalationLevel{Targets: slices.Clone(l.Targets), DelayMinutes: l.DelayMinutes}
	}
	p.Levels = levels
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eps[p.ID] = &p
}

// AddSchedule adds or replaces a schedule, keeping its existing overrides.
func (s *Server) AddSchedule(sc Schedule) {
	if sc.TimeZone == "" {
		sc.TimeZone = "UTC"
	}
	sc.Shifts = slices.Clone(sc.Shifts)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &scheduleState{Schedule: sc}
	if old := s.schedules[sc.ID]; old != nil {
		st.overrides = old.overrides
	}
	s.schedules[sc.ID] = st
}

// AddOverride adds an override to a schedule, filling in a missing ID.
func (s *Server) AddOverride(scheduleID string, o Override) (Override, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.schedules[scheduleID]
	if sc == nil {
		return Override{}, fmt.Errorf("schedule %s: %w", scheduleID, ErrNotFound)
	}
	if o.ID == "" {
		o.ID = s.newID("PO")
	}
	sc.overrides = append(sc.overrides, o)
	return o, nil
}

// AddMaintenanceWindow adds a maintenance window, filling in a missing ID.
func (s *Server) AddMaintenanceWindow(mw MaintenanceWindow) MaintenanceWindow {
	mw.ServiceIDs = slices.Clone(mw.ServiceIDs)
	s.mu.Lock()
	defer s.mu.Unlock()
	if mw.ID == "" {
		mw.ID = s.newID("PM")
	}
	if _, ok := s.mws[mw.ID]; !ok {
		s.mwOrder = append(s.mwOrder, mw.ID)
	}
	s.mws[mw.ID] = &mw
	return mw
}

// AddIncident adds an incident as if it had been triggered, filling in
// defaults: ID, sequential Number, CreatedAt (now), Status (triggered),
// Urgency (high), the service's escalation policy, level 1, and assignees
// from that level's targets. It writes trigger (and, for the given
// Acknowledgers/ResolvedBy, acknowledge and resolve) log entries.
func (s *Server) AddIncident(in Incident) Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.addIncidentLocked(in, agent{}, "api", nil)
	for _, a := range st.Acknowledgers {
		s.logAtLocked(a.At, st, LogAcknowledge, "Acknowledged by "+s.userName(a.UserID)+".", userAgent(a.UserID), "website", nil, nil)
	}
	if st.Status == StatusResolved {
		ag, how := agent{}, "Resolved."
		if st.ResolvedBy != "" {
			ag, how = userAgent(st.ResolvedBy), "Resolved by "+s.userName(st.ResolvedBy)+"."
		}
		s.logAtLocked(st.ResolvedAt, st, LogResolve, how, ag, "website", nil, nil)
	}
	return s.copyIncident(st)
}

// Incident returns an incident by ID.
func (s *Server) Incident(id string) (Incident, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.incidents[id]
	if st == nil {
		return Incident{}, false
	}
	return s.copyIncident(st), true
}

// Incidents returns all incidents by number.
func (s *Server) Incidents() []Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Incident, 0, len(s.incOrder))
	for _, id := range s.incOrder {
		out = append(out, s.copyIncident(s.incidents[id]))
	}
	return out
}

// Notes returns an incident's notes, oldest first.
func (s *Server) Notes(incidentID string) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.notes[incidentID])
}

// Overrides returns a schedule's overrides in creation order.
func (s *Server) Overrides(scheduleID string) []Override {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc := s.schedules[scheduleID]; sc != nil {
		return slices.Clone(sc.overrides)
	}
	return nil
}

// MaintenanceWindows returns the maintenance windows in creation order. A
// deleted future window is gone; a deleted ongoing window stays, with End
// set to when it was ended.
func (s *Server) MaintenanceWindows() []MaintenanceWindow {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]MaintenanceWindow, 0, len(s.mwOrder))
	for _, id := range s.mwOrder {
		mw := *s.mws[id]
		mw.ServiceIDs = slices.Clone(mw.ServiceIDs)
		out = append(out, mw)
	}
	return out
}

// Events returns the Events API v2 events accepted so far.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// LogEntries returns an incident's log entries oldest first, or every log
// entry when incidentID is empty.
func (s *Server) LogEntries(incidentID string) []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LogEntry
	if incidentID == "" {
		out = slices.Clone(s.logs)
	} else {
		for _, i := range s.logIdx[incidentID] {
			out = append(out, s.logs[i])
		}
	}
	slices.SortStableFunc(out, func(a, b LogEntry) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// AcknowledgeAs acknowledges an incident as userID would in the PagerDuty app.
func (s *Server) AcknowledgeAs(incidentID, userID string) error {
	return s.mutate(incidentID, func(st *incidentState) error {
		return s.ackLocked(st, userID, "website")
	})
}

// ResolveAs resolves an incident as userID would in the PagerDuty app.
func (s *Server) ResolveAs(incidentID, userID string) error {
	return s.mutate(incidentID, func(st *incidentState) error {
		return s.resolveLocked(st, userAgent(userID), "website")
	})
}

// EscalateTo moves an incident to an escalation level (1-based), assigning
// that level's on-call users and re-triggering it. userID is who escalated in
// the app; empty means PagerDuty escalated on its own (acknowledgement or
// escalation timeout).
func (s *Server) EscalateTo(incidentID string, level int, userID string) error {
	return s.mutate(incidentID, func(st *incidentState) error {
		if userID == "" {
			return s.escalateLocked(st, level, agent{}, "timeout")
		}
		return s.escalateLocked(st, level, userAgent(userID), "website")
	})
}

// ReassignAs reassigns an incident to users, as userID would in the app.
func (s *Server) ReassignAs(incidentID string, assigneeIDs []string, userID string) error {
	return s.mutate(incidentID, func(st *incidentState) error {
		if err := s.checkAssignLocked(st, assigneeIDs); err != nil {
			return err
		}
		s.assignLocked(st, assigneeIDs, userAgent(userID), "website")
		return nil
	})
}

// AddNoteAs adds a note to an incident as userID would in the app.
func (s *Server) AddNoteAs(incidentID, userID, content string) (Note, error) {
	var n Note
	err := s.mutate(incidentID, func(st *incidentState) error {
		n = s.addNoteLocked(st, userID, content)
		return nil
	})
	return n, err
}

func (s *Server) mutate(incidentID string, f func(*incidentState) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.incidents[incidentID]
	if st == nil {
		return fmt.Errorf("incident %s: %w", incidentID, ErrNotFound)
	}
	return f(st)
}

// agent is who did something, as log entries show it.
type agent struct{ typ, id string }

func userAgent(id string) agent { return agent{"user_reference", id} }

func integrationAgent(serviceID string) agent {
	return agent{"events_api_v2_inbound_integration_reference", serviceID + "-EV2"}
}

func (s *Server) userName(id string) string {
	if u := s.users[id]; u != nil {
		return u.Name
	}
	return id
}

func (s *Server) copyIncident(st *incidentState) Incident {
	in := st.Incident
	in.AssigneeIDs = slices.Clone(in.AssigneeIDs)
	in.Acknowledgers = slices.Clone(in.Acknowledgers)
	in.Responders = slices.Clone(in.Responders)
	for i := range in.Responders {
		in.Responders[i].ViaPolicies = slices.Clone(in.Responders[i].ViaPolicies)
	}
	return in
}

// incidentByRefLocked finds an incident by ID or, like PagerDuty, by number.
func (s *Server) incidentByRefLocked(ref string) *incidentState {
	if st := s.incidents[ref]; st != nil {
		return st
	}
	if n, err := strconv.Atoi(ref); err == nil {
		for _, st := range s.incidents {
			if st.Number == n {
				return st
			}
		}
	}
	return nil
}

func (s *Server) addIncidentLocked(in Incident, by agent, channel string, details map[string]string) *incidentState {
	now := s.now()
	if in.ID == "" {
		in.ID = s.newID("Q")
	}
	if in.Number == 0 {
		s.incNumber++
		in.Number = s.incNumber
	} else {
		s.incNumber = max(s.incNumber, in.Number)
	}
	in.CreatedAt = cmp.Or(in.CreatedAt, now).UTC()
	in.Status = cmp.Or(in.Status, StatusTriggered)
	in.Urgency = cmp.Or(in.Urgency, "high")
	if in.EscalationPolicyID == "" {
		if sv := s.services[in.ServiceID]; sv != nil {
			in.EscalationPolicyID = sv.EscalationPolicyID
		}
	}
	in.EscalationLevel = cmp.Or(in.EscalationLevel, 1)
	via := "direct_assignment"
	if in.AssigneeIDs == nil && in.Open() {
		in.AssigneeIDs = s.levelUsersLocked(in.EscalationPolicyID, in.EscalationLevel, now)
		via = "escalation_policy"
	}
	in.AssigneeIDs = slices.Clone(in.AssigneeIDs)
	in.Acknowledgers = slices.Clone(in.Acknowledgers)
	in.Responders = slices.Clone(in.Responders)
	in.AssignedAt = cmp.Or(in.AssignedAt, in.CreatedAt)
	if in.Status == StatusResolved && in.ResolvedAt.IsZero() {
		in.ResolvedAt = now
	}
	if in.LastStatusChangeAt.IsZero() {
		in.LastStatusChangeAt = in.CreatedAt
		switch {
		case in.Status == StatusResolved:
			in.LastStatusChangeAt = in.ResolvedAt
		case in.Status == StatusAcknowledged && len(in.Acknowledgers) > 0:
			in.LastStatusChangeAt = in.Acknowledgers[len(in.Acknowledgers)-1].At
		}
	}
	in.UpdatedAt = cmp.Or(in.UpdatedAt, in.LastStatusChangeAt)
	st := &incidentState{Incident: in, assignedVia: via}
	if old := s.incidents[in.ID]; old == nil {
		s.incOrder = append(s.incOrder, in.ID)
	}
	s.incidents[in.ID] = st
	how := "Triggered through the API."
	if channel == "web_trigger" {
		how = "Triggered through the website."
	}
	st.firstLogID = s.logAtLocked(in.CreatedAt, st, LogTrigger, how, by, channel, nil, details)
	if len(in.AssigneeIDs) > 0 {
		s.logAtLocked(in.CreatedAt, st, LogAssign, "Assigned to "+s.namesLocked(in.AssigneeIDs)+".", by, channel, in.AssigneeIDs, nil)
	}
	return st
}

func (s *Server) namesLocked(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ", "
		}
		out += s.userName(id)
	}
	return out
}

// logAtLocked appends a log entry and returns its ID.
func (s *Server) logAtLocked(at time.Time, st *incidentState, typ, summary string, by agent, channel string, assignees []string, details map[string]string) string {
	e := LogEntry{
		ID:           s.newID("R"),
		Type:         typ,
		IncidentID:   st.ID,
		Summary:      summary,
		AgentType:    by.typ,
		AgentID:      by.id,
		ChannelType:  channel,
		AssigneeIDs:  slices.Clone(assignees),
		EventDetails: details,
		CreatedAt:    at.UTC(),
	}
	s.logIdx[st.ID] = append(s.logIdx[st.ID], len(s.logs))
	s.logs = append(s.logs, e)
	return e.ID
}

func (s *Server) setStatusLocked(st *incidentState, status string, by agent) {
	now := s.now()
	if st.Status != status {
		st.Status = status
		st.SnoozedUntil = time.Time{} // a snooze ends with the status it was made in
		st.LastStatusChangeAt = now
		st.LastStatusChangeBy = ""
		if by.typ == "user_reference" {
			st.LastStatusChangeBy = by.id
		}
	}
	st.UpdatedAt = now
}

func (s *Server) ackLocked(st *incidentState, userID, channel string) error {
	return s.ackByLocked(st, userAgent(userID), channel)
}

func (s *Server) ackByLocked(st *incidentState, by agent, channel string) error {
	if !st.Open() {
		return errResolved
	}
	s.setStatusLocked(st, StatusAcknowledged, by)
	how := "Acknowledged through the API."
	if by.typ == "user_reference" {
		how = "Acknowledged by " + s.userName(by.id) + "."
		if !slices.ContainsFunc(st.Acknowledgers, func(a Ack) bool { return a.UserID == by.id }) {
			st.Acknowledgers = append(st.Acknowledgers, Ack{UserID: by.id, At: s.now()})
		}
	}
	s.logAtLocked(s.now(), st, LogAcknowledge, how, by, channel, nil, nil)
	return nil
}

func (s *Server) resolveLocked(st *incidentState, by agent, channel string) error {
	if !st.Open() {
		return errResolved
	}
	s.setStatusLocked(st, StatusResolved, by)
	st.ResolvedAt = s.now()
	st.ResolvedBy = ""
	how := "Resolved through the API."
	if by.typ == "user_reference" {
		st.ResolvedBy = by.id
		how = "Resolved by " + s.userName(by.id) + "."
	}
	s.logAtLocked(s.now(), st, LogResolve, how, by, channel, nil, nil)
	return nil
}

func (s *Server) checkEscalateLocked(st *incidentState, epID string, level int) error {
	if !st.Open() {
		return errResolved
	}
	ep := s.eps[epID]
	if ep == nil {
		return fmt.Errorf("Escalation policy %q not found", epID)
	}
	if level < 1 || level > len(ep.Levels) {
		return fmt.Errorf("Escalation level %d does not exist on escalation policy %s", level, epID)
	}
	return nil
}

func (s *Server) escalateLocked(st *incidentState, level int, by agent, channel string) error {
	if err := s.checkEscalateLocked(st, st.EscalationPolicyID, level); err != nil {
		return err
	}
	now := s.now()
	st.EscalationLevel = level
	st.AssigneeIDs = s.levelUsersLocked(st.EscalationPolicyID, level, now)
	st.AssignedAt = now
	st.assignedVia = "escalation_policy"
	st.Acknowledgers = nil
	s.setStatusLocked(st, StatusTriggered, by)
	how := fmt.Sprintf("Escalated to level %d", level)
	if by.typ == "user_reference" {
		how += " by " + s.userName(by.id)
	}
	s.logAtLocked(now, st, LogEscalate, how+".", by, channel, st.AssigneeIDs, nil)
	return nil
}

func (s *Server) checkAssignLocked(st *incidentState, userIDs []string) error {
	if !st.Open() {
		return errResolved
	}
	if len(userIDs) == 0 {
		return errors.New("Assignments cannot be empty")
	}
	for _, id := range userIDs {
		if s.users[id] == nil {
			return fmt.Errorf("User %q not found", id)
		}
	}
	return nil
}

func (s *Server) assignLocked(st *incidentState, userIDs []string, by agent, channel string) {
	now := s.now()
	st.AssigneeIDs = slices.Clone(userIDs)
	st.AssignedAt = now
	st.assignedVia = "direct_assignment"
	st.Acknowledgers = nil
	s.setStatusLocked(st, StatusTriggered, by)
	how := "Assigned to " + s.namesLocked(userIDs)
	if by.typ == "user_reference" {
		how += " by " + s.userName(by.id)
	}
	s.logAtLocked(now, st, LogAssign, how+".", by, channel, userIDs, nil)
}

func (s *Server) addNoteLocked(st *incidentState, userID, content string) Note {
	n := Note{ID: s.newID("PN"), Content: content, UserID: userID, CreatedAt: s.now()}
	s.notes[st.ID] = append(s.notes[st.ID], n)
	st.UpdatedAt = n.CreatedAt
	s.logAtLocked(n.CreatedAt, st, LogAnnotate, "Note added by "+s.userName(userID)+".", userAgent(userID), "note", nil, nil)
	return n
}
