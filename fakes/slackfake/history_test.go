package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/slack-go/slack"
)

// unlimited is a fake without the chat.postMessage rate limit.
func unlimited(t *testing.T) (*Server, *slack.Client) {
	f := newFake(t, Options{PostRate: -1})
	return f, apiFor(f)
}

func post(t *testing.T, api *slack.Client, ch, text string, opts ...slack.MsgOption) string {
	t.Helper()
	_, ts, err := api.PostMessage(ch, append([]slack.MsgOption{slack.MsgOptionText(text, false)}, opts...)...)
	if err != nil {
		t.Fatalf("PostMessage %q: %v", text, err)
	}
	return ts
}

func history(t *testing.T, api *slack.Client, p slack.GetConversationHistoryParameters) *slack.GetConversationHistoryResponse {
	t.Helper()
	if p.ChannelID == "" {
		p.ChannelID = "C1"
	}
	resp, err := api.GetConversationHistoryContext(ctx5(t), &p)
	if err != nil {
		t.Fatalf("history %+v: %v", p, err)
	}
	return resp
}

func texts(msgs []slack.Message) []string {
	out := []string{}
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

func wantTexts(t *testing.T, got []slack.Message, want ...string) {
	t.Helper()
	if g := texts(got); fmt.Sprint(g) != fmt.Sprint(want) {
		t.Fatalf("messages %q, want %q", g, want)
	}
}

// rawForm posts a form-encoded Web API call and decodes the answer.
func rawForm(t *testing.T, f *Server, method string, form url.Values) map[string]any {
	t.Helper()
	form.Set("token", f.BotToken())
	resp, err := http.PostForm(f.URL()+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMetadataRoundTrip(t *testing.T) {
	f, api := unlimited(t)
	md := slack.SlackMetadata{EventType: "toban_rota", EventPayload: map[string]any{"rota": "ops", "n": 3}}
	ts := post(t, api, "C1", "with metadata", slack.MsgOptionMetadata(md))
	post(t, api, "C1", "plain")

	h := history(t, api, slack.GetConversationHistoryParameters{IncludeAllMetadata: true})
	wantTexts(t, h.Messages, "plain", "with metadata")
	got := h.Messages[1].Metadata
	if got.EventType != "toban_rota" || got.EventPayload["rota"] != "ops" || got.EventPayload["n"] != 3.0 {
		t.Fatalf("metadata %+v", got)
	}
	if h.Messages[0].Metadata.EventType != "" {
		t.Fatalf("plain message has metadata %+v", h.Messages[0].Metadata)
	}
	if m := f.Messages("C1")[0]; string(m.Metadata) != `{"event_type":"toban_rota","event_payload":{"n":3,"rota":"ops"}}` {
		t.Fatalf("Message.Metadata %s", m.Metadata)
	}

	// chat.update without metadata keeps it; with metadata replaces it.
	if _, _, _, err := api.UpdateMessage("C1", ts, slack.MsgOptionText("edited", false)); err != nil {
		t.Fatal(err)
	}
	h = history(t, api, slack.GetConversationHistoryParameters{IncludeAllMetadata: true})
	if m := h.Messages[1]; m.Text != "edited" || m.Metadata.EventType != "toban_rota" {
		t.Fatalf("after update %q %+v", m.Text, m.Metadata)
	}
	md2 := slack.SlackMetadata{EventType: "toban_done", EventPayload: map[string]any{"ok": true}}
	if _, _, _, err := api.UpdateMessage("C1", ts, slack.MsgOptionText("done", false), slack.MsgOptionMetadata(md2)); err != nil {
		t.Fatal(err)
	}
	h = history(t, api, slack.GetConversationHistoryParameters{IncludeAllMetadata: true})
	if m := h.Messages[1].Metadata; m.EventType != "toban_done" || m.EventPayload["ok"] != true {
		t.Fatalf("replaced metadata %+v", m)
	}

	// {} removes it, as chat.update documents; garbage is rejected.
	if out := rawForm(t, f, "chat.update", url.Values{"channel": {"C1"}, "ts": {ts}, "metadata": {"{}"}}); out["ok"] != true {
		t.Fatalf("update {}: %v", out)
	}
	if m := f.Messages("C1")[0]; m.Metadata != nil || m.Text != "done" {
		t.Fatalf("after {}: %q %s", m.Text, m.Metadata)
	}
	for _, bad := range []string{"nope", `{"event_payload":{}}`, `{"event_type":"x","event_payload":[1]}`} {
		out := rawForm(t, f, "chat.postMessage", url.Values{"channel": {"C1"}, "text": {"x"}, "metadata": {bad}})
		if out["error"] != "invalid_metadata_format" {
			t.Fatalf("metadata %s: %v", bad, out)
		}
	}
}

func TestHistoryWithoutMetadata(t *testing.T) {
	f, api := unlimited(t)
	post(t, api, "C1", "m", slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "e", EventPayload: map[string]any{"k": "v"}}))

	h := history(t, api, slack.GetConversationHistoryParameters{})
	if len(h.Messages) != 1 || h.Messages[0].Metadata.EventType != "" || h.Messages[0].Metadata.EventPayload != nil {
		t.Fatalf("messages %+v", h.Messages)
	}
	out := rawForm(t, f, "conversations.history", url.Values{"channel": {"C1"}, "include_all_metadata": {"0"}})
	msg := out["messages"].([]any)[0].(map[string]any)
	if _, has := msg["metadata"]; has || msg["type"] != "message" || msg["bot_id"] != BotID || msg["user"] != f.BotUserID() {
		t.Fatalf("wire message %v", msg)
	}
	out = rawForm(t, f, "conversations.history", url.Values{"channel": {"C1"}, "include_all_metadata": {"true"}})
	if md := out["messages"].([]any)[0].(map[string]any)["metadata"]; md == nil {
		t.Fatalf("include_all_metadata=true: %v", out)
	}
}

func TestHistoryRange(t *testing.T) {
	_, api := unlimited(t)
	var ts []string
	for i := range 5 {
		ts = append(ts, post(t, api, "C1", fmt.Sprint("m", i)))
	}
	// Left out of history: thread replies, ephemerals, deleted messages,
	// other channels.
	post(t, api, "C1", "reply", slack.MsgOptionTS(ts[1]))
	if _, err := api.PostEphemeral("C1", "U1", slack.MsgOptionText("eph", false)); err != nil {
		t.Fatal(err)
	}
	doomed := post(t, api, "C1", "doomed")
	if _, _, err := api.DeleteMessage("C1", doomed); err != nil {
		t.Fatal(err)
	}
	post(t, api, "C2", "elsewhere")

	h := history(t, api, slack.GetConversationHistoryParameters{})
	wantTexts(t, h.Messages, "m4", "m3", "m2", "m1", "m0")
	if h.HasMore || h.ResponseMetaData.NextCursor != "" {
		t.Fatalf("has_more %v cursor %q", h.HasMore, h.ResponseMetaData.NextCursor)
	}
	if p := h.Messages[3]; p.ThreadTimestamp != ts[1] || p.ReplyCount != 1 || p.LatestReply == "" {
		t.Fatalf("thread parent %+v", p)
	}

	wantTexts(t, history(t, api, slack.GetConversationHistoryParameters{Oldest: ts[1], Latest: ts[3]}).Messages, "m2")
	wantTexts(t, history(t, api, slack.GetConversationHistoryParameters{Oldest: ts[1], Latest: ts[3], Inclusive: true}).Messages, "m3", "m2", "m1")
	wantTexts(t, history(t, api, slack.GetConversationHistoryParameters{Oldest: ts[2]}).Messages, "m4", "m3")
	wantTexts(t, history(t, api, slack.GetConversationHistoryParameters{Latest: ts[2], Inclusive: true}).Messages, "m2", "m1", "m0")
	wantTexts(t, history(t, api, slack.GetConversationHistoryParameters{Oldest: "1"}).Messages, "m4", "m3", "m2", "m1", "m0")
	wantTexts(t, history(t, api, slack.GetConversationHistoryParameters{ChannelID: "C9"}).Messages)

	for p, code := range map[*slack.GetConversationHistoryParameters]string{
		{ChannelID: "C1", Oldest: "yesterday"}: "invalid_ts_oldest",
		{ChannelID: "C1", Latest: "1.2.3"}:     "invalid_ts_latest",
		{ChannelID: "C1", Cursor: "zzz"}:       "invalid_cursor",
	} {
		_, err := api.GetConversationHistoryContext(ctx5(t), p)
		slackErr(t, err, code)
	}
}

func TestHistoryPagination(t *testing.T) {
	_, api := unlimited(t)
	for i := range 5 {
		post(t, api, "C1", fmt.Sprint("m", i))
	}
	var pages [][]string
	cursor := ""
	for range 10 {
		h := history(t, api, slack.GetConversationHistoryParameters{Limit: 2, Cursor: cursor})
		pages = append(pages, texts(h.Messages))
		cursor = h.ResponseMetaData.NextCursor
		if h.HasMore != (cursor != "") {
			t.Fatalf("has_more %v with cursor %q", h.HasMore, cursor)
		}
		if !h.HasMore {
			break
		}
	}
	if fmt.Sprint(pages) != "[[m4 m3] [m2 m1] [m0]]" {
		t.Fatalf("pages %q", pages)
	}
}

func TestHistoryLimitClamp(t *testing.T) {
	f, api := unlimited(t)
	f.mu.Lock()
	c := f.channelLocked("C1", true)
	for i := range 1000 {
		f.addMessageLocked(c, Message{Text: fmt.Sprint(i)})
	}
	f.mu.Unlock()

	h := history(t, api, slack.GetConversationHistoryParameters{Limit: 5000})
	if len(h.Messages) != 999 || !h.HasMore || h.Messages[0].Text != "999" {
		t.Fatalf("%d messages, has_more %v", len(h.Messages), h.HasMore)
	}
	if h = history(t, api, slack.GetConversationHistoryParameters{}); len(h.Messages) != 100 || !h.HasMore {
		t.Fatalf("default limit: %d messages, has_more %v", len(h.Messages), h.HasMore)
	}
}

func TestHistoryStrictChannels(t *testing.T) {
	f := newFake(t, Options{StrictChannels: true, PostRate: -1})
	api := apiFor(f)
	_, err := api.GetConversationHistoryContext(ctx5(t), &slack.GetConversationHistoryParameters{ChannelID: "C404"})
	slackErr(t, err, "channel_not_found")

	f.AddChannel("C1", "ops") // the bot is not asked to be a member
	wantTexts(t, history(t, api, slack.GetConversationHistoryParameters{}).Messages)
}

func TestFailAfterPost(t *testing.T) {
	f, api := unlimited(t)
	f.FailAfterPost("chat.postMessage", 1)

	_, _, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("lost ts", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusInternalServerError {
		t.Fatalf("error = %v (%T), want StatusCodeError 500", err, err)
	}
	h := history(t, api, slack.GetConversationHistoryParameters{})
	wantTexts(t, h.Messages, "lost ts")
	if h.Messages[0].Timestamp == "" {
		t.Fatal("no ts in history")
	}

	// Failing calls do not use the rule up; afterwards posts answer again.
	f.FailAfterPost("chat.postMessage", 1)
	_, _, err = api.PostMessage("C1")
	slackErr(t, err, "no_text")
	if _, _, err = api.PostMessage("C1", slack.MsgOptionText("second", false)); err == nil {
		t.Fatal("second post answered")
	}
	post(t, api, "C1", "third")
	wantTexts(t, history(t, api, slack.GetConversationHistoryParameters{}).Messages, "third", "second", "lost ts")

	calls := f.Calls("chat.postMessage")
	if len(calls) != 4 || calls[0].Status != 500 || calls[0].Error != "" || calls[1].Error != "no_text" || calls[3].Status != 200 {
		t.Fatalf("calls %+v", calls)
	}
}
