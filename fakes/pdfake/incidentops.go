package pdfake

import (
	"fmt"
	"slices"
	"time"
)

// Priority is one of the account's incident priorities. SetPriorities
// seeds them, most severe first, as PagerDuty lists them.
type Priority struct {
	ID          string
	Name        string
	Description string
}

// StatusUpdate is a status update posted on an incident.
type StatusUpdate struct {
	ID         string
	IncidentID string
	Message    string
	Subject    string
	UserID     string // the sender, from the From header
	CreatedAt  time.Time
}

// Responder states, as PagerDuty names them in incidents_responders.
const (
	ResponderPending   = "pending"
	ResponderJoined    = "joined"
	ResponderDeclined  = "declined"
	ResponderCancelled = "user_cancelled"
)

// Responder is one user asked to respond to an incident.
type Responder struct {
	UserID      string
	State       string // one of the Responder* constants
	RequesterID string
	Message     string
	RequestedAt time.Time
	UpdatedAt   time.Time
	// ViaPolicies names the escalation policies the user was requested
	// through, when the request targeted a policy.
	ViaPolicies []string
}

// ResponderRequest is one accepted POST /incidents/{id}/responder_requests.
type ResponderRequest struct {
	ID          string
	IncidentID  string
	RequesterID string
	Message     string
	Targets     []Target // TargetUser or TargetEscalationPolicy
	RequestedAt time.Time
}

// TargetEscalationPolicy is a responder request target naming a policy.
const TargetEscalationPolicy = "escalation_policy_reference"

// SetPriorities replaces the account's priorities, most severe first, and
// turns priorities on.
func (s *Server) SetPriorities(ps []Priority) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.priorities = slices.Clone(ps)
	s.prioritiesOff = false
}

// SetPrioritiesEnabled turns the account's priorities on or off. With
// them off, GET /priorities lists none and setting a priority on an
// incident is refused.
func (s *Server) SetPrioritiesEnabled(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prioritiesOff = !on
}

// StatusUpdates returns an incident's status updates, oldest first.
func (s *Server) StatusUpdates(incidentID string) []StatusUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.statusUpdates[incidentID])
}

// ResponderRequests returns an incident's responder requests, oldest first.
func (s *Server) ResponderRequests(incidentID string) []ResponderRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.responderRequests[incidentID])
	for i := range out {
		out[i].Targets = slices.Clone(out[i].Targets)
	}
	return out
}

// PostStatusUpdateAs posts a status update as userID would in PagerDuty's
// web app (PagerDuty takes them on resolved incidents too).
func (s *Server) PostStatusUpdateAs(incidentID, userID, message string) (StatusUpdate, error) {
	var u StatusUpdate
	err := s.mutate(incidentID, func(st *incidentState) error {
		u = s.addStatusUpdateLocked(st, userID, message, "")
		return nil
	})
	return u, err
}

// RequestRespondersAs asks users to respond as requesterID would in
// PagerDuty's web app; each becomes a pending responder.
func (s *Server) RequestRespondersAs(incidentID, requesterID, message string, userIDs ...string) (ResponderRequest, error) {
	var rr ResponderRequest
	targets := make([]Target, len(userIDs))
	for i, id := range userIDs {
		targets[i] = Target{Type: TargetUser, ID: id}
	}
	err := s.mutate(incidentID, func(st *incidentState) error {
		var err error
		rr, err = s.addResponderRequestLocked(st, requesterID, message, targets)
		return err
	})
	return rr, err
}

// RespondAs answers a pending responder request as userID would in the
// app: accept joins the incident, otherwise the request is declined.
func (s *Server) RespondAs(incidentID, userID string, accept bool) error {
	return s.mutate(incidentID, func(st *incidentState) error {
		i := slices.IndexFunc(st.Responders, func(r Responder) bool { return r.UserID == userID })
		if i < 0 {
			return fmt.Errorf("responder %s on %s: %w", userID, incidentID, ErrNotFound)
		}
		st.Responders[i].State = ResponderDeclined
		if accept {
			st.Responders[i].State = ResponderJoined
		}
		st.Responders[i].UpdatedAt = s.now()
		st.UpdatedAt = s.now()
		return nil
	})
}

