package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Call is one recorded Web API request.
type Call struct {
	Method string          // e.g. "chat.postMessage"
	Form   url.Values      // form-encoded requests (and the query string)
	JSON   json.RawMessage // JSON requests
	// At is when the request arrived, before the fake read and checked
	// it: a latency measured to At is the caller's alone.
	At     time.Time
	Status int    // HTTP status answered
	Error  string // the Slack error answered, "" on success
}

// apiState is the Web API part of Server, guarded by Server.mu.
type apiState struct {
	calls       []Call
	callIdx     map[string][]int // method → indexes into calls
	failNext    map[string]*failRule
	failAfter   map[string]int // method → successful calls left to break
	buckets     map[string]*bucket
	rateLimited int
}

type failRule struct {
	err string
	n   int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// apiReq is a decoded Web API request.
type apiReq struct {
	form   url.Values
	json   map[string]json.RawMessage
	raw    []byte
	bearer string
	// blockKit is the Block Kit refusal of the message or view the
	// request carries (nil when it passes or carries none).
	blockKit error
}

// str returns a string argument from the form or the JSON body.
func (r *apiReq) str(key string) string {
	if v, ok := r.form[key]; ok && len(v) > 0 {
		return v[0]
	}
	raw, ok := r.json[key]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.Trim(string(raw), `"`)
}

// rawJSON returns a JSON argument: a JSON string in a form field, or a
// JSON value in a JSON body. ok is false when absent.
func (r *apiReq) rawJSON(key string) (json.RawMessage, bool) {
	if v, ok := r.form[key]; ok && len(v) > 0 {
		return json.RawMessage(v[0]), true
	}
	raw, ok := r.json[key]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil { // some clients send JSON-in-a-string
		return json.RawMessage(s), true
	}
	return raw, true
}

// reply is a Web API answer.
type reply struct {
	status     int
	body       []byte
	err        string
	retryAfter string
}

// ok encodes {"ok":true, …fields}.
func ok(fields map[string]any) reply {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	b, err := json.Marshal(fields)
	if err != nil {
		return fail("internal_error")
	}
	return reply{status: http.StatusOK, body: b}
}

// fail encodes {"ok":false,"error":code} with HTTP 200, as Slack does.
func fail(code string) reply {
	b, _ := json.Marshal(map[string]any{"ok": false, "error": code})
	return reply{status: http.StatusOK, body: b, err: code}
}

type handler func(*Server, *apiReq) reply

// methods maps Web API methods to handlers, which run with s.mu held.
var methods map[string]handler

func init() {
	methods = map[string]handler{
		"apps.connections.open":        (*Server).appsConnectionsOpen,
		"auth.test":                    (*Server).authTest,
		"users.info":                   (*Server).usersInfo,
		"users.lookupByEmail":          (*Server).usersLookupByEmail,
		"conversations.info":           (*Server).conversationsInfo,
		"conversations.history":        (*Server).conversationsHistory,
		"conversations.list":           (*Server).conversationsList,
		"chat.postMessage":             (*Server).chatPostMessage,
		"chat.update":                  (*Server).chatUpdate,
		"chat.delete":                  (*Server).chatDelete,
		"chat.postEphemeral":           (*Server).chatPostEphemeral,
		"chat.getPermalink":            (*Server).chatGetPermalink,
		"views.open":                   (*Server).viewsOpen,
		"views.push":                   (*Server).viewsPush,
		"views.update":                 (*Server).viewsUpdate,
		"views.publish":                (*Server).viewsPublish,
		"files.getUploadURLExternal":   (*Server).filesGetUploadURLExternal,
		"files.completeUploadExternal": (*Server).filesCompleteUploadExternal,
	}
}

func (s *Server) initAPI() {
	s.callIdx = map[string][]int{}
	s.failNext = map[string]*failRule{}
	s.failAfter = map[string]int{}
	s.buckets = map[string]*bucket{}
}

// serveAPI answers POST/GET /api/<method>.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	req, err := decodeAPIRequest(r)
	if err == nil {
		req.blockKit = checkBlockKit(method, req)
	}
	now := time.Now()
	call := Call{Method: method, Form: req.form, At: arrived}
	if len(req.json) > 0 || isJSON(r) {
		call.JSON = req.raw
	}

	s.mu.Lock()
	var rep reply
	if err != nil {
		rep = fail("invalid_form_data")
	} else {
		rep = s.dispatchLocked(method, req, now)
	}
	if rep.status == http.StatusOK && rep.err == "" && s.failAfter[method] > 0 {
		s.failAfter[method]-- // applied, but the answer is lost
		rep = reply{status: http.StatusInternalServerError}
	}
	call.Status, call.Error = rep.status, rep.err
	s.callIdx[method] = append(s.callIdx[method], len(s.calls))
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()

	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	if rep.body != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

func (s *Server) dispatchLocked(method string, req *apiReq, now time.Time) reply {
	h, found := methods[method]
	if !found {
		return fail("unknown_method")
	}
	want := s.opts.BotToken
	if method == "apps.connections.open" {
		want = s.opts.AppToken
	}
	token := req.bearer
	if token == "" {
		token = req.str("token")
	}
	switch {
	case token == "":
		return fail("not_authed")
	case token != want:
		return fail("invalid_auth")
	}
	if method != "apps.connections.open" {
		if rep, missing := s.missingScopeLocked(method); missing {
			return rep
		}
	}
	if f := s.failNext[method]; f != nil && f.n > 0 {
		f.n--
		return fail(f.err)
	}
	if method == "chat.postMessage" {
		if wait, allowed := s.takeTokenLocked(req.str("channel"), now); !allowed {
			s.rateLimited++
			rep := reply{status: http.StatusTooManyRequests, err: "ratelimited"}
			rep.body, _ = json.Marshal(map[string]any{"ok": false, "error": "ratelimited"})
			rep.retryAfter = fmt.Sprint(int(math.Max(1, math.Ceil(wait.Seconds()))))
			return rep
		}
	}
	return h(s, req)
}

// takeTokenLocked applies the per-channel chat.postMessage token bucket.
func (s *Server) takeTokenLocked(ch string, now time.Time) (time.Duration, bool) {
	rate, burst := s.opts.PostRate, float64(s.opts.PostBurst)
	if rate < 0 {
		return 0, true
	}
	b := s.buckets[ch]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		s.buckets[ch] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second)), false
}

