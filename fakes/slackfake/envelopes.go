package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// maxRetries is how often Slack redelivers an unacked events_api envelope.
const maxRetries = 3

// Ack is an acknowledgement read from the websocket.
type Ack struct {
	EnvelopeID string
	// Payload is the ack's "payload", nil when the ack carried none.
	Payload  json.RawMessage
	Received time.Time
	// Latency is the time since the envelope was written (0 for an ack of
	// an unknown envelope).
	Latency time.Duration
}

// Envelope is a record of one Socket Mode envelope the fake sent or queued.
type Envelope struct {
	ID, Type               string
	EventID                string // events_api only
	RetryAttempt           int
	RetryReason            string
	AcceptsResponsePayload bool
	Payload                json.RawMessage
	Sent                   time.Time // zero while queued
	// Conn numbers the websocket it was written on (1 for the first that
	// got a hello), 0 while queued.
	Conn  int
	Acked bool
	// Lost is set when the envelope was written but its socket closed
	// before the ack (slash commands and interactions are then gone, as in
	// Slack), or when an event ran out of retries.
	Lost bool
}

// envelopeState is the envelope part of Server, guarded by Server.mu.
type envelopeState struct {
	envs       map[string]*envelope
	envOrder   []*envelope
	deliveries map[string]int // event_id → envelopes written
	acks       []Ack
	ackFirst   map[string]int // envelope_id → index of its first ack
	ackCount   map[string]int
	badFrames  int
	loseAcks   map[string]int // envelope type → acks still to lose
	lostAcks   int
	refusals   []Refusal
}

// envelope is the live state of one envelope.
type envelope struct {
	seq                     int64
	id, typ, eventID, itype string
	payload, frame          json.RawMessage
	retry                   int
	reason                  string
	accepts                 bool
	sentAt                  time.Time
	written, acked, lost    bool
	superseded              bool // a redelivery replaced it
	avoid                   int  // socket a redelivery should not go to again
	conn                    *conn
	timer                   *time.Timer
	user, channel, viewID   string // who/where, to apply response payloads
}

func (s *Server) initEnvelopes() {
	s.envs = map[string]*envelope{}
	s.deliveries = map[string]int{}
	s.ackFirst = map[string]int{}
	s.ackCount = map[string]int{}
	s.loseAcks = map[string]int{}
}

// newEnvelopeLocked creates and queues an envelope.
func (s *Server) newEnvelopeLocked(typ string, payload []byte, accepts bool, retry int, reason, eventID string) *envelope {
	n := s.nextLocked()
	e := &envelope{
		seq: n, id: fmt.Sprintf("%08x-fa4e-4000-8000-%012x", n, n),
		typ: typ, payload: payload, accepts: accepts, retry: retry, reason: reason, eventID: eventID,
	}
	e.frame = frameOf(e)
	s.envs[e.id] = e
	s.envOrder = append(s.envOrder, e)
	s.enqueueLocked(outItem{env: e})
	s.notifyLocked()
	return e
}

// frameOf encodes e as Slack writes it on the socket.
func frameOf(e *envelope) json.RawMessage {
	frame, _ := json.Marshal(struct {
		EnvelopeID string          `json:"envelope_id"`
		Type       string          `json:"type"`
		Accepts    bool            `json:"accepts_response_payload"`
		Retry      int             `json:"retry_attempt"`
		Reason     string          `json:"retry_reason"`
		Payload    json.RawMessage `json:"payload"`
	}{e.id, e.typ, e.accepts, e.retry, e.reason, e.payload})
	return frame
}

// SendSlashCommand sends a slash_commands envelope and returns its
// envelope_id. Empty fields get defaults: Command "/toban", TeamID "T1", a
// fresh TriggerID and a ResponseURL served by the fake.
func (s *Server) SendSlashCommand(cmd slack.SlashCommand) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cmd.Command == "" {
		cmd.Command = "/toban"
	}
	if cmd.TeamID == "" {
		cmd.TeamID = TeamID
	}
	if cmd.TeamDomain == "" {
		cmd.TeamDomain = TeamDomain
	}
	if cmd.Token == "" {
		cmd.Token = VerificationToken
	}
	if cmd.APIAppID == "" {
		cmd.APIAppID = AppID
	}
	if cmd.UserName == "" && cmd.UserID != "" {
		cmd.UserName = s.userNameLocked(cmd.UserID)
	}
	if cmd.ChannelName == "" && cmd.ChannelID != "" {
		cmd.ChannelName = s.channelNameLocked(cmd.ChannelID)
	}
	if cmd.TriggerID == "" {
		cmd.TriggerID = s.issueTriggerLocked(cmd.UserID)
	} else {
		s.registerTriggerLocked(cmd.TriggerID, cmd.UserID)
	}
	rc := responseCtx{user: cmd.UserID, channel: cmd.ChannelID}
	if cmd.ResponseURL == "" {
		cmd.ResponseURL = s.newResponseURLLocked(rc)
	} else {
		s.registerResponseURLLocked(cmd.ResponseURL, rc)
	}
	payload, _ := json.Marshal(cmd)
	e := s.newEnvelopeLocked("slash_commands", payload, true, 0, "", "")
	e.user, e.channel = cmd.UserID, cmd.ChannelID
	return e.id
}

