package pdfake

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file renders state as PagerDuty's JSON. The wire structs are the
// fake's own so that absent values are null or omitted as in the real API
// (go-pagerduty's structs would encode empty objects instead).

type ref struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary,omitempty"`
	Self    string `json:"self,omitempty"`
	HTMLURL string `json:"html_url,omitempty"`
}

func (s *Server) mkRef(id, typ, summary, path string) ref {
	return ref{ID: id, Type: typ, Summary: summary, Self: s.URL() + path + id, HTMLURL: s.opts.HTMLBase + path + id}
}

func (s *Server) userRef(id string) ref {
	return s.mkRef(id, "user_reference", s.userName(id), "/users/")
}

func (s *Server) serviceRef(id string) ref {
	name := id
	if sv := s.services[id]; sv != nil {
		name = sv.Name
	}
	return s.mkRef(id, "service_reference", name, "/services/")
}

func (s *Server) epRef(id string) ref {
	name := id
	if ep := s.eps[id]; ep != nil {
		name = ep.Name
	}
	return s.mkRef(id, "escalation_policy_reference", name, "/escalation_policies/")
}

func (s *Server) scheduleRef(id string) ref {
	name := id
	if sc := s.schedules[id]; sc != nil {
		name = sc.Name
	}
	return s.mkRef(id, "schedule_reference", name, "/schedules/")
}

func (s *Server) targetRef(t Target) ref {
	if t.Type == TargetSchedule {
		return s.scheduleRef(t.ID)
	}
	return s.userRef(t.ID)
}

func (s *Server) incidentRef(st *incidentState) ref {
	return s.mkRef(st.ID, "incident_reference", incidentSummary(st), "/incidents/")
}

func incidentSummary(st *incidentState) string {
	return "[#" + strconv.Itoa(st.Number) + "] " + st.Title
}

type userJSON struct {
	ref
	Name              string  `json:"name"`
	Email             string  `json:"email"`
	TimeZone          string  `json:"time_zone"`
	Color             string  `json:"color"`
	Role              string  `json:"role"`
	AvatarURL         string  `json:"avatar_url"`
	Description       *string `json:"description"`
	InvitationSent    bool    `json:"invitation_sent"`
	JobTitle          *string `json:"job_title"`
	Teams             []ref   `json:"teams"`
	ContactMethods    []ref   `json:"contact_methods"`
	NotificationRules []ref   `json:"notification_rules"`
}

func (s *Server) userJSON(u *User) userJSON {
	r := s.mkRef(u.ID, "user", u.Name, "/users/")
	return userJSON{
		ref: r, Name: u.Name, Email: u.Email, TimeZone: u.TimeZone, Color: "purple", Role: "user",
		AvatarURL: "https://secure.gravatar.com/avatar/" + u.ID + ".png",
		Teams:     []ref{}, ContactMethods: []ref{}, NotificationRules: []ref{},
	}
}

type urgencyRule struct {
	Type    string `json:"type"`
	Urgency string `json:"urgency"`
}

type serviceJSON struct {
	ref
	Name                   string      `json:"name"`
	Description            *string     `json:"description"`
	Status                 string      `json:"status"`
	AutoResolveTimeout     int         `json:"auto_resolve_timeout"`
	AcknowledgementTimeout int         `json:"acknowledgement_timeout"`
	LastIncidentTimestamp  *string     `json:"last_incident_timestamp"`
	EscalationPolicy       any         `json:"escalation_policy"`
	Teams                  []ref       `json:"teams"`
	Integrations           []any       `json:"integrations"`
	IncidentUrgencyRule    urgencyRule `json:"incident_urgency_rule"`
	AlertCreation          string      `json:"alert_creation"`
}

type integrationJSON struct {
	ref
	Name           string `json:"name"`
	Service        ref    `json:"service"`
	IntegrationKey string `json:"integration_key"`
}

// svcStats summarises a service's incidents and maintenance windows.
type svcStats struct {
	lastIncident time.Time
	critical     bool // an open, triggered, high-urgency incident
	open         bool
	maintenance  bool
}

