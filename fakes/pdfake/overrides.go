package pdfake

import (
	"net/http"
	"time"
)

type overrideIn struct {
	Start string `json:"start"`
	End   string `json:"end"`
	User  struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"user"`
}

// overrideResult is one item of the bulk answer: 201 with the override
// created (with its id), or 400 with errors and the override as asked.
type overrideResult struct {
	Status   int          `json:"status"`
	Errors   []string     `json:"errors,omitempty"`
	Override overrideJSON `json:"override"`
}

// RefuseOverridesFor makes PagerDuty refuse, item by item, every override
// for userID that is asked for from now on, with reason as the item's
// error (as it does for a user who may not be on the schedule), while the
// other items of the same request are created. An empty reason stops it.
func (s *Server) RefuseOverridesFor(userID, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuseOverrides == nil {
		s.refuseOverrides = map[string]string{}
	}
	if reason == "" {
		delete(s.refuseOverrides, userID)
		return
	}
	s.refuseOverrides[userID] = reason
}

// POST /schedules/{id}/overrides, as documented: {"overrides":[…]} →
// 201 with one {status, errors, override} per item, in order; items are
// accepted or refused one by one. The deprecated single form
// {"override":{…}} is still answered as PagerDuty does ({"override":…},
// or 400 for that one).
func (s *Server) createOverride(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Overrides []overrideIn `json:"overrides"`
		Override  *overrideIn  `json:"override"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.schedules[r.PathValue("id")]
	if sc == nil {
		notFound(w)
		return
	}
	if body.Overrides == nil && body.Override != nil {
		res := s.createOverrideLocked(sc, *body.Override)
		if res.Status != http.StatusCreated {
			invalid(w, res.Errors...)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"override": res.Override})
		return
	}
	if len(body.Overrides) == 0 {
		invalid(w, "overrides must be a non-empty array")
		return
	}
	out := make([]overrideResult, 0, len(body.Overrides))
	for _, in := range body.Overrides {
		out = append(out, s.createOverrideLocked(sc, in))
	}
	writeJSON(w, http.StatusCreated, out)
}

// createOverrideLocked checks and creates one override. Overlapping an
// existing override is allowed: PagerDuty documents that the later one
// wins. Callers hold s.mu.
func (s *Server) createOverrideLocked(sc *scheduleState, in overrideIn) overrideResult {
	start, err1 := parseTime(in.Start)
	end, err2 := parseTime(in.End)
	asked := overrideJSON{Start: in.Start, End: in.End, User: s.userRef(in.User.ID)}
	var why string
	switch {
	case err1 != nil || err2 != nil:
		why = "Override start and end must be valid ISO 8601 times"
	case !end.After(start):
		why = "Override must end after its start"
	case in.User.Type != "user_reference" && in.User.Type != "user":
		why = "User must be a user_reference"
	case s.users[in.User.ID] == nil:
		why = "User not found"
	case s.refuseOverrides[in.User.ID] != "":
		why = s.refuseOverrides[in.User.ID]
	}
	if why != "" {
		if err1 == nil && err2 == nil {
			asked.Start, asked.End = fmtTime(start), fmtTime(end)
		}
		return overrideResult{Status: http.StatusBadRequest, Errors: []string{why}, Override: asked}
	}
	o := Override{ID: s.newID("PO"), UserID: in.User.ID, Start: start.Truncate(time.Second), End: end.Truncate(time.Second)}
	sc.overrides = append(sc.overrides, o)
	return overrideResult{Status: http.StatusCreated, Override: s.overrideJSON(o)}
}