// SendInteraction sends an interactive envelope whose payload is the JSON
// of cb (a slack.InteractionCallback, a map, or any JSON-able value) and
// returns its envelope_id. accepts_response_payload is true for
// view_submission and block_suggestion. A trigger_id or response_url in
// the payload becomes valid at the fake. It panics if cb cannot be encoded.
func (s *Server) SendInteraction(cb any) string {
	if v, ok := cb.(slack.InteractionCallback); ok {
		cb = &v // its MarshalJSON has a pointer receiver
	}
	payload, err := json.Marshal(cb)
	if err != nil {
		panic(fmt.Sprintf("slackfake: SendInteraction: %v", err))
	}
	var head struct {
		Type        string `json:"type"`
		TriggerID   string `json:"trigger_id"`
		ResponseURL string `json:"response_url"`
		User        struct {
			ID string `json:"id"`
		} `json:"user"`
		Channel struct {
			ID string `json:"id"`
		} `json:"channel"`
		Container struct {
			ChannelID   string `json:"channel_id"`
			MessageTS   string `json:"message_ts"`
			IsEphemeral bool   `json:"is_ephemeral"`
		} `json:"container"`
		View struct {
			ID string `json:"id"`
		} `json:"view"`
	}
	_ = json.Unmarshal(payload, &head)
	ch := head.Channel.ID
	if ch == "" {
		ch = head.Container.ChannelID
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.registerTriggerLocked(head.TriggerID, head.User.ID)
	s.registerResponseURLLocked(head.ResponseURL, responseCtx{
		user: head.User.ID, channel: ch, msgTS: head.Container.MessageTS, ephemeral: head.Container.IsEphemeral,
	})
	accepts := head.Type == string(slack.InteractionTypeViewSubmission) ||
		head.Type == string(slack.InteractionTypeBlockSuggestion)
	e := s.newEnvelopeLocked("interactive", payload, accepts, 0, "", "")
	e.itype, e.user, e.channel, e.viewID = head.Type, head.User.ID, ch, head.View.ID
	return e.id
}

// SendEvent sends an events_api envelope wrapping inner in an
// event_callback and returns its envelope_id. An empty eventID gets a
// fresh one. Unacked, it is redelivered (see Options.RedeliverAfter).
func (s *Server) SendEvent(eventID string, inner any) string {
	innerJSON, err := json.Marshal(inner)
	if err != nil {
		panic(fmt.Sprintf("slackfake: SendEvent: %v", err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if eventID == "" {
		eventID = fmt.Sprintf("Ev%010d", s.nextLocked())
	}
	payload, _ := json.Marshal(map[string]any{
		"token":      VerificationToken,
		"team_id":    TeamID,
		"api_app_id": AppID,
		"type":       "event_callback",
		"event_id":   eventID,
		"event_time": time.Now().Unix(),
		"event":      json.RawMessage(innerJSON),
		"authorizations": []map[string]any{{
			"team_id": TeamID, "user_id": s.opts.BotUserID, "is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
	})
	return s.newEnvelopeLocked("events_api", payload, false, 0, "", eventID).id
}

// markWrittenLocked records that e went out on c.
func (s *Server) markWrittenLocked(c *conn, e *envelope, now time.Time) {
	e.written, e.sentAt, e.conn = true, now, c
	e.frame = nil // written frames are never rewritten; retries get new ones
	if e.eventID != "" {
		s.deliveries[e.eventID]++
	}
	s.notifyLocked()
	if e.acked {
		return // the ack overtook the end of the write
	}
	if c.closed {
		s.connLostLocked(e)
		return
	}
	c.inflight[e.id] = e
	if (e.typ == "events_api" || s.multi()) && s.opts.RedeliverAfter > 0 && !s.closed {
		e.timer = time.AfterFunc(s.opts.RedeliverAfter, func() { s.redeliverTimeout(e) })
	}
}

// redeliverTimeout runs when e stayed unacked for RedeliverAfter.
func (s *Server) redeliverTimeout(e *envelope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || e.acked || e.superseded {
		return
	}
	if e.conn != nil {
		delete(e.conn.inflight, e.id)
	}
	if s.multi() {
		// Several sockets: the same envelope again, on another socket.
		if e.retry >= maxRetries {
			e.superseded, e.lost = true, true
			s.notifyLocked()
			return
		}
		s.redeliverSameLocked(e)
		return
	}
	s.redeliverLocked(e)
}

// connLostLocked settles e, written on a socket that closed before its ack.
func (s *Server) connLostLocked(e *envelope) {
	if e.timer != nil {
		e.timer.Stop()
	}
	if e.acked || e.superseded {
		return
	}
	if e.typ == "events_api" {
		s.redeliverLocked(e)
		return
	}
	e.lost = true
	s.notifyLocked()
}

// redeliverLocked queues a retry of an events_api envelope.
func (s *Server) redeliverLocked(e *envelope) {
	e.superseded = true
	if e.retry >= maxRetries {
		e.lost = true
		s.notifyLocked()
		return
	}
	s.newEnvelopeLocked(e.typ, e.payload, e.accepts, e.retry+1, "timeout", e.eventID)
}

func (s *Server) stopTimersLocked() {
	for _, e := range s.envOrder {
		if e.timer != nil {
			e.timer.Stop()
		}
	}
}

// recordAck stores an ack read from the socket and applies its payload.
func (s *Server) recordAck(id string, payload json.RawMessage, now time.Time) {
	if strings.TrimSpace(string(payload)) == "null" {
		payload = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := Ack{EnvelopeID: id, Payload: payload, Received: now}
	if e := s.envs[id]; e != nil && !e.acked && s.loseAcks[e.typ] > 0 {
		s.loseAcks[e.typ]--
		s.lostAcks++
		s.redeliverSameLocked(e)
		return
	}
	if e := s.envs[id]; e != nil {
		if !e.sentAt.IsZero() {
			a.Latency = now.Sub(e.sentAt)
		}
		if !e.acked {
			e.acked = true
			if e.timer != nil {
				e.timer.Stop()
			}
			if e.conn != nil {
				delete(e.conn.inflight, id)
			}
			s.applyAckLocked(e, payload)
		}
	}
	if _, seen := s.ackFirst[id]; !seen {
		s.ackFirst[id] = len(s.acks)
	}
	s.acks = append(s.acks, a)
	s.ackCount[id]++
	s.notifyLocked()
}

// applyAckLocked does what Slack does with a response payload.
func (s *Server) applyAckLocked(e *envelope, payload json.RawMessage) {
	if len(payload) == 0 {
		return
	}
	switch {
	case e.typ == "slash_commands":
		var m msgBody
		if json.Unmarshal(payload, &m) == nil && m.hasContent() {
			if _, refused := s.refuseLocked("ack.slash_commands", m.check()); !refused {
				// The answer travels back to the test in the Ack it
				// waited for, so it counts as shown (see Unseen).
				if r := s.postResponseLocked(responseCtx{user: e.user, channel: e.channel}, m); r != nil {
					r.seen = true
				}
			}
		}
	case e.itype == string(slack.InteractionTypeViewSubmission):
		s.applyViewResponseLocked(e.user, e.viewID, payload)
	}
}

// Acks returns every ack received, in order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.acks)
	for i := range out {
		out[i].Payload = clone(out[i].Payload)
	}
	return out
}

// WaitAck waits for the first ack of that envelope.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	var a Ack
	err := s.waitFor(ctx, func() bool {
		i, ok := s.ackFirst[envelopeID]
		if ok {
			a = s.acks[i]
			a.Payload = clone(a.Payload)
		}
		return ok
	})
	if err != nil {
		return Ack{}, fmt.Errorf("slackfake: no ack for envelope %s: %w", envelopeID, err)
	}
	return a, nil
}

// AckCount is how many acks that envelope got.
func (s *Server) AckCount(envelopeID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ackCount[envelopeID]
}

// Deliveries is how many envelopes carrying that event_id were written
// (the original plus redeliveries).
func (s *Server) Deliveries(eventID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deliveries[eventID]
}

// BadFrames is how many frames from the client were not acks.
func (s *Server) BadFrames() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.badFrames
}

// Envelopes returns a record of every envelope, in creation order.
func (s *Server) Envelopes() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Envelope, 0, len(s.envOrder))
	for _, e := range s.envOrder {
		out = append(out, Envelope{
			ID: e.id, Type: e.typ, EventID: e.eventID, RetryAttempt: e.retry, RetryReason: e.reason,
			AcceptsResponsePayload: e.accepts, Payload: clone(e.payload), Sent: e.sentAt,
			Acked: e.acked, Lost: e.lost,
		})
		if e.conn != nil {
			out[len(out)-1].Conn = e.conn.id
		}
	}
	return out
}

// sortedEnvelopes returns the map's envelopes in creation order.
func sortedEnvelopes(m map[string]*envelope) []*envelope {
	out := make([]*envelope, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *envelope) int { return int(a.seq - b.seq) })
	return out
}
