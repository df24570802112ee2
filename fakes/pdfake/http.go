package pdfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PagerDuty REST error codes the fake answers with.
const (
	codeInvalidInput = 2001 // "Invalid Input Provided"
	codeArguments    = 2002 // "Arguments Caused Error"
	codeAuth         = 2006
	codeFromMissing  = 2016
	codeRateLimit    = 2020
	codeNotFound     = 2100
	codeUserNotFound = 1008 // "Requester User Not Found"
	codeMWPast       = 5003
)

const eventsPath = "/v2/enqueue"

// routes registers every endpoint the fake implements.
func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /users", s.listUsers)
	m.HandleFunc("GET /users/{id}", s.getUser)
	m.HandleFunc("GET /services", s.listServices)
	m.HandleFunc("GET /services/{id}", s.getService)
	m.HandleFunc("GET /escalation_policies", s.listEPs)
	m.HandleFunc("GET /escalation_policies/{id}", s.getEP)
	m.HandleFunc("GET /schedules", s.listSchedules)
	m.HandleFunc("GET /schedules/{id}", s.getSchedule)
	m.HandleFunc("GET /schedules/{id}/users", s.listScheduleUsers)
	m.HandleFunc("GET /schedules/{id}/overrides", s.listOverrides)
	m.HandleFunc("POST /schedules/{id}/overrides", s.createOverride)
	m.HandleFunc("DELETE /schedules/{id}/overrides/{oid}", s.deleteOverride)
	m.HandleFunc("GET /oncalls", s.listOnCalls)
	m.HandleFunc("GET /incidents", s.listIncidents)
	m.HandleFunc("POST /incidents", s.createIncident)
	m.HandleFunc("PUT /incidents", s.manageIncidents)
	m.HandleFunc("GET /incidents/{id}", s.getIncident)
	m.HandleFunc("PUT /incidents/{id}", s.updateIncident)
	m.HandleFunc("GET /incidents/{id}/notes", s.listNotes)
	m.HandleFunc("POST /incidents/{id}/notes", s.createNote)
	m.HandleFunc("GET /incidents/{id}/log_entries", s.listIncidentLogEntries)
	m.HandleFunc("POST /incidents/{id}/status_updates", s.createStatusUpdate)
	m.HandleFunc("POST /incidents/{id}/responder_requests", s.createResponderRequest)
	m.HandleFunc("POST /incidents/{id}/snooze", s.snoozeIncident)
	m.HandleFunc("GET /priorities", s.listPriorities)
	m.HandleFunc("GET /log_entries", s.listLogEntries)
	m.HandleFunc("GET /log_entries/{id}", s.getLogEntry)
	m.HandleFunc("GET /maintenance_windows", s.listMWs)
	m.HandleFunc("POST /maintenance_windows", s.createMW)
	m.HandleFunc("GET /maintenance_windows/{id}", s.getMW)
	m.HandleFunc("PUT /maintenance_windows/{id}", s.updateMW)
	m.HandleFunc("DELETE /maintenance_windows/{id}", s.deleteMW)
	m.HandleFunc("POST /automation_actions/actions/{id}/invocations", s.createInvocation)
	m.HandleFunc("GET /automation_actions/invocations/{id}", s.getInvocation)
	m.HandleFunc("POST "+eventsPath, s.enqueueEvent)
	return m
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
	body   *bytes.Buffer // a copy of what was written, when checking the contract
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.body != nil {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// serve is the request pipeline: record, delay, injected faults, auth, rate
// limit, then the endpoint (or a JSON 404).
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := s.record(r, body)
	sw := &statusWriter{ResponseWriter: w}
	defer func() { s.setStatus(rec, sw.status) }()

	if !s.wait(r) {
		return // client gave up or server closing: no answer
	}
	events := r.URL.Path == eventsPath
	if status, ok := s.takeFault(r); ok {
		writeFault(sw, status, events)
		return
	}
	s.checkRequest(r, body)
	s.capture(sw)
	defer s.checkResponse(r, body, sw)
	if !events {
		token, ok := parseAuth(r.Header.Get("Authorization"))
		if !ok || token != s.opts.Token {
			writeError(sw, http.StatusUnauthorized, codeAuth, "Unauthorized")
			return
		}
		if !s.allow(sw, token) {
			writeRateLimited(sw)
			return
		}
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		if events {
			writeEventError(sw, http.StatusNotFound, "not found", "Not Found")
			return
		}
		writeError(sw, http.StatusNotFound, codeNotFound, "Not Found")
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// parseAuth extracts the token of "Token token=X" (or OAuth "Bearer X").
func parseAuth(h string) (string, bool) {
	if t, ok := strings.CutPrefix(h, "Token token="); ok {
		return t, t != ""
	}
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return t, t != ""
	}
	return "", false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, 0, "pdfake: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type apiErrorBody struct {
	Message string   `json:"message"`
	Code    int      `json:"code,omitempty"`
	Errors  []string `json:"errors,omitempty"`
}

// writeError answers a REST error: {"error":{"message","code","errors"}}.
func writeError(w http.ResponseWriter, status, code int, message string, errs ...string) {
	writeJSON(w, status, map[string]apiErrorBody{"error": {Message: message, Code: code, Errors: errs}})
}

// invalid answers 400 "Invalid Input Provided" with the given details.
func invalid(w http.ResponseWriter, errs ...string) {
	writeError(w, http.StatusBadRequest, codeInvalidInput, "Invalid Input Provided", errs...)
}

func notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, codeNotFound, "Not Found")
}

