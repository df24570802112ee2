package pdfake

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// sortedByName returns m's values ordered like PagerDuty lists them: by
// case-insensitive name, then ID.
func sortedByName[T any](m map[string]*T, name func(*T) string) []*T {
	ids := slices.Collect(maps.Keys(m))
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(strings.ToLower(name(m[a])), strings.ToLower(name(m[b]))), cmp.Compare(a, b))
	})
	out := make([]*T, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}

// matchQuery is PagerDuty's query filter: a case-insensitive substring match
// on any of the fields.
func matchQuery(query string, fields ...string) bool {
	if query == "" {
		return true
	}
	query = strings.ToLower(query)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), query) {
			return true
		}
	}
	return false
}

// GET /users: query (name or email), limit/offset/total.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := parsePage(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	var out []userJSON
	for _, u := range sortedByName(s.users, func(u *User) string { return u.Name }) {
		if matchQuery(qGet(q, "query"), u.Name, u.Email) {
			out = append(out, s.userJSON(u))
		}
	}
	s.mu.Unlock()
	writePage(w, "users", out, p)
}

// GET /users/{id}
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "me" {
		invalid(w, "Because this request was made using an account-level access token, we were unable to determine the current user.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": s.userJSON(u)})
}

// GET /services: query, include[], sort_by (name, name:asc, name:desc).
func (s *Server) listServices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := parsePage(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	var out []serviceJSON
	stats := s.serviceStatsLocked()
	for _, sv := range sortedByName(s.services, func(v *Service) string { return v.Name }) {
		if matchQuery(qGet(q, "query"), sv.Name) {
			out = append(out, s.serviceJSON(sv, stats[sv.ID], qList(q, "include")))
		}
	}
	s.mu.Unlock()
	if qGet(q, "sort_by") == "name:desc" {
		slices.Reverse(out)
	}
	writePage(w, "services", out, p)
}

// GET /services/{id}: include[].
func (s *Server) getService(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.services[r.PathValue("id")]
	if sv == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"service": s.serviceJSON(sv, s.serviceStatsLocked()[sv.ID], qList(r.URL.Query(), "include"))})
}

// GET /escalation_policies: query, user_ids[] (policies targeting any of the
// users directly or through a schedule they have shifts on), sort_by.
func (s *Server) listEPs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := parsePage(w, q)
	if !ok {
		return
	}
	userIDs := qList(q, "user_ids")
	s.mu.Lock()
	var out []epJSON
	for _, ep := range sortedByName(s.eps, func(v *EscalationPolicy) string { return v.Name }) {
		if matchQuery(qGet(q, "query"), ep.Name) && (len(userIDs) == 0 || s.epTargetsAnyLocked(ep, userIDs)) {
			out = append(out, s.epJSON(ep))
		}
	}
	s.mu.Unlock()
	if qGet(q, "sort_by") == "name:desc" {
		slices.Reverse(out)
	}
	writePage(w, "escalation_policies", out, p)
}

func (s *Server) epTargetsAnyLocked(ep *EscalationPolicy, userIDs []string) bool {
	for _, l := range ep.Levels {
		for _, t := range l.Targets {
			if t.Type != TargetSchedule && slices.Contains(userIDs, t.ID) {
				return true
			}
			if sc := s.schedules[t.ID]; t.Type == TargetSchedule && sc != nil {
				for _, sh := range sc.Shifts {
					if slices.Contains(userIDs, sh.UserID) {
						return true
					}
				}
			}
		}
	}
	return false
}

// GET /escalation_policies/{id}
func (s *Server) getEP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := s.eps[r.PathValue("id")]
	if ep == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"escalation_policy": s.epJSON(ep)})
}
