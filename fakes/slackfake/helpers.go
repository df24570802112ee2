package slackfake

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// DefaultChannel is the channel a Person talks in unless told otherwise.
const DefaultChannel = "C1"

// ChannelView is a test's view of one channel.
type ChannelView struct {
	s  *Server
	t  testing.TB
	id string
}

// Channel returns a view of channel id whose helpers fail t.
func (s *Server) Channel(t testing.TB, id string) *ChannelView {
	return &ChannelView{s: s, t: t, id: id}
}

// Messages returns the channel's messages (see Server.Messages).
func (c *ChannelView) Messages() []Message { return c.s.Messages(c.id) }

// ExpectMessage waits until a message in the channel (top level or in a
// thread) has text or block text containing contains, and returns the
// newest such message. It fails the test after Options.HelperTimeout.
func (c *ChannelView) ExpectMessage(contains string) *Card {
	c.t.Helper()
	return c.expect(contains, func(Message) bool { return true })
}

// ExpectNoMessage fails the test if a message containing contains is in
// the channel now.
func (c *ChannelView) ExpectNoMessage(contains string) {
	c.t.Helper()
	for _, m := range c.Messages() {
		if strings.Contains(flattenText(m), contains) {
			c.t.Fatalf("slackfake: channel %s has a message containing %q:\n%s", c.id, contains, flattenText(m))
		}
	}
}

func (c *ChannelView) expect(contains string, match func(Message) bool) *Card {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.s.opts.HelperTimeout)
	defer cancel()
	var found Message
	err := c.s.waitFor(ctx, func() bool {
		msgs := c.s.messagesLocked(c.id)
		for i := len(msgs) - 1; i >= 0; i-- {
			if match(msgs[i]) && strings.Contains(flattenText(msgs[i]), contains) {
				found = msgs[i]
				c.s.markSeenLocked(found)
				return true
			}
		}
		return false
	})
	if err != nil {
		c.t.Fatalf("slackfake: no message in %s containing %q (%v); it has:\n%s",
			c.id, contains, err, describe(c.Messages()))
	}
	return &Card{s: c.s, t: c.t, msg: found}
}

func describe(msgs []Message) string {
	if len(msgs) == 0 {
		return "  (nothing)"
	}
	var b strings.Builder
	for _, m := range msgs {
		thread := ""
		if m.ThreadTS != "" {
			thread = " in thread " + m.ThreadTS
		}
		fmt.Fprintf(&b, "  [%s%s] %s\n", m.TS, thread, strings.ReplaceAll(flattenText(m), "\n", " | "))
	}
	return b.String()
}

// Card is a handle on one message, as a person sees it.
type Card struct {
	s       *Server
	t       testing.TB
	msg     Message
	deleted bool
}

// Message returns the content as last read.
func (c *Card) Message() Message { return c.msg }

// TS is the message's timestamp.
func (c *Card) TS() string { return c.msg.TS }

// Deleted reports whether the last Refresh found the message deleted.
func (c *Card) Deleted() bool { return c.deleted }

// Refresh re-reads the message's current content.
func (c *Card) Refresh() *Card {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.refreshLocked()
	return c
}

// current re-reads the message and returns a copy of it, so that several
// goroutines may act on one Card (a double click) without racing on it.
func (c *Card) current() Message {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.refreshLocked()
	return c.msg
}

func (c *Card) refreshLocked() {
	var r *msgRec
	if c.msg.Ephemeral {
		r = c.s.ephByTS[c.msg.TS]
	} else if ch := c.s.channels[c.msg.Channel]; ch != nil {
		r = ch.byTS[c.msg.TS]
	}
	if r == nil || r.deleted {
		c.deleted = true
		return
	}
	c.msg, c.deleted = r.copy(), false
}

// Text is the message text followed by all text in its blocks.
func (c *Card) Text() string { return flattenText(c.msg) }

// buttonLabels are the labels of the buttons in m's blocks.
func buttonLabels(m Message) []string {
	var out []string
	for _, b := range findButtons(m.Blocks) {
		out = append(out, b.label)
	}
	return out
}

// Buttons returns the labels of the buttons in the message's blocks.
func (c *Card) Buttons() []string {
	var out []string
	for _, b := range findButtons(c.msg.Blocks) {
		out = append(out, b.label)
	}
	return out
}