// serviceStatsLocked computes svcStats for every service in one pass.
func (s *Server) serviceStatsLocked() map[string]*svcStats {
	stats := make(map[string]*svcStats, len(s.services))
	get := func(id string) *svcStats {
		if stats[id] == nil {
			stats[id] = &svcStats{}
		}
		return stats[id]
	}
	for _, st := range s.incidents {
		ss := get(st.ServiceID)
		if st.CreatedAt.After(ss.lastIncident) {
			ss.lastIncident = st.CreatedAt
		}
		if st.Open() {
			ss.open = true
			ss.critical = ss.critical || (st.Status == StatusTriggered && st.Urgency == "high")
		}
	}
	now := s.now()
	for _, mw := range s.mws {
		if !now.Before(mw.Start) && now.Before(mw.End) {
			for _, id := range mw.ServiceIDs {
				get(id).maintenance = true
			}
		}
	}
	return stats
}

// serviceStatus is PagerDuty's computed status, unless the test set one.
func serviceStatus(sv *Service, ss *svcStats) string {
	switch {
	case sv.Status != "":
		return sv.Status
	case ss == nil:
		return "active"
	case ss.maintenance:
		return "maintenance"
	case ss.critical:
		return "critical"
	case ss.open:
		return "warning"
	}
	return "active"
}

// serviceJSON renders a service; includes may hold "escalation_policies" and
// "integrations" to expand those references.
func (s *Server) serviceJSON(sv *Service, ss *svcStats, includes []string) serviceJSON {
	out := serviceJSON{
		ref:  s.mkRef(sv.ID, "service", sv.Name, "/services/"),
		Name: sv.Name, Status: serviceStatus(sv, ss),
		AutoResolveTimeout: 14400, AcknowledgementTimeout: 1800,
		Teams: []ref{}, Integrations: []any{},
		IncidentUrgencyRule: urgencyRule{Type: "constant", Urgency: "high"},
		AlertCreation:       "create_alerts_and_incidents",
	}
	if ss != nil && !ss.lastIncident.IsZero() {
		out.LastIncidentTimestamp = fmtTimePtr(ss.lastIncident)
	}
	out.EscalationPolicy = s.epRef(sv.EscalationPolicyID)
	if ep := s.eps[sv.EscalationPolicyID]; ep != nil && slices.Contains(includes, "escalation_policies") {
		out.EscalationPolicy = s.epJSON(ep)
	}
	if sv.IntegrationKey != "" {
		r := s.mkRef(sv.ID+"-EV2", "events_api_v2_inbound_integration_reference", "Events API V2", "/services/"+sv.ID+"/integrations/")
		if slices.Contains(includes, "integrations") {
			r.Type = "events_api_v2_inbound_integration"
			out.Integrations = append(out.Integrations, integrationJSON{ref: r, Name: "Events API V2", Service: s.serviceRef(sv.ID), IntegrationKey: sv.IntegrationKey})
		} else {
			out.Integrations = append(out.Integrations, r)
		}
	}
	return out
}

type ruleJSON struct {
	ID      string `json:"id"`
	Delay   int    `json:"escalation_delay_in_minutes"`
	Targets []ref  `json:"targets"`
}

type epJSON struct {
	ref
	Name                       string     `json:"name"`
	Description                string     `json:"description"`
	NumLoops                   int        `json:"num_loops"`
	OnCallHandoffNotifications string     `json:"on_call_handoff_notifications"`
	EscalationRules            []ruleJSON `json:"escalation_rules"`
	Services                   []ref      `json:"services"`
	Teams                      []ref      `json:"teams"`
}

func (s *Server) epJSON(ep *EscalationPolicy) epJSON {
	out := epJSON{
		ref:  s.mkRef(ep.ID, "escalation_policy", ep.Name, "/escalation_policies/"),
		Name: ep.Name, OnCallHandoffNotifications: "if_has_services",
		EscalationRules: []ruleJSON{}, Services: []ref{}, Teams: []ref{},
	}
	for i, l := range ep.Levels {
		r := ruleJSON{ID: ep.ID + "-R" + strconv.Itoa(i+1), Delay: l.DelayMinutes, Targets: []ref{}}
		if r.Delay == 0 {
			r.Delay = 30
		}
		for _, t := range l.Targets {
			r.Targets = append(r.Targets, s.targetRef(t))
		}
		out.EscalationRules = append(out.EscalationRules, r)
	}
	for _, sv := range sortedByName(s.services, func(v *Service) string { return v.Name }) {
		if sv.EscalationPolicyID == ep.ID {
			out.Services = append(out.Services, s.serviceRef(sv.ID))
		}
	}
	return out
}

