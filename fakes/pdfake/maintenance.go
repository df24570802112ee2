package pdfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// mwIn is a maintenance window as clients send it.
type mwIn struct {
	Type        string  `json:"type"`
	StartTime   string  `json:"start_time"`
	EndTime     string  `json:"end_time"`
	Description string  `json:"description"`
	Services    []refIn `json:"services"`
}

// mwFilterOK reports whether mw passes filter=ongoing|future|past at now.
func mwFilterOK(mw *MaintenanceWindow, filter string, now time.Time) bool {
	switch filter {
	case "ongoing":
		return !now.Before(mw.Start) && now.Before(mw.End)
	case "future":
		return now.Before(mw.Start)
	case "past":
		return !now.Before(mw.End)
	}
	return true
}

// checkServicesLocked validates service references: each must exist and be
// typed "service_reference" (go-pagerduty leaves the type to the caller).
func (s *Server) checkServicesLocked(w http.ResponseWriter, refs []refIn) ([]string, bool) {
	if len(refs) == 0 {
		invalid(w, "Services cannot be empty")
		return nil, false
	}
	var ids []string
	for _, r := range refs {
		if r.Type != "service_reference" {
			invalid(w, "Service type must be service_reference")
			return nil, false
		}
		if s.services[r.ID] == nil {
			invalid(w, "Service not found")
			return nil, false
		}
		ids = append(ids, r.ID)
	}
	return ids, true
}

// POST /maintenance_windows: {"maintenance_window":{start_time, end_time,
// description, services}} -> 201. From is optional (recorded as CreatedBy)
// but must name a known user when present.
func (s *Server) createMW(w http.ResponseWriter, r *http.Request) {
	var body struct {
		MW *mwIn `json:"maintenance_window"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	from := r.Header.Get("From")
	if from != "" {
		if _, ok := s.requesterLocked(w, r); !ok {
			return
		}
	}
	in := body.MW
	if in == nil {
		invalid(w, "Maintenance window cannot be empty")
		return
	}
	start, err1 := parseTime(in.StartTime)
	end, err2 := parseTime(in.EndTime)
	switch {
	case err1 != nil || err2 != nil:
		invalid(w, "start_time and end_time must be valid ISO 8601 times")
		return
	case !end.After(start):
		invalid(w, "End time must be after start time")
		return
	case !end.After(s.now()):
		invalid(w, "End time must be in the future")
		return
	}
	ids, ok := s.checkServicesLocked(w, in.Services)
	if !ok {
		return
	}
	mw := &MaintenanceWindow{ID: s.newID("PM"), Description: in.Description, ServiceIDs: ids, Start: start, End: end, CreatedBy: from}
	s.mws[mw.ID] = mw
	s.mwOrder = append(s.mwOrder, mw.ID)
	writeJSON(w, http.StatusCreated, map[string]any{"maintenance_window": s.mwJSON(mw)})
}

// GET /maintenance_windows: filter (ongoing|future|past), service_ids[],
// query (description), limit/offset/total; ordered by start time.
func (s *Server) listMWs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := parsePage(w, q)
	if !ok {
		return
	}
	serviceIDs := qList(q, "service_ids")
	s.mu.Lock()
	now := s.now()
	var picked []*MaintenanceWindow
	for _, id := range s.mwOrder {
		mw := s.mws[id]
		if !mwFilterOK(mw, qGet(q, "filter"), now) || !matchQuery(qGet(q, "query"), mw.Description) ||
			(len(serviceIDs) > 0 && !slices.ContainsFunc(serviceIDs, func(id string) bool { return slices.Contains(mw.ServiceIDs, id) })) {
			continue
		}
		picked = append(picked, mw)
	}
	slices.SortStableFunc(picked, func(a, b *MaintenanceWindow) int { return a.Start.Compare(b.Start) })
	out := make([]mwJSON, len(picked))
	for i, mw := range picked {
		out[i] = s.mwJSON(mw)
	}
	s.mu.Unlock()
	writePage(w, "maintenance_windows", out, p)
}

// GET /maintenance_windows/{id}
func (s *Server) getMW(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mw := s.mws[r.PathValue("id")]
	if mw == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"maintenance_window": s.mwJSON(mw)})
}

// PUT /maintenance_windows/{id}: the documented body is
// {"maintenance_window":{...}}, but go-pagerduty's UpdateMaintenanceWindow
// sends the bare object, so both are accepted. Empty fields are left
// unchanged; an ended window cannot be updated.
func (s *Server) updateMW(w http.ResponseWriter, r *http.Request) {
	var raw map[string]json.RawMessage
	if !decodeBody(w, r, &raw) {
		return
	}
	b, wrapped := raw["maintenance_window"]
	if !wrapped {
		b, _ = json.Marshal(raw)
	}
	var in mwIn
	if err := json.Unmarshal(b, &in); err != nil {
		invalid(w, "Invalid JSON: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mw := s.mws[r.PathValue("id")]
	if mw == nil {
		notFound(w)
		return
	}
	now := s.now()
	if !now.Before(mw.End) {
		writeError(w, http.StatusBadRequest, codeMWPast, "Cannot update a maintenance window that has ended")
		return
	}
	next := *mw
	var err error
	if in.StartTime != "" {
		if next.Start, err = parseTime(in.StartTime); err != nil {
			invalid(w, "start_time must be a valid ISO 8601 time")
			return
		}
	}
	if in.EndTime != "" {
		if next.End, err = parseTime(in.EndTime); err != nil {
			invalid(w, "end_time must be a valid ISO 8601 time")
			return
		}
	}
	if !next.End.After(next.Start) {
		invalid(w, "End time must be after start time")
		return
	}
	if strings.TrimSpace(in.Description) != "" {
		next.Description = in.Description
	}
	if len(in.Services) > 0 {
		ids, ok := s.checkServicesLocked(w, in.Services)
		if !ok {
			return
		}
		next.ServiceIDs = ids
	}
	*mw = next
	writeJSON(w, http.StatusOK, map[string]any{"maintenance_window": s.mwJSON(mw)})
}

// DELETE /maintenance_windows/{id}: a future window is deleted, an ongoing
// one ended now (both 204); a past one is refused with 400, code 5003.
func (s *Server) deleteMW(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	mw := s.mws[id]
	if mw == nil {
		notFound(w)
		return
	}
	now := s.now()
	switch {
	case !now.Before(mw.End):
		writeError(w, http.StatusBadRequest, codeMWPast, "Maintenance windows in the past cannot be deleted")
		return
	case !now.Before(mw.Start):
		mw.End = now
	default:
		delete(s.mws, id)
		s.mwOrder = slices.DeleteFunc(s.mwOrder, func(x string) bool { return x == id })
	}
	w.WriteHeader(http.StatusNoContent)
}
