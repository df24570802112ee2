package slackfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tobanbot/toban/internal/blockkit"
)

// Message is a message as Slack holds it, with its current content.
type Message struct {
	Channel, TS, ThreadTS, User, Text string
	Blocks                            json.RawMessage
	Attachments                       json.RawMessage
	Files                             []string // ids of files shared with it
	Updated                           int      // times chat.update'd or replaced
	Ephemeral                         bool
	ToUser                            string // the only user who sees an ephemeral
	// Metadata is the message metadata as posted with chat.postMessage or
	// chat.update ({"event_type":…,"event_payload":{…}}), nil when none.
	Metadata json.RawMessage
}

// ResponsePost is one POST to a response_url.
type ResponsePost struct {
	ID   string
	Body json.RawMessage
}

// msgRec is a stored message.
type msgRec struct {
	Message
	deleted bool
	// seen is set once a helper has shown the message to the test (see
	// Unseen).
	seen bool
}

// chatState is the message part of Server, guarded by Server.mu.
type chatState struct {
	ephemerals    []*msgRec
	ephByTS       map[string]*msgRec
	responses     map[string]*responseCtx
	responsePosts []ResponsePost
}

// responseCtx is where a response_url's answers go.
type responseCtx struct {
	user, channel string
	msgTS         string // the message an interaction came from
	ephemeral     bool   // that message is an ephemeral
}