type assignmentJSON struct {
	At       string `json:"at"`
	Assignee ref    `json:"assignee"`
}

type ackJSON struct {
	At           string `json:"at"`
	Acknowledger ref    `json:"acknowledger"`
}

type alertCounts struct {
	All       int `json:"all"`
	Triggered int `json:"triggered"`
	Resolved  int `json:"resolved"`
}

type incidentBody struct {
	Type    string `json:"type"`
	Details string `json:"details"`
}

type incidentJSON struct {
	ref
	IncidentNumber       int              `json:"incident_number"`
	Title                string           `json:"title"`
	Description          string           `json:"description"`
	CreatedAt            string           `json:"created_at"`
	UpdatedAt            string           `json:"updated_at"`
	Status               string           `json:"status"`
	IncidentKey          *string          `json:"incident_key"`
	Service              ref              `json:"service"`
	Assignments          []assignmentJSON `json:"assignments"`
	AssignedVia          string           `json:"assigned_via"`
	LastStatusChangeAt   string           `json:"last_status_change_at"`
	LastStatusChangeBy   *ref             `json:"last_status_change_by"`
	ResolvedAt           *string          `json:"resolved_at"`
	FirstTriggerLogEntry *ref             `json:"first_trigger_log_entry"`
	AlertCounts          alertCounts      `json:"alert_counts"`
	IsMergeable          bool             `json:"is_mergeable"`
	EscalationPolicy     ref              `json:"escalation_policy"`
	Teams                []ref            `json:"teams"`
	PendingActions       []any            `json:"pending_actions"`
	Acknowledgements     []ackJSON        `json:"acknowledgements"`
	Urgency              string           `json:"urgency"`
	Priority             *priorityJSON    `json:"priority"`
	ResolveReason        *ref             `json:"resolve_reason"`
	Body                 *incidentBody    `json:"body,omitempty"`
	IncidentsResponders  []responderJSON  `json:"incidents_responders"`
	ResponderRequests    []rrJSON         `json:"responder_requests"`
}

// incidentJSON renders an incident. Resolved incidents show no assignments
// and no acknowledgements, as in PagerDuty.
func (s *Server) incidentJSON(st *incidentState) incidentJSON {
	out := incidentJSON{
		ref:            s.mkRef(st.ID, "incident", incidentSummary(st), "/incidents/"),
		IncidentNumber: st.Number, Title: st.Title, Description: st.Title,
		CreatedAt: fmtTime(st.CreatedAt), UpdatedAt: fmtTime(st.UpdatedAt),
		Status: st.Status, Service: s.serviceRef(st.ServiceID),
		Assignments: []assignmentJSON{}, AssignedVia: st.assignedVia,
		LastStatusChangeAt: fmtTime(st.LastStatusChangeAt),
		ResolvedAt:         fmtTimePtr(st.ResolvedAt),
		IsMergeable:        true, EscalationPolicy: s.epRef(st.EscalationPolicyID),
		Teams: []ref{}, PendingActions: []any{}, Acknowledgements: []ackJSON{},
		Urgency: st.Urgency,
	}
	if st.IncidentKey != "" {
		out.IncidentKey = &st.IncidentKey
	}
	if st.LastStatusChangeBy != "" {
		r := s.userRef(st.LastStatusChangeBy)
		out.LastStatusChangeBy = &r
	} else {
		r := s.serviceRef(st.ServiceID)
		out.LastStatusChangeBy = &r
	}
	if st.firstLogID != "" {
		r := s.mkRef(st.firstLogID, "trigger_log_entry_reference", "Triggered", "/log_entries/")
		out.FirstTriggerLogEntry = &r
	}
	if st.alerts > 0 {
		out.AlertCounts.All = st.alerts
		if st.Open() {
			out.AlertCounts.Triggered = st.alerts
		} else {
			out.AlertCounts.Resolved = st.alerts
		}
	}
	if st.Details != "" {
		out.Body = &incidentBody{Type: "incident_body", Details: st.Details}
	}
	s.incidentOpsJSON(st, &out)
	if st.Open() {
		for _, id := range st.AssigneeIDs {
			out.Assignments = append(out.Assignments, assignmentJSON{At: fmtTime(st.AssignedAt), Assignee: s.userRef(id)})
		}
		for _, a := range st.Acknowledgers {
			out.Acknowledgements = append(out.Acknowledgements, ackJSON{At: fmtTime(a.At), Acknowledger: s.userRef(a.UserID)})
		}
	}
	return out
}

