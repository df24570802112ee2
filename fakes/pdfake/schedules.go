package pdfake

import (
	"net/http"
	"slices"
	"time"
)

// segment is one stretch of the final (overrides applied) schedule.
type segment struct {
	userID     string
	start, end time.Time
}

// timeline renders a schedule's final layer: shifts, with overrides on top
// (the latest override wins; among overlapping shifts the first listed wins),
// adjacent stretches of the same user merged.
func timeline(sc *scheduleState) []segment {
	var cuts []time.Time
	for _, sh := range sc.Shifts {
		cuts = append(cuts, sh.Start, sh.End)
	}
	for _, o := range sc.overrides {
		cuts = append(cuts, o.Start, o.End)
	}
	slices.SortFunc(cuts, time.Time.Compare)
	cuts = slices.CompactFunc(cuts, time.Time.Equal)
	var out []segment
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		user := ""
		for j := len(sc.overrides) - 1; j >= 0 && user == ""; j-- {
			if o := sc.overrides[j]; !a.Before(o.Start) && a.Before(o.End) {
				user = o.UserID
			}
		}
		for _, sh := range sc.Shifts {
			if user == "" && !a.Before(sh.Start) && a.Before(sh.End) {
				user = sh.UserID
			}
		}
		if user == "" {
			continue
		}
		if n := len(out); n > 0 && out[n-1].userID == user && out[n-1].end.Equal(a) {
			out[n-1].end = b
			continue
		}
		out = append(out, segment{user, a, b})
	}
	return out
}