// writeEventError answers an Events API v2 error body:
// {"status","message","errors"}.
func writeEventError(w http.ResponseWriter, code int, status, message string, errs ...string) {
	writeJSON(w, code, struct {
		Status  string   `json:"status"`
		Message string   `json:"message"`
		Errors  []string `json:"errors,omitempty"`
	}{status, message, errs})
}

func writeRateLimited(w http.ResponseWriter) {
	writeError(w, http.StatusTooManyRequests, codeRateLimit, "Rate Limit Exceeded")
}

func writeFault(w http.ResponseWriter, status int, events bool) {
	if status == http.StatusTooManyRequests {
		w.Header().Set("ratelimit-limit", "960")
		w.Header().Set("ratelimit-remaining", "0")
		w.Header().Set("ratelimit-reset", "1")
	}
	switch {
	case events && status == http.StatusTooManyRequests:
		writeEventError(w, status, "throttle event", "Requests for this service are arriving too quickly. Please retry later.")
	case events:
		writeEventError(w, status, "error", http.StatusText(status))
	case status == http.StatusTooManyRequests:
		writeRateLimited(w)
	default:
		writeError(w, status, 0, http.StatusText(status))
	}
}

// decodeBody decodes the JSON request body into v, answering 400 on failure.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		invalid(w, "Invalid JSON: "+err.Error())
		return false
	}
	return true
}

// page is a classic-pagination request.
type page struct {
	limit, offset int
	total         bool
}

// parsePage reads limit (default 25, max 100; 0 means default), offset and
// total, answering 400 like PagerDuty on bad values.
func parsePage(w http.ResponseWriter, q url.Values) (page, bool) {
	p := page{limit: 25, total: qGet(q, "total") == "true"}
	if v := qGet(q, "limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			invalid(w, "Limit must be a non-negative integer")
			return p, false
		}
		if n > 0 {
			p.limit = min(n, 100)
		}
	}
	if v := qGet(q, "offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			invalid(w, "Offset must be a non-negative integer")
			return p, false
		}
		p.offset = n
	}
	if p.offset+p.limit > 10000 {
		writeError(w, http.StatusBadRequest, codeArguments, "Arguments Caused Error",
			"Offset+limit exceeds maximum allowed value of 10000.")
		return p, false
	}
	return p, true
}

// writePage answers one page of items under key with limit, offset, more and
// total (null unless total=true was asked).
func writePage[T any](w http.ResponseWriter, key string, items []T, p page) {
	start := min(p.offset, len(items))
	end := min(start+p.limit, len(items))
	var total *int
	if p.total {
		n := len(items)
		total = &n
	}
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		key:      out,
		"limit":  p.limit,
		"offset": p.offset,
		"more":   end < len(items),
		"total":  total,
	})
}

// qGet returns the last value of a scalar parameter: like PagerDuty (Rails),
// a repeated key's last value wins. This matters for go-pagerduty's
// ListServicesPaginated, which appends offset=N after any offset the options
// already carried.
func qGet(q url.Values, key string) string {
	if v := q[key]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

// qList returns the values of an array parameter sent as key[]=a&key[]=b.
func qList(q url.Values, key string) []string { return q[key+"[]"] }

// qTime parses an optional time parameter, answering 400 when malformed.
func qTime(w http.ResponseWriter, q url.Values, key string) (time.Time, bool) {
	v := qGet(q, key)
	if v == "" {
		return time.Time{}, true
	}
	t, err := parseTime(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeInvalidInput, "Invalid Input Provided",
			fmt.Sprintf("Invalid %s parameter: %q", key, v))
		return time.Time{}, false
	}
	return t, true
}

// requesterLocked resolves the From header to a user like PagerDuty does for
// writes that need a requester: 400 when missing or unknown. Callers hold s.mu.
// requesterAndIncidentLocked is the From user and the path's incident of a
// request acting on one incident, or false after answering the error
// PagerDuty answers (From first, then 404).
func (s *Server) requesterAndIncidentLocked(w http.ResponseWriter, r *http.Request) (*User, *incidentState, bool) {
	user, ok := s.requesterLocked(w, r)
	if !ok {
		return nil, nil, false
	}
	st := s.incidentByRefLocked(r.PathValue("id"))
	if st == nil {
		notFound(w)
		return nil, nil, false
	}
	return user, st, true
}

func (s *Server) requesterLocked(w http.ResponseWriter, r *http.Request) (*User, bool) {
	from := strings.TrimSpace(r.Header.Get("From"))
	if from == "" {
		writeError(w, http.StatusBadRequest, codeFromMissing,
			`You must specify a user's email address in the "From" header to perform this action`)
		return nil, false
	}
	for _, u := range s.users {
		if strings.EqualFold(u.Email, from) {
			return u, true
		}
	}
	writeError(w, http.StatusBadRequest, codeUserNotFound, "Requester User Not Found")
	return nil, false
}