// msgBody is a message in a response_url post or a slash command ack.
type msgBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	Attachments     json.RawMessage `json:"attachments"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// check holds a response_url post or slash command ack to Block Kit's
// limits; a delete_original carries no message to check.
func (m msgBody) check() error {
	if m.DeleteOriginal {
		return nil
	}
	return blockkit.CheckMessage(m.Text, m.Blocks, m.Attachments)
}

func (m msgBody) hasContent() bool {
	return m.Text != "" || nonEmptyJSON(m.Blocks) || nonEmptyJSON(m.Attachments)
}

func nonEmptyJSON(raw json.RawMessage) bool {
	t := string(bytes.TrimSpace(raw))
	return t != "" && t != "null" && t != "[]" && t != "{}"
}

func (s *Server) initChat() {
	s.ephByTS = map[string]*msgRec{}
	s.responses = map[string]*responseCtx{}
}

// Messages returns the channel's top-level and thread messages with their
// current content, in post order. Ephemerals and deleted messages are left
// out.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[channel]; c != nil {
		for _, m := range c.msgs {
			m.seen = true
		}
	}
	return s.messagesLocked(channel)
}

func (s *Server) messagesLocked(channel string) []Message {
	c := s.channels[channel]
	if c == nil {
		return nil
	}
	out := make([]Message, 0, len(c.msgs))
	for _, m := range c.msgs {
		if !m.deleted {
			out = append(out, m.copy())
		}
	}
	return out
}

// Ephemerals returns the ephemeral messages shown to user, in post order.
func (s *Server) Ephemerals(user string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.ephemerals {
		if m.ToUser == user {
			m.seen = true
		}
	}
	return s.ephemeralsLocked(user)
}

func (s *Server) ephemeralsLocked(user string) []Message {
	var out []Message
	for _, m := range s.ephemerals {
		if !m.deleted && m.ToUser == user {
			out = append(out, m.copy())
		}
	}
	return out
}

// ResponsePosts returns every POST to a response_url, in order.
func (s *Server) ResponsePosts() []ResponsePost {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.responsePosts)
	for i := range out {
		out[i].Body = clone(out[i].Body)
	}
	return out
}

func (m *msgRec) copy() Message {
	c := m.Message
	c.Blocks, c.Attachments, c.Files = clone(c.Blocks), clone(c.Attachments), slices.Clone(c.Files)
	c.Metadata = clone(c.Metadata)
	return c
}

// wire is the message object Slack returns and puts in payloads. Every
// message in the fake is the bot's.
func (m *Message) wire() map[string]any {
	w := map[string]any{
		"type": "message", "user": m.User, "text": m.Text, "ts": m.TS, "team": TeamID,
		"bot_id": BotID, "app_id": AppID,
	}
	if m.ThreadTS != "" {
		w["thread_ts"] = m.ThreadTS
	}
	if nonEmptyJSON(m.Blocks) {
		w["blocks"] = m.Blocks
	}
	if nonEmptyJSON(m.Attachments) {
		w["attachments"] = m.Attachments
	}
	if m.Updated > 0 {
		w["edited"] = map[string]any{"user": m.User, "ts": m.TS}
	}
	if len(m.Files) > 0 {
		files := make([]map[string]any, len(m.Files))
		for i, id := range m.Files {
			files[i] = map[string]any{"id": id}
		}
		w["files"] = files
	}
	return w
}

// addMessageLocked stores a new channel message from the bot.
func (s *Server) addMessageLocked(c *channel, m Message) *msgRec {
	m.Channel, m.TS = c.id, s.tsLocked()
	if m.User == "" {
		m.User = s.opts.BotUserID
	}
	r := &msgRec{Message: m}
	c.msgs = append(c.msgs, r)
	c.byTS[m.TS] = r
	return r
}

// addEphemeralLocked stores an ephemeral message for user.
func (s *Server) addEphemeralLocked(channel, user string, m Message) *msgRec {
	m.Channel, m.TS, m.Ephemeral, m.ToUser = channel, s.tsLocked(), true, user
	m.User = s.opts.BotUserID
	r := &msgRec{Message: m}
	s.ephemerals = append(s.ephemerals, r)
	s.ephByTS[m.TS] = r
	return r
}

// messageArgs reads text, blocks, attachments and metadata; errCode is set
// when the message is unusable. An empty metadata object leaves
// m.Metadata nil (chat.update reads it as "remove the metadata").
func messageArgs(req *apiReq) (m Message, errCode string) {
	m.Text = req.str("text")
	m.ThreadTS = req.str("thread_ts")
	var hasB, hasA bool
	m.Blocks, hasB = req.rawJSON("blocks")
	m.Attachments, hasA = req.rawJSON("attachments")
	if hasB && !isJSONArray(m.Blocks) {
		return m, "invalid_blocks"
	}
	if hasA && !isJSONArray(m.Attachments) {
		return m, "invalid_attachments"
	}
	if raw, has := metadataArg(req); has {
		var code string
		if m.Metadata, code = parseMetadata(raw); code != "" {
			return m, code
		}
	}
	return m, ""
}

func isJSONArray(raw json.RawMessage) bool {
	var v []json.RawMessage
	return json.Unmarshal(raw, &v) == nil
}

func (s *Server) chatPostMessage(req *apiReq) reply {
	c, found := s.lookupChannelLocked(req.str("channel"))
	if !found {
		return fail("channel_not_found")
	}
	if c.archived {
		return fail("is_archived")
	}
	m, code := messageArgs(req)
	if code != "" {
		return fail(code)
	}
	if m.Text == "" && !nonEmptyJSON(m.Blocks) && !nonEmptyJSON(m.Attachments) {
		return fail("no_text")
	}
	if rep, refused := s.refuseLocked("chat.postMessage", req.blockKit); refused {
		return rep
	}
	r := s.addMessageLocked(c, m)
	return ok(map[string]any{"channel": c.id, "ts": r.TS, "message": r.wire()})
}

func (s *Server) chatUpdate(req *apiReq) reply {
	c, found := s.lookupChannelLocked(req.str("channel"))
	if !found {
		return fail("channel_not_found")
	}
	r := c.byTS[req.str("ts")]
	if r == nil || r.deleted {
		return fail("message_not_found")
	}
	if r.User != s.opts.BotUserID {
		return fail("cant_update_message")
	}
	m, code := messageArgs(req)
	if code != "" {
		return fail(code)
	}
	if rep, refused := s.refuseLocked("chat.update", req.blockKit); refused {
		return rep
	}
	if _, has := req.form["text"]; has || req.json["text"] != nil {
		r.Text = m.Text
	}
	if _, has := req.rawJSON("blocks"); has {
		r.Blocks = m.Blocks
	}
	if _, has := req.rawJSON("attachments"); has {
		r.Attachments = m.Attachments
	}
	if _, has := metadataArg(req); has { // absent keeps it, {} removes it
		r.Metadata = m.Metadata
	}
	r.Updated++
	return ok(map[string]any{"channel": c.id, "ts": r.TS, "text": r.Text, "message": r.wire()})
}

func (s *Server) chatDelete(req *apiReq) reply {
	c, found := s.lookupChannelLocked(req.str("channel"))
	if !found {
		return fail("channel_not_found")
	}
	r := c.byTS[req.str("ts")]
	if r == nil || r.deleted {
		return fail("message_not_found")
	}
	r.deleted = true
	return ok(map[string]any{"channel": c.id, "ts": r.TS})
}

func (s *Server) chatPostEphemeral(req *apiReq) reply {
	c, found := s.lookupChannelLocked(req.str("channel"))
	if !found {
		return fail("channel_not_found")
	}
	user := req.str("user")
	if user == "" {
		return fail("user_not_found")
	}
	m, code := messageArgs(req)
	if code != "" {
		return fail(code)
	}
	if m.Text == "" && !nonEmptyJSON(m.Blocks) && !nonEmptyJSON(m.Attachments) {
		return fail("no_text")
	}
	if rep, refused := s.refuseLocked("chat.postEphemeral", req.blockKit); refused {
		return rep
	}
	r := s.addEphemeralLocked(c.id, user, m)
	return ok(map[string]any{"message_ts": r.TS})
}

func (s *Server) chatGetPermalink(req *apiReq) reply {
	c, found := s.lookupChannelLocked(req.str("channel"))
	if !found {
		return fail("channel_not_found")
	}
	ts := req.str("message_ts")
	if r := c.byTS[ts]; r == nil || r.deleted {
		return fail("message_not_found")
	}
	return ok(map[string]any{
		"channel":   c.id,
		"permalink": WorkspaceURL + "archives/" + c.id + "/p" + strings.ReplaceAll(ts, ".", ""),
	})
}

// newResponseURLLocked issues a response_url served by the fake.
func (s *Server) newResponseURLLocked(rc responseCtx) string {
	id := strconv.FormatInt(s.nextLocked(), 10)
	s.responses[id] = &rc
	return s.baseURL() + "/response/" + id
}

// registerResponseURLLocked accepts a caller-made response_url on the
// fake's host.
func (s *Server) registerResponseURLLocked(u string, rc responseCtx) {
	id, found := strings.CutPrefix(u, s.baseURL()+"/response/")
	if !found || id == "" {
		return
	}
	if _, known := s.responses[id]; !known {
		s.responses[id] = &rc
	}
}

// serveResponseURL answers POST /response/<id>.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "invalid_request", http.StatusBadRequest)
		return
	}
	var m msgBody
	jsonErr := json.Unmarshal(body, &m)

	s.mu.Lock()
	rc := s.responses[id]
	var refused reply
	if rc != nil {
		s.responsePosts = append(s.responsePosts, ResponsePost{ID: id, Body: body})
		if jsonErr == nil {
			if refused, _ = s.refuseLocked("response_url", m.check()); refused.err == "" {
				s.postResponseLocked(*rc, m)
			}
		}
		s.notifyLocked()
	}
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	switch {
	case rc == nil:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "expired_url")
	case jsonErr != nil:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "invalid_payload")
	case refused.err != "":
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, refused.err)
	default:
		_, _ = io.WriteString(w, "ok")
	}
}

// postResponseLocked applies a response_url post or a slash command ack
// payload the way Slack does.
func (s *Server) postResponseLocked(rc responseCtx, m msgBody) *msgRec {
	if rc.msgTS != "" && (m.DeleteOriginal || m.ReplaceOriginal) {
		var orig *msgRec
		if rc.ephemeral {
			orig = s.ephByTS[rc.msgTS]
		} else if c := s.channels[rc.channel]; c != nil {
			orig = c.byTS[rc.msgTS]
		}
		if orig == nil {
			return nil
		}
		if m.DeleteOriginal {
			orig.deleted = true
			return nil
		}
		orig.Text, orig.Blocks, orig.Attachments = m.Text, m.Blocks, m.Attachments
		orig.Updated++
		return nil
	}
	msg := Message{Text: m.Text, Blocks: m.Blocks, Attachments: m.Attachments, ThreadTS: m.ThreadTS}
	if m.ResponseType == "in_channel" {
		return s.addMessageLocked(s.channelLocked(rc.channel, true), msg)
	}
	return s.addEphemeralLocked(rc.channel, rc.user, msg)
}
