package pdfake

import (
	"cmp"
	"net/http"
	"slices"
	"time"
)

type onCallJSON struct {
	EscalationPolicy ref     `json:"escalation_policy"`
	EscalationLevel  int     `json:"escalation_level"`
	Schedule         *ref    `json:"schedule"`
	User             any     `json:"user"`
	Start            *string `json:"start"`
	End              *string `json:"end"`
}

// GET /oncalls: computed from escalation policies at [since, until] (default
// now). User targets are always on call (start and end null); schedule
// targets yield one entry per final-schedule stretch. Filters:
// escalation_policy_ids[], schedule_ids[] (which drops user targets),
// user_ids[], earliest; include[]=users expands users.
func (s *Server) listOnCalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := parsePage(w, q)
	if !ok {
		return
	}
	since, until, ok := s.window(w, r, 0)
	if !ok {
		return
	}
	epIDs, schedIDs, userIDs := qList(q, "escalation_policy_ids"), qList(q, "schedule_ids"), qList(q, "user_ids")
	earliest := qGet(q, "earliest") == "true"
	expand := slices.Contains(qList(q, "include"), "users")

	s.mu.Lock()
	type key struct {
		ep    string
		level int
		user  string
	}
	seen := map[key]bool{}
	out := []onCallJSON{}
	add := func(ep *EscalationPolicy, level int, sched *ref, userID string, start, end *string) {
		if len(userIDs) > 0 && !slices.Contains(userIDs, userID) {
			return
		}
		k := key{ep.ID, level, userID}
		if earliest && seen[k] {
			return
		}
		seen[k] = true
		var user any = s.userRef(userID)
		if u := s.users[userID]; expand && u != nil {
			user = s.userJSON(u)
		}
		out = append(out, onCallJSON{s.epRef(ep.ID), level, sched, user, start, end})
	}
	for _, ep := range sortedByName(s.eps, func(v *EscalationPolicy) string { return v.Name }) {
		if len(epIDs) > 0 && !slices.Contains(epIDs, ep.ID) {
			continue
		}
		for i, l := range ep.Levels {
			for _, t := range l.Targets {
				if t.Type != TargetSchedule {
					if len(schedIDs) == 0 {
						add(ep, i+1, nil, t.ID, nil, nil)
					}
					continue
				}
				sc := s.schedules[t.ID]
				if sc == nil || (len(schedIDs) > 0 && !slices.Contains(schedIDs, sc.ID)) {
					continue
				}
				sr := s.scheduleRef(sc.ID)
				for _, sg := range overlapping(timeline(sc), since, until, false) {
					add(ep, i+1, &sr, sg.userID, fmtTimePtr(sg.start), fmtTimePtr(sg.end))
				}
			}
		}
	}
	s.mu.Unlock()
	writePage(w, "oncalls", out, p)
}

// GET /schedules/{id}/overrides: since and until are required; overrides
// overlapping them, truncated to them unless overflow=true; editable=true
// keeps only those not yet ended.
func (s *Server) listOverrides(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if qGet(q, "since") == "" || qGet(q, "until") == "" {
		invalid(w, "since and until are required")
		return
	}
	p, ok := parsePage(w, q)
	if !ok {
		return
	}
	since, until, ok := s.window(w, r, 0)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.schedules[r.PathValue("id")]
	if sc == nil {
		notFound(w)
		return
	}
	now := s.now()
	out := []overrideJSON{}
	for _, o := range sc.overrides {
		if !o.Start.Before(until) || !o.End.After(since) || (qGet(q, "editable") == "true" && !o.End.After(now)) {
			continue
		}
		if qGet(q, "overflow") != "true" {
			o.Start, o.End = later(o.Start, since), earlier(o.End, until)
		}
		out = append(out, s.overrideJSON(o))
	}
	slices.SortStableFunc(out, func(a, b overrideJSON) int { return cmp.Compare(a.Start, b.Start) })
	writePage(w, "overrides", out, p)
}

// DELETE /schedules/{id}/overrides/{oid}: a future override is deleted
// (204); one in progress is truncated to now (200); an ended one is refused.
func (s *Server) deleteOverride(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.schedules[r.PathValue("id")]
	if sc == nil {
		notFound(w)
		return
	}
	i := slices.IndexFunc(sc.overrides, func(o Override) bool { return o.ID == r.PathValue("oid") })
	if i < 0 {
		notFound(w)
		return
	}
	now := s.now()
	switch o := &sc.overrides[i]; {
	case !o.End.After(now):
		invalid(w, "Cannot delete an override that has already ended")
	case o.Start.Before(now):
		o.End = now.Truncate(time.Second)
		writeJSON(w, http.StatusOK, map[string]any{"override": s.overrideJSON(*o)})
	default:
		sc.overrides = slices.Delete(sc.overrides, i, i+1)
		w.WriteHeader(http.StatusNoContent)
	}
}