type noteJSON struct {
	ID        string         `json:"id"`
	User      ref            `json:"user"`
	Channel   map[string]any `json:"channel"`
	Content   string         `json:"content"`
	CreatedAt string         `json:"created_at"`
}

func (s *Server) noteJSON(n Note) noteJSON {
	return noteJSON{ID: n.ID, User: s.userRef(n.UserID), Content: n.Content, CreatedAt: fmtTime(n.CreatedAt),
		Channel: map[string]any{"summary": "The PagerDuty website or APIs"}}
}

type logEntryJSON struct {
	ref
	CreatedAt    string            `json:"created_at"`
	Agent        *ref              `json:"agent"`
	Channel      map[string]any    `json:"channel"`
	Service      ref               `json:"service"`
	Incident     any               `json:"incident"`
	Teams        []ref             `json:"teams"`
	Contexts     []any             `json:"contexts"`
	EventDetails map[string]string `json:"event_details,omitempty"`
	Assignees    []ref             `json:"assignees,omitempty"`
}

// logEntryJSON renders a log entry; withIncident expands the incident
// (include[]=incidents).
func (s *Server) logEntryJSON(e LogEntry, withIncident bool) logEntryJSON {
	st := s.incidents[e.IncidentID]
	out := logEntryJSON{
		ref:       s.mkRef(e.ID, e.Type, e.Summary, "/log_entries/"),
		CreatedAt: fmtTime(e.CreatedAt),
		Channel:   map[string]any{"type": cmp.Or(e.ChannelType, "auto")},
		Service:   s.serviceRef(st.ServiceID),
		Incident:  s.incidentRef(st),
		Teams:     []ref{}, Contexts: []any{},
		EventDetails: e.EventDetails,
	}
	if withIncident {
		out.Incident = s.incidentJSON(st)
	}
	switch e.AgentType {
	case "":
	case "user_reference":
		r := s.userRef(e.AgentID)
		out.Agent = &r
	default:
		r := s.mkRef(e.AgentID, e.AgentType, "Events API V2", "/services/"+st.ServiceID+"/integrations/")
		out.Agent = &r
	}
	for _, id := range e.AssigneeIDs {
		out.Assignees = append(out.Assignees, s.userRef(id))
	}
	return out
}

type overrideJSON struct {
	ID    string `json:"id"`
	Start string `json:"start"`
	End   string `json:"end"`
	User  ref    `json:"user"`
}

func (s *Server) overrideJSON(o Override) overrideJSON {
	return overrideJSON{ID: o.ID, Start: fmtTime(o.Start), End: fmtTime(o.End), User: s.userRef(o.UserID)}
}

type mwJSON struct {
	ref
	SequenceNumber int    `json:"sequence_number"`
	StartTime      string `json:"start_time"`
	EndTime        string `json:"end_time"`
	Description    string `json:"description"`
	Services       []ref  `json:"services"`
	Teams          []ref  `json:"teams"`
	CreatedBy      *ref   `json:"created_by"`
}

func (s *Server) mwJSON(mw *MaintenanceWindow) mwJSON {
	out := mwJSON{
		ref:            s.mkRef(mw.ID, "maintenance_window", mw.Description, "/maintenance_windows/"),
		SequenceNumber: slices.Index(s.mwOrder, mw.ID) + 1,
		StartTime:      fmtTime(mw.Start), EndTime: fmtTime(mw.End), Description: mw.Description,
		Services: []ref{}, Teams: []ref{},
	}
	for _, id := range mw.ServiceIDs {
		out.Services = append(out.Services, s.serviceRef(id))
	}
	for _, u := range s.users {
		if mw.CreatedBy != "" && strings.EqualFold(u.Email, mw.CreatedBy) {
			r := s.userRef(u.ID)
			out.CreatedBy = &r
		}
	}
	return out
}
