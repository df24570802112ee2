package pdfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

var severities = []string{"critical", "error", "warning", "info"}

// validateEvent returns the Events API's complaints about an event.
func (s *Server) validateEventLocked(ev *Event, hasPayload bool) []string {
	var errs []string
	switch {
	case ev.RoutingKey == "":
		errs = append(errs, "'routing_key' is missing or blank")
	case len(ev.RoutingKey) != 32 && s.serviceByKeyLocked(ev.RoutingKey) == nil:
		// Real keys are 32 characters; tests may register shorter ones.
		errs = append(errs, "Length of 'routing_key' is incorrect (should be 32 characters)")
	}
	switch ev.Action {
	case "trigger":
		if !hasPayload {
			return append(errs, "'payload' is missing or blank")
		}
		if strings.TrimSpace(ev.Payload.Summary) == "" {
			errs = append(errs, "'payload.summary' is missing or blank")
		}
		if strings.TrimSpace(ev.Payload.Source) == "" {
			errs = append(errs, "'payload.source' is missing or blank")
		}
		if !slices.Contains(severities, ev.Payload.Severity) {
			errs = append(errs, "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')")
		}
	case "acknowledge", "resolve":
		if ev.DedupKey == "" {
			errs = append(errs, "'dedup_key' is missing or blank")
		}
	default:
		errs = append(errs, "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')")
	}
	return errs
}

func (s *Server) serviceByKeyLocked(key string) *Service {
	for _, sv := range s.services {
		if sv.IntegrationKey != "" && sv.IntegrationKey == key {
			return sv
		}
	}
	return nil
}

func (s *Server) inMaintenanceLocked(serviceID string) bool {
	now := s.now()
	for _, mw := range s.mws {
		if slices.Contains(mw.ServiceIDs, serviceID) && !now.Before(mw.Start) && now.Before(mw.End) {
			return true
		}
	}
	return false
}

func (s *Server) openByKeyLocked(serviceID, key string) *incidentState {
	for _, st := range s.incidents {
		if st.Open() && st.ServiceID == serviceID && st.IncidentKey == key {
			return st
		}
	}
	return nil
}

// POST /v2/enqueue (Events API v2, no auth): {"routing_key","event_action",
// "dedup_key","payload":{summary,source,severity,...}} -> 202
// {"status":"success","message":"Event processed","dedup_key"}. A routing key
// equal to a service's IntegrationKey acts on that service: trigger opens an
// incident (or groups into the open one with incident_key == dedup_key;
// nothing opens during a maintenance window); acknowledge and resolve change
// the open incident with that key. Other well-formed events are only recorded.
func (s *Server) enqueueEvent(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var in struct {
		RoutingKey string        `json:"routing_key"`
		Action     string        `json:"event_action"`
		DedupKey   string        `json:"dedup_key"`
		Payload    *EventPayload `json:"payload"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		writeEventError(w, http.StatusBadRequest, "invalid event", "Event object is invalid", "Invalid JSON: "+err.Error())
		return
	}
	ev := Event{RoutingKey: in.RoutingKey, Action: in.Action, DedupKey: in.DedupKey, Raw: raw}
	if in.Payload != nil {
		ev.Payload = *in.Payload
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if errs := s.validateEventLocked(&ev, in.Payload != nil); len(errs) > 0 {
		writeEventError(w, http.StatusBadRequest, "invalid event", "Event object is invalid", errs...)
		return
	}
	ev.At = s.now()
	if ev.DedupKey == "" {
		s.seq++
		ev.DedupKey = fmt.Sprintf("%032x", s.seq)
	}
	if sv := s.serviceByKeyLocked(ev.RoutingKey); sv != nil {
		ev.IncidentID = s.applyEventLocked(sv, &ev)
	}
	s.events = append(s.events, ev)
	writeJSON(w, http.StatusAccepted, map[string]string{
		"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey,
	})
}

// applyEventLocked acts on sv's incidents and returns the incident touched.
func (s *Server) applyEventLocked(sv *Service, ev *Event) string {
	by := integrationAgent(sv.ID)
	open := s.openByKeyLocked(sv.ID, ev.DedupKey)
	switch ev.Action {
	case "trigger":
		if open != nil {
			open.alerts++
			open.UpdatedAt = s.now()
			return open.ID
		}
		if s.inMaintenanceLocked(sv.ID) {
			return ""
		}
		details := map[string]string{"description": ev.Payload.Summary}
		st := s.addIncidentLocked(Incident{Title: ev.Payload.Summary, ServiceID: sv.ID, IncidentKey: ev.DedupKey}, by, "api", details)
		st.alerts = 1
		return st.ID
	case "acknowledge":
		if open != nil {
			_ = s.ackByLocked(open, by, "api")
			return open.ID
		}
	case "resolve":
		if open != nil {
			_ = s.resolveLocked(open, by, "api")
			return open.ID
		}
	}
	return ""
}
