package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/fakes/slackfake"
)

// ackWait bounds how long a page action waits for the bot's ack. Slack
// gives up after 3 s; the fake records a late ack, so wait a little more
// and let the page say what happened.
const ackWait = 5 * time.Second

// client is what Slack's own client does on a person's behalf: it turns
// a click, a typed command or a submitted form into the Socket Mode
// envelope Slack would send, through the fake, and waits for the bot's
// ack. It also remembers which modals the person closed, which only the
// client knows.
type client struct {
	s   *slackfake.Server
	now func() time.Time

	mu     sync.Mutex
	seq    int
	closed map[string]bool // view IDs closed by a submission or the ✕
}

func newClient(s *slackfake.Server, now func() time.Time) *client {
	return &client{s: s, now: now, closed: map[string]bool{}}
}

// next returns a number unique to this client, for trigger IDs and
// response URLs.
func (c *client) next() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return c.seq
}

// triggerID makes a trigger_id in Slack's shape; the fake accepts it
// once, within 3 s, as Slack does.
func (c *client) triggerID() string {
	n := c.next()
	return fmt.Sprintf("%d.%d.demo%08x", c.now().UnixMilli(), 1, n)
}

// responseURL makes a response_url on the fake's host; the fake serves
// it once the envelope carrying it is sent.
func (c *client) responseURL() string {
	return strings.TrimSuffix(c.s.URL(), "api/") + fmt.Sprintf("response/demo%d", c.next())
}

func (c *client) wait(ctx context.Context, envelopeID string) (slackfake.Ack, error) {
	ctx, cancel := context.WithTimeout(ctx, ackWait)
	defer cancel()
	a, err := c.s.WaitAck(ctx, envelopeID)
	if err != nil {
		return slackfake.Ack{}, fmt.Errorf("toban did not answer within %v", ackWait)
	}
	return a, nil
}

// slash types "/toban text" in channel as user.
func (c *client) slash(ctx context.Context, user, channel, text string) (slackfake.Ack, error) {
	id := c.s.SendSlashCommand(slack.SlashCommand{
		Command: "/toban", Text: text, UserID: user, ChannelID: channel,
		TriggerID: c.triggerID(), ResponseURL: c.responseURL(),
	})
	return c.wait(ctx, id)
}

func (c *client) userObj(user string) map[string]any {
	name := user
	if p, ok := personBySlack(user); ok {
		name = p.Handle
	}
	return map[string]any{"id": user, "username": name, "name": name, "team_id": slackfake.TeamID}
}

func (c *client) team() map[string]any {
	return map[string]any{"id": slackfake.TeamID, "domain": slackfake.TeamDomain}
}

// actionReq is one interaction with a block element, as the page reports
// it: where (a message, or a view) and the element's action object.
type actionReq struct {
	User      string `json:"user"`
	Channel   string `json:"channel"`
	TS        string `json:"ts"`
	Ephemeral bool   `json:"ephemeral"`
	ViewID    string `json:"view_id"`
	// Values is the view's state as the page holds it (block_id →
	// action_id → element state), sent along as Slack does.
	Values map[string]map[string]any `json:"values"`
	Action map[string]any            `json:"action"`
}

// elementTypes are the interactive elements the page can act on.
var elementTypes = map[string]bool{
	"button": true, "overflow": true, "static_select": true, "external_select": true,
	"users_select": true, "conversations_select": true, "channels_select": true,
	"multi_static_select": true, "multi_external_select": true, "multi_users_select": true,
	"multi_conversations_select": true, "multi_channels_select": true,
	"datepicker": true, "timepicker": true, "checkboxes": true, "radio_buttons": true, "plain_text_input": true,
}

var errBadRequest = errors.New("bad request")