// ExpectText waits until the message's current content contains
// contains (after chat.update, say) and returns the refreshed card.
func (c *Card) ExpectText(contains string) *Card {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.s.opts.HelperTimeout)
	defer cancel()
	err := c.s.waitFor(ctx, func() bool {
		c.refreshLocked()
		return !c.deleted && strings.Contains(flattenText(c.msg), contains)
	})
	if err != nil {
		c.t.Fatalf("slackfake: message %s never contained %q (%v); deleted=%v, it reads:\n%s",
			c.msg.TS, contains, err, c.deleted, c.Text())
	}
	return c
}

// ExpectReply waits for a reply in this message's thread containing
// contains.
func (c *Card) ExpectReply(contains string) *Card {
	c.t.Helper()
	cv := &ChannelView{s: c.s, t: c.t, id: c.msg.Channel}
	return cv.expect(contains, func(m Message) bool { return m.ThreadTS == c.msg.TS && m.TS != c.msg.TS })
}

// Replies returns the replies in this message's thread, oldest first,
// and counts them as seen (see Unseen).
func (c *Card) Replies() []Message {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	var out []Message
	if ch := c.s.channels[c.msg.Channel]; ch != nil {
		for _, m := range ch.msgs {
			if !m.deleted && m.ThreadTS == c.msg.TS && m.TS != c.msg.TS {
				m.seen = true
				out = append(out, m.copy())
			}
		}
	}
	return out
}

// ClickAs clicks the button labelled label as person p: it sends the
// block_actions payload Slack would send and waits for the ack.
func (c *Card) ClickAs(t testing.TB, p *Person, label string) Ack {
	t.Helper()
	msg := c.current()
	var btn *button
	btns := findButtons(msg.Blocks)
	for i := range btns {
		if btns[i].label == label {
			btn = &btns[i]
			break
		}
	}
	if btn == nil {
		t.Fatalf("slackfake: message %s has no button %q; buttons: %q", msg.TS, label, buttonLabels(msg))
	}
	action := map[string]any{
		"action_id": btn.actionID, "block_id": btn.blockID, "value": btn.value, "type": "button",
		"text": map[string]any{"type": "plain_text", "text": btn.label, "emoji": true},
	}
	return c.s.waitAckT(t, c.s.SendInteraction(c.s.messageAction(p, msg, action, map[string]any{})))
}

// messageAction is the block_actions payload Slack sends when p acts on
// an element of msg: action is the element's part (action_ts is added)
// and state the message's input state.
func (s *Server) messageAction(p *Person, msg Message, action, state map[string]any) map[string]any {
	s.mu.Lock()
	trig := s.issueTriggerLocked(p.ID)
	rurl := s.newResponseURLLocked(responseCtx{
		user: p.ID, channel: msg.Channel, msgTS: msg.TS, ephemeral: msg.Ephemeral,
	})
	user := s.userObjLocked(p.ID)
	chName := s.channelNameLocked(msg.Channel)
	action["action_ts"] = s.actionTSLocked()
	s.mu.Unlock()

	container := map[string]any{
		"type": "message", "message_ts": msg.TS, "channel_id": msg.Channel, "is_ephemeral": msg.Ephemeral,
	}
	if msg.ThreadTS != "" {
		container["thread_ts"] = msg.ThreadTS
	}
	payload := map[string]any{
		"type": "block_actions", "user": user, "api_app_id": AppID, "token": VerificationToken,
		"container": container, "trigger_id": trig,
		"team":       map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise": nil, "is_enterprise_install": false,
		"channel":      map[string]any{"id": msg.Channel, "name": chName},
		"state":        map[string]any{"values": state},
		"response_url": rurl,
		"actions":      []map[string]any{action},
	}
	if !msg.Ephemeral { // Slack leaves the message out for ephemerals
		payload["message"] = msg.wire()
	}
	return payload
}

// actionTSLocked is a new action_ts: Slack's is unique per action, so two
// clicks in the same microsecond (goroutines clicking at once) still get
// two.
func (s *Server) actionTSLocked() string {
	micros := time.Now().UnixMicro()
	if micros <= s.lastActionMicros {
		micros = s.lastActionMicros + 1
	}
	s.lastActionMicros = micros
	return fmt.Sprintf("%d.%06d", micros/1e6, micros%1e6)
}