// overlapping returns the segments overlapping [since, until], or the one
// containing since when since equals until; clip trims them to the window.
func overlapping(segs []segment, since, until time.Time, clip bool) []segment {
	var out []segment
	for _, sg := range segs {
		in := sg.start.Before(until) && sg.end.After(since)
		if !until.After(since) {
			in = !since.Before(sg.start) && since.Before(sg.end)
		}
		if !in {
			continue
		}
		if clip {
			sg.start, sg.end = later(sg.start, since), earlier(sg.end, until)
		}
		out = append(out, sg)
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// levelUsersLocked lists the users an escalation level reaches at t: its user
// targets and whoever is on call in its schedule targets.
func (s *Server) levelUsersLocked(epID string, level int, t time.Time) []string {
	ep := s.eps[epID]
	if ep == nil || level < 1 || level > len(ep.Levels) {
		return nil
	}
	var out []string
	for _, tg := range ep.Levels[level-1].Targets {
		ids := []string{tg.ID}
		if tg.Type == TargetSchedule {
			ids = nil
			if sc := s.schedules[tg.ID]; sc != nil {
				for _, sg := range overlapping(timeline(sc), t, t, false) {
					ids = append(ids, sg.userID)
				}
			}
		}
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

type entryJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
	User  ref    `json:"user"`
}

type layerJSON struct {
	ID                      string      `json:"id,omitempty"`
	Name                    string      `json:"name"`
	RenderedScheduleEntries []entryJSON `json:"rendered_schedule_entries"`
	RenderedCoverage        float64     `json:"rendered_coverage_percentage"`
}

// scheduleLayerJSON is a layer as PagerDuty's ScheduleLayer requires it:
// start, users, rotation_virtual_start and rotation_turn_length_seconds.
// The fake's flat list of shifts is one layer that starts with the first
// shift and turns every first-shift length.
type scheduleLayerJSON struct {
	layerJSON
	Start                     string          `json:"start"`
	End                       *string         `json:"end,omitempty"`
	Users                     []layerUserJSON `json:"users"`
	RotationVirtualStart      string          `json:"rotation_virtual_start"`
	RotationTurnLengthSeconds int             `json:"rotation_turn_length_seconds"`
}

type layerUserJSON struct {
	User ref `json:"user"`
}

type scheduleJSON struct {
	ref
	Name                 string              `json:"name"`
	TimeZone             string              `json:"time_zone"`
	Description          *string             `json:"description,omitempty"`
	EscalationPolicies   []ref               `json:"escalation_policies"`
	Users                []ref               `json:"users"`
	Teams                []ref               `json:"teams"`
	ScheduleLayers       []scheduleLayerJSON `json:"schedule_layers,omitempty"`
	OverridesSubschedule *layerJSON          `json:"overrides_subschedule,omitempty"`
	FinalSchedule        *layerJSON          `json:"final_schedule,omitempty"`
}

func (s *Server) layer(name string, segs []segment, since, until time.Time) layerJSON {
	l := layerJSON{Name: name, RenderedScheduleEntries: []entryJSON{}}
	var covered time.Duration
	for _, sg := range overlapping(segs, since, until, true) {
		covered += sg.end.Sub(sg.start)
		l.RenderedScheduleEntries = append(l.RenderedScheduleEntries, entryJSON{fmtTime(sg.start), fmtTime(sg.end), s.userRef(sg.userID)})
	}
	if span := until.Sub(since); span > 0 {
		l.RenderedCoverage = float64(covered) * 100 / float64(span)
	}
	return l
}

// scheduleJSON renders a schedule; with render it includes the layers
// rendered over [since, until].
func (s *Server) scheduleJSON(sc *scheduleState, render bool, since, until time.Time) scheduleJSON {
	out := scheduleJSON{
		ref:  s.mkRef(sc.ID, "schedule", sc.Name, "/schedules/"),
		Name: sc.Name, TimeZone: sc.TimeZone,
		EscalationPolicies: []ref{}, Users: []ref{}, Teams: []ref{},
	}
	for _, ep := range sortedByName(s.eps, func(v *EscalationPolicy) string { return v.Name }) {
		if slices.ContainsFunc(ep.Levels, func(l EscalationLevel) bool {
			return slices.Contains(l.Targets, Target{Type: TargetSchedule, ID: sc.ID})
		}) {
			out.EscalationPolicies = append(out.EscalationPolicies, s.epRef(ep.ID))
		}
	}
	var users []string
	for _, sh := range sc.Shifts {
		if !slices.Contains(users, sh.UserID) {
			users = append(users, sh.UserID)
			out.Users = append(out.Users, s.userRef(sh.UserID))
		}
	}
	if !render {
		return out
	}
	base := timeline(&scheduleState{Schedule: sc.Schedule})
	l := s.layer("Layer 1", base, since, until)
	l.ID = sc.ID + "-L1"
	sl := scheduleLayerJSON{layerJSON: l, Start: fmtTime(since), RotationVirtualStart: fmtTime(since),
		RotationTurnLengthSeconds: 86400, Users: []layerUserJSON{}}
	if len(sc.Shifts) > 0 {
		first := slices.MinFunc(sc.Shifts, func(a, b Shift) int { return a.Start.Compare(b.Start) })
		sl.Start, sl.RotationVirtualStart = fmtTime(first.Start), fmtTime(first.Start)
		sl.RotationTurnLengthSeconds = int(first.End.Sub(first.Start) / time.Second)
	}
	for _, u := range out.Users {
		sl.Users = append(sl.Users, layerUserJSON{u})
	}
	out.ScheduleLayers = []scheduleLayerJSON{sl}
	var ovs []segment
	for _, o := range sc.overrides {
		ovs = append(ovs, segment{o.UserID, o.Start, o.End})
	}
	ol := s.layer("Overrides", ovs, since, until)
	fl := s.layer("Final Schedule", timeline(sc), since, until)
	out.OverridesSubschedule, out.FinalSchedule = &ol, &fl
	return out
}

// GET /schedules: query, limit/offset/total.
func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := parsePage(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	var out []scheduleJSON
	for _, sc := range sortedByName(s.schedules, func(v *scheduleState) string { return v.Name }) {
		if matchQuery(qGet(q, "query"), sc.Name) {
			out = append(out, s.scheduleJSON(sc, false, time.Time{}, time.Time{}))
		}
	}
	s.mu.Unlock()
	writePage(w, "schedules", out, p)
}

// window reads since/until; defaults are now and since+defaultSpan.
func (s *Server) window(w http.ResponseWriter, r *http.Request, defaultSpan time.Duration) (since, until time.Time, ok bool) {
	q := r.URL.Query()
	if since, ok = qTime(w, q, "since"); !ok {
		return
	}
	if until, ok = qTime(w, q, "until"); !ok {
		return
	}
	if since.IsZero() {
		since = s.now()
	}
	if until.IsZero() {
		until = since.Add(defaultSpan)
	}
	if until.Before(since) {
		invalid(w, "until must be after since")
		return since, until, false
	}
	return since, until, true
}

// GET /schedules/{id}: since/until (default now and a week later) render
// schedule_layers, overrides_subschedule and final_schedule.
func (s *Server) getSchedule(w http.ResponseWriter, r *http.Request) {
	since, until, ok := s.window(w, r, 7*24*time.Hour)
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
	writeJSON(w, http.StatusOK, map[string]any{"schedule": s.scheduleJSON(sc, true, since, until)})
}

// GET /schedules/{id}/users: users on call in [since, until] (default now).
func (s *Server) listScheduleUsers(w http.ResponseWriter, r *http.Request) {
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
	out := []userJSON{}
	var seen []string
	for _, sg := range overlapping(timeline(sc), since, until, false) {
		if u := s.users[sg.userID]; u != nil && !slices.Contains(seen, u.ID) {
			seen = append(seen, u.ID)
			out = append(out, s.userJSON(u))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}