// act sends the block_actions payload for a click or a choice.
func (c *client) act(ctx context.Context, r actionReq) (slackfake.Ack, error) {
	typ, _ := r.Action["type"].(string)
	aid, _ := r.Action["action_id"].(string)
	bid, _ := r.Action["block_id"].(string)
	if !elementTypes[typ] || aid == "" || bid == "" {
		return slackfake.Ack{}, fmt.Errorf("%w: an action needs a known type, an action_id and a block_id", errBadRequest)
	}
	action := map[string]any{}
	for k, v := range r.Action {
		action[k] = v
	}
	now := c.now()
	action["action_ts"] = fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
	payload := map[string]any{
		"type": "block_actions", "user": c.userObj(r.User), "api_app_id": slackfake.AppID,
		"token": slackfake.VerificationToken, "team": c.team(), "trigger_id": c.triggerID(),
		"enterprise": nil, "is_enterprise_install": false, "actions": []any{action},
	}
	switch {
	case r.ViewID != "":
		view, ok := c.viewObj(r.ViewID)
		if !ok {
			return slackfake.Ack{}, fmt.Errorf("%w: no view %s", errBadRequest, r.ViewID)
		}
		view["state"] = map[string]any{"values": nonNil(r.Values)}
		payload["view"] = view
		payload["container"] = map[string]any{"type": "view", "view_id": r.ViewID}
	case r.Channel != "" && r.TS != "":
		msg, ok := c.message(r.User, r.Channel, r.TS, r.Ephemeral)
		if !ok {
			return slackfake.Ack{}, fmt.Errorf("%w: no message %s in %s", errBadRequest, r.TS, r.Channel)
		}
		container := map[string]any{"type": "message", "message_ts": r.TS, "channel_id": r.Channel, "is_ephemeral": r.Ephemeral}
		if msg.ThreadTS != "" {
			container["thread_ts"] = msg.ThreadTS
		}
		payload["container"] = container
		payload["channel"] = map[string]any{"id": r.Channel, "name": channelName(r.Channel)}
		payload["response_url"] = c.responseURL()
		payload["state"] = map[string]any{"values": nonNil(r.Values)}
		if !r.Ephemeral { // Slack leaves the message out for ephemerals
			payload["message"] = wireMessage(msg)
		}
	default:
		return slackfake.Ack{}, fmt.Errorf("%w: an action needs a message (channel and ts) or a view_id", errBadRequest)
	}
	return c.wait(ctx, c.s.SendInteraction(payload))
}

// suggest sends a block_suggestion (type-ahead of an external select) and
// returns the bot's options.
func (c *client) suggest(ctx context.Context, user, viewID, blockID, actionID, value string) (slackfake.Ack, error) {
	view, ok := c.viewObj(viewID)
	if !ok {
		return slackfake.Ack{}, fmt.Errorf("%w: no view %s", errBadRequest, viewID)
	}
	payload := map[string]any{
		"type": "block_suggestion", "user": c.userObj(user), "api_app_id": slackfake.AppID,
		"token": slackfake.VerificationToken, "team": c.team(), "view": view,
		"container": map[string]any{"type": "view", "view_id": viewID},
		"action_id": actionID, "block_id": blockID, "value": value,
	}
	return c.wait(ctx, c.s.SendInteraction(payload))
}

// submit sends a view_submission with the form's values. An ack without a
// response_action closes the view, "clear" closes the whole stack.
func (c *client) submit(ctx context.Context, user, viewID string, values map[string]map[string]any) (slackfake.Ack, error) {
	view, ok := c.viewObj(viewID)
	if !ok {
		return slackfake.Ack{}, fmt.Errorf("%w: no view %s", errBadRequest, viewID)
	}
	view["state"] = map[string]any{"values": nonNil(values)}
	payload := map[string]any{
		"type": "view_submission", "team": c.team(), "user": c.userObj(user), "api_app_id": slackfake.AppID,
		"token": slackfake.VerificationToken, "trigger_id": c.triggerID(), "view": view, "response_urls": []any{},
		"is_enterprise_install": false, "enterprise": nil,
	}
	ack, err := c.wait(ctx, c.s.SendInteraction(payload))
	if err != nil {
		return ack, err
	}
	var resp struct {
		Action string `json:"response_action"`
	}
	_ = json.Unmarshal(ack.Payload, &resp)
	switch resp.Action {
	case "":
		c.markClosed(viewID)
	case "clear":
		for _, v := range c.modalIDs(user) {
			c.markClosed(v)
		}
	}
	return ack, nil
}