func (s *Server) userObjLocked(id string) map[string]any {
	name := s.userNameLocked(id)
	return map[string]any{"id": id, "username": name, "name": name, "team_id": TeamID}
}

// waitAckT waits for the envelope's ack or fails t.
func (s *Server) waitAckT(t testing.TB, envelopeID string) Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.HelperTimeout)
	defer cancel()
	a, err := s.WaitAck(ctx, envelopeID)
	if err != nil {
		t.Fatalf("slackfake: the bot did not ack envelope %s within %v: %v (connected=%v)",
			envelopeID, s.opts.HelperTimeout, err, s.Connected())
	}
	return a
}

// Person acts as a Slack user.
type Person struct {
	s  *Server
	ID string
	// InChannel is where the person types; default DefaultChannel.
	InChannel string
}

// User returns a Person acting as user id in DefaultChannel.
func (s *Server) User(id string) *Person {
	return &Person{s: s, ID: id, InChannel: DefaultChannel}
}

// In returns a copy of p that talks in channel.
func (p *Person) In(channel string) *Person {
	cp := *p
	cp.InChannel = channel
	return &cp
}

// Slash types "/toban <text>" in p.InChannel and waits for the bot's ack.
func (p *Person) Slash(t testing.TB, text string) Ack {
	t.Helper()
	id := p.s.SendSlashCommand(slack.SlashCommand{UserID: p.ID, ChannelID: p.InChannel, Text: text})
	return p.s.waitAckT(t, id)
}

// Ephemerals returns the ephemeral messages p sees.
func (p *Person) Ephemerals() []Message { return p.s.Ephemerals(p.ID) }

// ExpectEphemeral waits until p sees an ephemeral message containing
// contains, and returns the newest one.
func (p *Person) ExpectEphemeral(t testing.TB, contains string) *Card {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), p.s.opts.HelperTimeout)
	defer cancel()
	var found Message
	err := p.s.waitFor(ctx, func() bool {
		msgs := p.s.ephemeralsLocked(p.ID)
		for i := len(msgs) - 1; i >= 0; i-- {
			if strings.Contains(flattenText(msgs[i]), contains) {
				found = msgs[i]
				p.s.markSeenLocked(found)
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("slackfake: %s saw no ephemeral containing %q (%v); they saw:\n%s",
			p.ID, contains, err, describe(p.Ephemerals()))
	}
	return &Card{s: p.s, t: t, msg: found}
}

// Submit submits the modal viewID ("" = the user's latest modal) as user
// with the given state values (block_id → action_id → value; a string
// value becomes {"type":"plain_text_input","value":…}), and waits for the
// ack. The payload is the view_submission Slack would send.
func (s *Server) Submit(t testing.TB, user, viewID string, values map[string]map[string]any) Ack {
	t.Helper()
	state := map[string]any{}
	for block, actions := range values {
		m := map[string]any{}
		for action, v := range actions {
			if str, ok := v.(string); ok {
				v = map[string]any{"type": "plain_text_input", "value": str}
			}
			m[action] = v
		}
		state[block] = m
	}
	return s.submitState(t, user, viewID, state)
}

// submitState sends the view_submission of viewID ("" = user's latest
// modal) with state as its state values, and waits for the ack.
func (s *Server) submitState(t testing.TB, user, viewID string, state map[string]any) Ack {
	t.Helper()
	s.mu.Lock()
	if viewID == "" {
		viewID = s.topModal[user]
	}
	obj, found := s.viewObjLocked(viewID)
	if !found {
		s.mu.Unlock()
		t.Fatalf("slackfake: Submit: no view %q for user %s", viewID, user)
		return Ack{}
	}
	obj["state"] = map[string]any{"values": state}
	payload := map[string]any{
		"type": "view_submission", "team": map[string]any{"id": TeamID, "domain": TeamDomain},
		"user": s.userObjLocked(user), "api_app_id": AppID, "token": VerificationToken,
		"trigger_id": s.issueTriggerLocked(user), "view": obj, "response_urls": []any{},
		"is_enterprise_install": false, "enterprise": nil,
	}
	s.mu.Unlock()
	return s.waitAckT(t, s.SendInteraction(payload))
}
