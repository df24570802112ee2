package pdfake

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

type refIn struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type assigneeIn struct {
	Assignee refIn `json:"assignee"`
}

// GET /incidents: statuses[], service_ids[], user_ids[] (current assignees),
// urgencies[], incident_key, since/until (default: the last month),
// date_range=all, sort_by (incident_number|created_at|resolved_at|urgency
// with :asc or :desc; default created_at ascending), limit/offset/total.
func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := parsePage(w, q)
	if !ok {
		return
	}
	since, ok := qTime(w, q, "since")
	if !ok {
		return
	}
	until, ok := qTime(w, q, "until")
	if !ok {
		return
	}
	allTime := qGet(q, "date_range") == "all"
	if !allTime {
		if until.IsZero() {
			until = s.now().Add(time.Nanosecond) // includes incidents created at now
		}
		since = cmp.Or(since, until.AddDate(0, -1, 0))
	}
	sortKey, desc := qGet(q, "sort_by"), false
	if k, ok := strings.CutSuffix(sortKey, ":desc"); ok {
		sortKey, desc = k, true
	}
	sortKey = strings.TrimSuffix(sortKey, ":asc")
	statuses, services := qList(q, "statuses"), qList(q, "service_ids")
	users, urgencies := qList(q, "user_ids"), qList(q, "urgencies")

	s.mu.Lock()
	var picked []*incidentState
	for _, id := range s.incOrder {
		st := s.incidents[id]
		switch {
		case len(statuses) > 0 && !slices.Contains(statuses, st.Status),
			len(services) > 0 && !slices.Contains(services, st.ServiceID),
			len(urgencies) > 0 && !slices.Contains(urgencies, st.Urgency),
			len(users) > 0 && (!st.Open() || !slices.ContainsFunc(users, func(u string) bool { return slices.Contains(st.AssigneeIDs, u) })),
			qGet(q, "incident_key") != "" && qGet(q, "incident_key") != st.IncidentKey,
			!allTime && (st.CreatedAt.Before(since) || !st.CreatedAt.Before(until)):
			continue
		}
		picked = append(picked, st)
	}
	slices.SortStableFunc(picked, func(a, b *incidentState) int {
		var c int
		switch sortKey {
		case "incident_number":
			c = cmp.Compare(a.Number, b.Number)
		case "resolved_at":
			c = a.ResolvedAt.Compare(b.ResolvedAt)
		case "urgency":
			c = cmp.Compare(a.Urgency, b.Urgency)
		default:
			c = a.CreatedAt.Compare(b.CreatedAt)
		}
		if desc {
			return -c
		}
		return c
	})
	out := make([]incidentJSON, len(picked))
	for i, st := range picked {
		out[i] = s.incidentJSON(st)
	}
	s.mu.Unlock()
	writePage(w, "incidents", out, p)
}

// GET /incidents/{id}: by ID or incident number.
func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.incidentByRefLocked(r.PathValue("id"))
	if st == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": s.incidentJSON(st)})
}