// priorityLocked finds a priority by ID, or by name as PagerDuty accepts
// it in an update (the most severe with that name).
func (s *Server) priorityLocked(id, name string) (Priority, bool) {
	if s.prioritiesOff {
		return Priority{}, false
	}
	for _, p := range s.priorities {
		if (id != "" && p.ID == id) || (id == "" && name != "" && p.Name == name) {
			return p, true
		}
	}
	return Priority{}, false
}

// addStatusUpdateLocked records a status update by userID.
func (s *Server) addStatusUpdateLocked(st *incidentState, userID, message, subject string) StatusUpdate {
	u := StatusUpdate{ID: s.newID("PSU"), IncidentID: st.ID, Message: message, Subject: subject,
		UserID: userID, CreatedAt: s.now()}
	s.statusUpdates[st.ID] = append(s.statusUpdates[st.ID], u)
	st.UpdatedAt = u.CreatedAt
	return u
}

// addResponderRequestLocked checks and records a responder request,
// adding a pending responder per user reached: a user target directly,
// a policy target through the users its first level puts on call now.
func (s *Server) addResponderRequestLocked(st *incidentState, requesterID, message string, targets []Target) (ResponderRequest, error) {
	if !st.Open() {
		return ResponderRequest{}, errResolved
	}
	now := s.now()
	rr := ResponderRequest{ID: s.newID("PRR"), IncidentID: st.ID, RequesterID: requesterID, Message: message,
		Targets: slices.Clone(targets), RequestedAt: now}
	add := func(userID, via string) {
		i := slices.IndexFunc(st.Responders, func(r Responder) bool { return r.UserID == userID })
		if i < 0 {
			st.Responders = append(st.Responders, Responder{UserID: userID})
			i = len(st.Responders) - 1
		}
		r := &st.Responders[i]
		r.State, r.RequesterID, r.Message, r.RequestedAt, r.UpdatedAt = ResponderPending, requesterID, message, now, now
		if via != "" && !slices.Contains(r.ViaPolicies, via) {
			r.ViaPolicies = append(r.ViaPolicies, via)
		}
	}
	for _, t := range targets {
		switch t.Type {
		case TargetUser:
			if s.users[t.ID] == nil {
				return ResponderRequest{}, fmt.Errorf("User %q not found", t.ID)
			}
		case TargetEscalationPolicy:
			if s.eps[t.ID] == nil {
				return ResponderRequest{}, fmt.Errorf("Escalation policy %q not found", t.ID)
			}
		default:
			return ResponderRequest{}, fmt.Errorf("Responder request target type %q is not supported", t.Type)
		}
	}
	for _, t := range targets {
		if t.Type == TargetUser {
			add(t.ID, "")
			continue
		}
		for _, id := range s.levelUsersLocked(t.ID, 1, now) {
			add(id, s.eps[t.ID].Name)
		}
	}
	s.responderRequests[st.ID] = append(s.responderRequests[st.ID], rr)
	st.UpdatedAt = now
	return rr, nil
}

// snoozeLocked snoozes an acknowledged incident for d on behalf of
// userID: PagerDuty re-triggers it then (a pending "unacknowledge"
// action). The fake re-triggers when ExpireSnoozes is called.
func (s *Server) snoozeLocked(st *incidentState, userID string, d time.Duration) error {
	switch st.Status {
	case StatusResolved:
		return errResolved
	case StatusTriggered:
		return errNotAcknowledged
	}
	st.SnoozedUntil = s.now().Add(d)
	st.UpdatedAt = s.now()
	s.logAtLocked(s.now(), st, LogSnooze, fmt.Sprintf("Snoozed for %s by %s.", d, s.userName(userID)),
		userAgent(userID), "api", nil, nil)
	return nil
}

// ExpireSnoozes does what PagerDuty does when snoozes end: every
// incident whose SnoozedUntil is not after the fake's now goes back to
// triggered, unacknowledged by a timeout. It returns their IDs, by
// incident number. Tests call it after moving the fake's clock.
func (s *Server) ExpireSnoozes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	now := s.now()
	for _, id := range s.incOrder {
		st := s.incidents[id]
		if st.SnoozedUntil.IsZero() || st.SnoozedUntil.After(now) || st.Status != StatusAcknowledged {
			continue
		}
		st.Acknowledgers = nil
		s.setStatusLocked(st, StatusTriggered, agent{})
		s.logAtLocked(now, st, LogUnack, "Unacknowledged due to snooze timeout.", agent{}, "timeout", nil, nil)
		out = append(out, id)
	}
	return out
}