func isJSON(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json"
}

func decodeAPIRequest(r *http.Request) (*apiReq, error) {
	req := &apiReq{form: url.Values{}}
	if b, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
		req.bearer = strings.TrimSpace(b)
	}
	if isJSON(r) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			return req, err
		}
		req.raw = body
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, &req.json); err != nil {
				return req, err
			}
		}
		req.form = r.URL.Query()
		return req, nil
	}
	if err := r.ParseForm(); err != nil {
		return req, err
	}
	req.form = r.Form
	return req, nil
}

// FailNext makes the next n calls of method answer
// {"ok":false,"error":slackError} (after the auth check).
func (s *Server) FailNext(method, slackError string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[method] = &failRule{err: slackError, n: n}
}

// FailAfterPost makes the next n successful calls of method (e.g.
// "chat.postMessage") take effect as usual (the message is stored and
// shows in history) but answer HTTP 500 with an empty body, like a
// connection that broke after Slack acted: the client gets an error and
// never learns the ts. Calls that fail anyway (auth, FailNext, rate limit,
// bad arguments) change nothing and do not count. They are recorded with
// Status 500 and an empty Error.
func (s *Server) FailAfterPost(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAfter[method] = max(n, 0)
}

// Calls returns the recorded calls of method, or all calls for "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method)
}

func (s *Server) callsLocked(method string) []Call {
	if method == "" {
		return slices.Clone(s.calls)
	}
	idx := s.callIdx[method]
	out := make([]Call, len(idx))
	for i, j := range idx {
		out[i] = s.calls[j]
	}
	return out
}

// WaitCalls waits until at least n calls of method ("" = any) were made
// and returns them all.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	var out []Call
	err := s.waitFor(ctx, func() bool {
		got := len(s.calls)
		if method != "" {
			got = len(s.callIdx[method])
		}
		if got < n {
			return false
		}
		out = s.callsLocked(method)
		return true
	})
	if err != nil {
		return s.Calls(method), fmt.Errorf("slackfake: waiting for %d %q calls: %w", n, method, err)
	}
	return out, nil
}

// RateLimited is how many requests were answered with HTTP 429.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

func (s *Server) authTest(*apiReq) reply {
	return ok(map[string]any{
		"url": WorkspaceURL, "team": TeamName, "user": "toban",
		"team_id": TeamID, "user_id": s.opts.BotUserID, "bot_id": BotID, "is_enterprise_install": false,
	})
}

func (s *Server) userJSONLocked(u User) map[string]any {
	return map[string]any{
		"id": u.ID, "team_id": TeamID, "name": u.Name, "deleted": false, "real_name": u.RealName,
		"tz": u.TZ, "tz_label": u.TZ, "tz_offset": 0, "is_bot": u.IsBot, "updated": 1700000000,
		"profile": map[string]any{
			"email": u.Email, "real_name": u.RealName, "real_name_normalized": u.RealName,
			"display_name": u.Name, "display_name_normalized": u.Name, "team": TeamID,
		},
	}
}

func (s *Server) usersInfo(req *apiReq) reply {
	u, found := s.users[req.str("user")]
	if !found {
		return fail("user_not_found")
	}
	return ok(map[string]any{"user": s.userJSONLocked(u)})
}

func (s *Server) usersLookupByEmail(req *apiReq) reply {
	email := req.str("email")
	for _, id := range s.userOrder {
		if u := s.users[id]; email != "" && strings.EqualFold(u.Email, email) {
			return ok(map[string]any{"user": s.userJSONLocked(u)})
		}
	}
	return fail("users_not_found")
}

func (s *Server) conversationsInfo(req *apiReq) reply {
	c, found := s.lookupChannelLocked(req.str("channel"))
	if !found {
		return fail("channel_not_found")
	}
	return ok(map[string]any{"channel": s.channelJSONLocked(c)})
}