// POST /incidents (From required): {"incident":{title, service, urgency,
// incident_key, body, escalation_policy | assignments}} -> 201. An open
// incident on the service with the same incident_key is refused with 400.
func (s *Server) createIncident(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Incident *struct {
			Type             string        `json:"type"`
			Title            string        `json:"title"`
			Service          *refIn        `json:"service"`
			Urgency          string        `json:"urgency"`
			IncidentKey      string        `json:"incident_key"`
			Body             *incidentBody `json:"body"`
			EscalationPolicy *refIn        `json:"escalation_policy"`
			Assignments      []assigneeIn  `json:"assignments"`
		} `json:"incident"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, ok := s.requesterLocked(w, r)
	if !ok {
		return
	}
	in := body.Incident
	switch {
	case in == nil:
		invalid(w, "Incident cannot be empty")
		return
	case in.Type != "incident":
		invalid(w, "Type must be incident")
		return
	case strings.TrimSpace(in.Title) == "":
		invalid(w, "Title cannot be empty")
		return
	case in.Service == nil || in.Service.ID == "":
		invalid(w, "Service cannot be empty")
		return
	case s.services[in.Service.ID] == nil:
		invalid(w, "Service not found")
		return
	case in.Urgency != "" && in.Urgency != "high" && in.Urgency != "low":
		invalid(w, "Urgency must be high or low")
		return
	case in.EscalationPolicy != nil && len(in.Assignments) > 0:
		invalid(w, "Escalation policy cannot be given with assignments")
		return
	case in.EscalationPolicy != nil && s.eps[in.EscalationPolicy.ID] == nil:
		invalid(w, "Escalation policy not found")
		return
	}
	if in.IncidentKey != "" {
		for _, st := range s.incidents {
			if st.Open() && st.ServiceID == in.Service.ID && st.IncidentKey == in.IncidentKey {
				invalid(w, "Open incident with matching dedup key already exists on this service")
				return
			}
		}
	}
	inc := Incident{Title: in.Title, ServiceID: in.Service.ID, Urgency: in.Urgency, IncidentKey: in.IncidentKey}
	if in.Body != nil {
		inc.Details = in.Body.Details
	}
	if in.EscalationPolicy != nil {
		inc.EscalationPolicyID = in.EscalationPolicy.ID
	}
	for _, a := range in.Assignments {
		if s.users[a.Assignee.ID] == nil {
			invalid(w, "Assignee not found")
			return
		}
		inc.AssigneeIDs = append(inc.AssigneeIDs, a.Assignee.ID)
	}
	st := s.addIncidentLocked(inc, userAgent(user.ID), "web_trigger", nil)
	writeJSON(w, http.StatusCreated, map[string]any{"incident": s.incidentJSON(st)})
}

// manageIn is one incident update of PUT /incidents or PUT /incidents/{id}.
type manageIn struct {
	ID               string       `json:"id"`
	Type             string       `json:"type"`
	Status           string       `json:"status"`
	Title            string       `json:"title"`
	Urgency          string       `json:"urgency"`
	EscalationLevel  int          `json:"escalation_level"`
	EscalationPolicy *refIn       `json:"escalation_policy"`
	Assignments      []assigneeIn `json:"assignments"`
	Resolution       string       `json:"resolution"`
	// Priority is a priority reference or a priority's name.
	Priority json.RawMessage `json:"priority"`
}

func (m manageIn) assignees() []string {
	var ids []string
	for _, a := range m.Assignments {
		ids = append(ids, a.Assignee.ID)
	}
	return ids
}

// checkManageLocked validates an update without changing anything.
func (s *Server) checkManageLocked(st *incidentState, m manageIn) error {
	switch {
	case m.Type != "incident" && m.Type != "incident_reference":
		return errors.New("Type must be incident or incident_reference")
	case m.Status != "" && m.Status != StatusAcknowledged && m.Status != StatusResolved:
		return errors.New("Status must be acknowledged or resolved")
	case m.Urgency != "" && m.Urgency != "high" && m.Urgency != "low":
		return errors.New("Urgency must be high or low")
	case !st.Open():
		return errResolved
	}
	if len(m.Priority) > 0 {
		id, name, ok := parsePriorityIn(m.Priority)
		if !ok {
			return errors.New("Priority must be a priority reference or a priority name")
		}
		if _, ok := s.priorityLocked(id, name); !ok {
			return errors.New("Priority not found")
		}
	}
	epID := st.EscalationPolicyID
	if m.EscalationPolicy != nil {
		epID = m.EscalationPolicy.ID
	}
	if m.EscalationPolicy != nil || m.EscalationLevel != 0 {
		if err := s.checkEscalateLocked(st, epID, max(m.EscalationLevel, 1)); err != nil {
			return err
		}
	}
	if len(m.Assignments) > 0 {
		return s.checkAssignLocked(st, m.assignees())
	}
	return nil
}

// applyManageLocked applies a checked update on behalf of user.
func (s *Server) applyManageLocked(st *incidentState, m manageIn, user *User) {
	by := userAgent(user.ID)
	if m.Title != "" {
		st.Title = m.Title
	}
	if m.Urgency != "" {
		st.Urgency = m.Urgency
	}
	if len(m.Priority) > 0 {
		id, name, _ := parsePriorityIn(m.Priority)
		p, _ := s.priorityLocked(id, name)
		st.PriorityID = p.ID
	}
	if m.EscalationPolicy != nil {
		st.EscalationPolicyID = m.EscalationPolicy.ID
	}
	if m.EscalationPolicy != nil || m.EscalationLevel != 0 {
		_ = s.escalateLocked(st, max(m.EscalationLevel, 1), by, "api")
	}
	if len(m.Assignments) > 0 {
		s.assignLocked(st, m.assignees(), by, "api")
	}
	switch m.Status {
	case StatusAcknowledged:
		_ = s.ackLocked(st, user.ID, "api")
	case StatusResolved:
		if m.Resolution != "" {
			s.addNoteLocked(st, user.ID, m.Resolution)
		}
		_ = s.resolveLocked(st, by, "api")
	}
	st.UpdatedAt = s.now()
}

// PUT /incidents (From required): {"incidents":[{id, type, status |
// escalation_level | escalation_policy | assignments | title | urgency}]}.
// All updates are checked before any is applied.
func (s *Server) manageIncidents(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Incidents []manageIn `json:"incidents"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, ok := s.requesterLocked(w, r)
	if !ok {
		return
	}
	if len(body.Incidents) == 0 {
		invalid(w, "Incidents cannot be empty")
		return
	}
	sts := make([]*incidentState, len(body.Incidents))
	for i, m := range body.Incidents {
		if sts[i] = s.incidentByRefLocked(m.ID); sts[i] == nil {
			notFound(w)
			return
		}
		if err := s.checkManageLocked(sts[i], m); err != nil {
			invalid(w, err.Error())
			return
		}
	}
	out := make([]incidentJSON, len(sts))
	for i, m := range body.Incidents {
		s.applyManageLocked(sts[i], m, user)
		out[i] = s.incidentJSON(sts[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"incidents": out, "limit": len(out), "offset": 0, "more": false, "total": nil,
	})
}

// PUT /incidents/{id} (From required): {"incident":{type, status, ...}}.
func (s *Server) updateIncident(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Incident *manageIn `json:"incident"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, st, ok := s.requesterAndIncidentLocked(w, r)
	if !ok {
		return
	}
	if body.Incident == nil {
		invalid(w, "Incident cannot be empty")
		return
	}
	if err := s.checkManageLocked(st, *body.Incident); err != nil {
		invalid(w, err.Error())
		return
	}
	s.applyManageLocked(st, *body.Incident, user)
	writeJSON(w, http.StatusOK, map[string]any{"incident": s.incidentJSON(st)})
}

// GET /incidents/{id}/notes
func (s *Server) listNotes(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.incidentByRefLocked(r.PathValue("id"))
	if st == nil {
		notFound(w)
		return
	}
	out := []noteJSON{}
	for _, n := range s.notes[st.ID] {
		out = append(out, s.noteJSON(n))
	}
	writeJSON(w, http.StatusOK, map[string]any{"notes": out})
}

// POST /incidents/{id}/notes (From required): {"note":{"content"}} -> 201.
func (s *Server) createNote(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Note *struct {
			Content string `json:"content"`
		} `json:"note"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, st, ok := s.requesterAndIncidentLocked(w, r)
	if !ok {
		return
	}
	if body.Note == nil || strings.TrimSpace(body.Note.Content) == "" {
		invalid(w, "Content cannot be empty")
		return
	}
	n := s.addNoteLocked(st, user.ID, body.Note.Content)
	// PagerDuty documents 200 here, not 201.
	writeJSON(w, http.StatusOK, map[string]any{"note": s.noteJSON(n)})
}

// GET /log_entries: since, until, is_overview, include[]=incidents,
// limit/offset/total; newest first.
func (s *Server) listLogEntries(w http.ResponseWriter, r *http.Request) {
	s.writeLogEntries(w, r, "")
}

// GET /incidents/{id}/log_entries: as /log_entries for one incident.
func (s *Server) listIncidentLogEntries(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st := s.incidentByRefLocked(r.PathValue("id"))
	s.mu.Unlock()
	if st == nil {
		notFound(w)
		return
	}
	s.writeLogEntries(w, r, st.ID)
}

// overviewTypes are the entry types is_overview=true keeps.
var overviewTypes = []string{LogTrigger, LogAcknowledge, LogResolve, LogEscalate, LogAssign, LogAnnotate}

func (s *Server) writeLogEntries(w http.ResponseWriter, r *http.Request, incidentID string) {
	q := r.URL.Query()
	p, ok := parsePage(w, q)
	if !ok {
		return
	}
	since, ok := qTime(w, q, "since")
	if !ok {
		return
	}
	until, ok := qTime(w, q, "until")
	if !ok {
		return
	}
	overview := qGet(q, "is_overview") == "true"
	expand := slices.Contains(qList(q, "include"), "incidents")
	s.mu.Lock()
	var picked []LogEntry
	for _, e := range s.logs {
		switch {
		case incidentID != "" && e.IncidentID != incidentID,
			!since.IsZero() && e.CreatedAt.Before(since),
			!until.IsZero() && !e.CreatedAt.Before(until),
			overview && !slices.Contains(overviewTypes, e.Type):
			continue
		}
		picked = append(picked, e)
	}
	slices.Reverse(picked) // newest first, also among entries written at the same time
	slices.SortStableFunc(picked, func(a, b LogEntry) int { return b.CreatedAt.Compare(a.CreatedAt) })
	out := make([]logEntryJSON, len(picked))
	for i, e := range picked {
		out[i] = s.logEntryJSON(e, expand)
	}
	s.mu.Unlock()
	writePage(w, "log_entries", out, p)
}

// GET /log_entries/{id}
func (s *Server) getLogEntry(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.logs, func(e LogEntry) bool { return e.ID == r.PathValue("id") })
	if i < 0 {
		notFound(w)
		return
	}
	expand := slices.Contains(qList(r.URL.Query(), "include"), "incidents")
	writeJSON(w, http.StatusOK, map[string]any{"log_entry": s.logEntryJSON(s.logs[i], expand)})
}