// closeView is the ✕ of a modal: Slack tells the app only when the view
// asked for it with notify_on_close.
func (c *client) closeView(ctx context.Context, user, viewID string) error {
	view, ok := c.viewObj(viewID)
	if !ok {
		return fmt.Errorf("%w: no view %s", errBadRequest, viewID)
	}
	c.markClosed(viewID)
	if notify, _ := view["notify_on_close"].(bool); !notify {
		return nil
	}
	payload := map[string]any{
		"type": "view_closed", "team": c.team(), "user": c.userObj(user), "api_app_id": slackfake.AppID,
		"token": slackfake.VerificationToken, "view": view, "is_cleared": false,
	}
	_, err := c.wait(ctx, c.s.SendInteraction(payload))
	return err
}

// openHome sends app_home_opened, as Slack does when the App Home tab is
// shown.
func (c *client) openHome(ctx context.Context, user string) (slackfake.Ack, error) {
	id := c.s.SendEvent("", map[string]any{"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"})
	return c.wait(ctx, id)
}

func (c *client) markClosed(viewID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed[viewID] = true
}

// modalIDs is the user's open modal stack, bottom first, read from the
// fake's log of view changes.
func (c *client) modalIDs(user string) []string {
	var stack []string
	for _, v := range c.s.Views() {
		if v.UserID != user {
			continue
		}
		switch v.Method {
		case "views.open":
			stack = []string{v.ID}
		case "views.push", "response_action.push":
			stack = append(stack, v.ID)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.DeleteFunc(stack, func(id string) bool { return c.closed[id] })
}

// views returns the current object of each view by ID.
func (c *client) views() map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for _, v := range c.s.Views() {
		out[v.ID] = v.View
	}
	return out
}

// modals returns the user's open modals, bottom first.
func (c *client) modals(user string) []json.RawMessage {
	all := c.views()
	out := []json.RawMessage{}
	for _, id := range c.modalIDs(user) {
		out = append(out, all[id])
	}
	return out
}

// home returns the user's App Home view, nil before toban published one.
func (c *client) home(user string) json.RawMessage {
	id := ""
	for _, v := range c.s.Views() {
		if v.UserID == user && v.Method == "views.publish" {
			id = v.ID
		}
	}
	if id == "" {
		return nil
	}
	return c.views()[id]
}

func (c *client) viewObj(id string) (map[string]any, bool) {
	raw, ok := c.views()[id]
	if !ok {
		return nil, false
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return nil, false
	}
	return obj, true
}

func (c *client) message(user, channel, ts string, ephemeral bool) (slackfake.Message, bool) {
	list := c.s.Messages(channel)
	if ephemeral {
		list = c.s.Ephemerals(user)
	}
	for _, m := range list {
		if m.TS == ts {
			return m, true
		}
	}
	return slackfake.Message{}, false
}

// wireMessage is the message object Slack puts in a block_actions payload.
func wireMessage(m slackfake.Message) map[string]any {
	w := map[string]any{
		"type": "message", "user": m.User, "text": m.Text, "ts": m.TS, "team": slackfake.TeamID,
		"bot_id": slackfake.BotID, "app_id": slackfake.AppID,
	}
	if m.ThreadTS != "" {
		w["thread_ts"] = m.ThreadTS
	}
	if len(m.Blocks) > 0 {
		w["blocks"] = m.Blocks
	}
	return w
}

func channelName(id string) string {
	switch id {
	case ChannelOps:
		return "ops"
	case ChannelAlerts:
		return "alerts"
	}
	return id
}

func nonNil(v map[string]map[string]any) map[string]map[string]any {
	if v == nil {
		return map[string]map[string]any{}
	}
	return v
}
