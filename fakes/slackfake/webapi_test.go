package slackfake

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func apiFor(f *Server) *slack.Client {
	return slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
}

func slackErr(t *testing.T, err error, want string) {
	t.Helper()
	var serr slack.SlackErrorResponse
	if !errors.As(err, &serr) || serr.Err != want {
		t.Fatalf("error = %v (%T), want SlackErrorResponse %q", err, err, want)
	}
}

func cardBlocks() slack.MsgOption {
	txt := func(s string) *slack.TextBlockObject { return slack.NewTextBlockObject("plain_text", s, false, false) }
	return slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*Incident 7*: db down", false, false), nil, nil),
		slack.NewActionBlock("inc7",
			slack.NewButtonBlockElement("ack", "7", txt("Ack")),
			slack.NewButtonBlockElement("resolve", "7", txt("Resolve"))),
	)
}

func TestChatMethods(t *testing.T) {
	f := newFake(t, fastOptions())
	api := apiFor(f)

	ch, ts, err := api.PostMessage("C1", slack.MsgOptionText("incident", false), cardBlocks())
	if err != nil || ch != "C1" || !strings.HasPrefix(ts, "17000") {
		t.Fatalf("PostMessage = %q %q %v", ch, ts, err)
	}
	_, reply, err := api.PostMessage("C1", slack.MsgOptionText("in thread", false), slack.MsgOptionTS(ts))
	if err != nil || reply <= ts {
		t.Fatalf("thread reply %q %v", reply, err)
	}
	if _, _, _, err := api.UpdateMessage("C1", ts, slack.MsgOptionText("incident (acked)", false)); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = api.UpdateMessage("C1", "1.000001", slack.MsgOptionText("x", false))
	slackErr(t, err, "message_not_found")
	_, _, err = api.PostMessage("C1")
	slackErr(t, err, "no_text")

	msgs := f.Messages("C1")
	if len(msgs) != 2 || msgs[0].Text != "incident (acked)" || msgs[0].Updated != 1 || msgs[1].ThreadTS != ts {
		t.Fatalf("messages %+v", msgs)
	}
	if !strings.Contains(string(msgs[0].Blocks), `"block_id":"inc7"`) {
		t.Fatalf("blocks kept across update: %s", msgs[0].Blocks)
	}

	ets, err := api.PostEphemeral("C1", "U1", slack.MsgOptionText("only you", false))
	if err != nil || ets == "" {
		t.Fatalf("PostEphemeral %q %v", ets, err)
	}
	if e := f.Ephemerals("U1"); len(e) != 1 || e[0].Text != "only you" || !e[0].Ephemeral {
		t.Fatalf("ephemerals %+v", e)
	}
	if _, _, err := api.DeleteMessage("C1", reply); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Messages("C1")); n != 1 {
		t.Fatalf("%d messages after delete", n)
	}

	calls := f.Calls("chat.postMessage")
	if len(calls) != 3 || calls[0].Form.Get("token") != f.BotToken() || calls[0].Form.Get("blocks") == "" {
		t.Fatalf("calls %+v", calls)
	}
	if len(f.Calls("")) != 7 {
		t.Fatalf("all calls: %d", len(f.Calls("")))
	}
}

func TestDirectoryAndAuth(t *testing.T) {
	f := newFake(t, fastOptions())
	f.AddUser(User{ID: "U1", Name: "alice", RealName: "Alice A", Email: "alice@example.com", TZ: "Europe/Paris"})
	api := apiFor(f)

	at, err := api.AuthTest()
	if err != nil || at.UserID != "UBOT" || at.TeamID != "T1" || at.BotID != "B1" || at.User != "toban" {
		t.Fatalf("AuthTest %+v %v", at, err)
	}
	u, err := api.GetUserInfo("U1")
	if err != nil || u.Name != "alice" || u.RealName != "Alice A" || u.TZ != "Europe/Paris" || u.Profile.Email != "alice@example.com" {
		t.Fatalf("GetUserInfo %+v %v", u, err)
	}
	u, err = api.GetUserByEmail("ALICE@example.com")
	if err != nil || u.ID != "U1" {
		t.Fatalf("GetUserByEmail %+v %v", u, err)
	}
	_, err = api.GetUserInfo("U404")
	slackErr(t, err, "user_not_found")
	_, err = api.GetUserByEmail("nobody@example.com")
	slackErr(t, err, "users_not_found")

	_, err = slack.New("xoxb-wrong", slack.OptionAPIURL(f.URL())).AuthTest()
	slackErr(t, err, "invalid_auth")

	resp, err := http.PostForm(f.URL()+"no.such", url.Values{"token": {f.BotToken()}})
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body["error"] != "unknown_method" {
		t.Fatalf("unknown method: %d %v", resp.StatusCode, body)
	}
}

func TestStrictChannels(t *testing.T) {
	opts := fastOptions()
	opts.StrictChannels = true
	f := newFake(t, opts)
	f.AddChannel("C1", "ops")
	api := apiFor(f)
	_, _, err := api.PostMessage("C404", slack.MsgOptionText("x", false))
	slackErr(t, err, "channel_not_found")
	info, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C1"})
	if err != nil || info.Name != "ops" {
		t.Fatalf("info %+v %v", info, err)
	}
}

func TestFailNextAndRateLimit(t *testing.T) {
	opts := fastOptions()
	opts.PostBurst = 2
	f := newFake(t, opts)
	api := apiFor(f)

	f.FailNext("chat.postMessage", "channel_not_found", 1)
	_, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false))
	slackErr(t, err, "channel_not_found")

	for i := range 2 {
		if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	_, _, err = api.PostMessage("C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("error %v (%T), want RateLimitedError 1s", err, err)
	}
	// Other channels have their own bucket.
	if _, _, err := api.PostMessage("C2", slack.MsgOptionText("x", false)); err != nil {
		t.Fatal(err)
	}
	if f.RateLimited() != 1 {
		t.Fatalf("RateLimited = %d", f.RateLimited())
	}
	calls := f.Calls("chat.postMessage")
	if last := calls[3]; last.Status != 429 || last.Error != "ratelimited" {
		t.Fatalf("429 call %+v", last)
	}
}

func TestViews(t *testing.T) {
	opts := fastOptions()
	f := newFake(t, opts)
	api := apiFor(f)
	modal := slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: "new_incident", PrivateMetadata: "C1",
		Title:  slack.NewTextBlockObject("plain_text", "New incident", false, false),
		Submit: slack.NewTextBlockObject("plain_text", "Open", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("title",
			slack.NewTextBlockObject("plain_text", "Title", false, false), nil,
			slack.NewPlainTextInputBlockElement(nil, "value"))}},
	}
	id := f.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1"})
	var cmd slack.SlashCommand
	for _, e := range f.Envelopes() {
		if e.ID == id {
			_ = json.Unmarshal(e.Payload, &cmd)
		}
	}

	v, err := api.OpenView(cmd.TriggerID, modal)
	if err != nil || !strings.HasPrefix(v.ID, "V") || v.Hash == "" || v.CallbackID != "new_incident" || v.PrivateMetadata != "C1" {
		t.Fatalf("OpenView %+v %v", v, err)
	}
	_, err = api.OpenView(cmd.TriggerID, modal)
	slackErr(t, err, "exchanged_trigger_id")
	_, err = api.OpenView("made-up", modal)
	slackErr(t, err, "invalid_trigger_id")
	if _, err := api.OpenView("test-anything", modal); err != nil {
		t.Fatal(err)
	}

	modal.CallbackID = "step2"
	_, err = api.UpdateView(modal, "", "stale-hash", v.ID)
	slackErr(t, err, "hash_conflict")
	v2, err := api.UpdateView(modal, "", v.Hash, v.ID)
	if err != nil || v2.ID != v.ID || v2.Hash == v.Hash || v2.CallbackID != "step2" {
		t.Fatalf("UpdateView %+v %v", v2, err)
	}
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: modal.Blocks}
	h, err := api.PublishView("U1", home, "")
	if err != nil || h.Type != slack.VTHomeTab {
		t.Fatalf("PublishView %+v %v", h, err)
	}

	last := f.LastView("U1")
	if last.Method != "views.publish" || last.ID != h.ID {
		t.Fatalf("LastView %+v", last)
	}
	views := f.Views()
	if len(views) != 4 || views[0].UserID != "U1" || views[0].TriggerID != cmd.TriggerID || views[0].Method != "views.open" {
		t.Fatalf("views %+v", views)
	}
	if c := f.Calls("views.open"); len(c) != 4 || len(c[0].JSON) == 0 || c[0].Error != "" {
		t.Fatalf("views.open calls %+v", c)
	}
}

func TestTriggerExpires(t *testing.T) {
	opts := fastOptions()
	opts.TriggerTTL = 50 * time.Millisecond
	f := newFake(t, opts)
	f.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1"})
	var cmd slack.SlashCommand
	_ = json.Unmarshal(f.Envelopes()[0].Payload, &cmd)
	time.Sleep(100 * time.Millisecond)
	_, err := apiFor(f).OpenView(cmd.TriggerID, slack.ModalViewRequest{Type: slack.VTModal,
		Title: slack.NewTextBlockObject("plain_text", "Late", false, false), Blocks: textBlocks("late")})
	slackErr(t, err, "expired_trigger_id")
}

func TestUploadFile(t *testing.T) {
	f := newFake(t, fastOptions())
	api := apiFor(f)
	content := "line 1\nline 2\n"
	sum, err := api.UploadFileContext(ctx5(t), slack.UploadFileParameters{
		Filename: "timeline.txt", Title: "Timeline", FileSize: len(content),
		Reader: strings.NewReader(content), Channel: "C1", InitialComment: "here you go",
	})
	if err != nil || sum.Title != "Timeline" {
		t.Fatalf("UploadFileContext %+v %v", sum, err)
	}
	files := f.Files()
	if len(files) != 1 || files[0].ID != sum.ID || string(files[0].Content) != content ||
		files[0].Channel != "C1" || files[0].Name != "timeline.txt" {
		t.Fatalf("files %+v", files)
	}
	msgs := f.Messages("C1")
	if len(msgs) != 1 || msgs[0].Text != "here you go" || len(msgs[0].Files) != 1 {
		t.Fatalf("share message %+v", msgs)
	}
}

func TestResponseURL(t *testing.T) {
	f := newFake(t, fastOptions())
	api := apiFor(f)
	f.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1"})
	var cmd slack.SlashCommand
	_ = json.Unmarshal(f.Envelopes()[0].Payload, &cmd)

	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("just you", false),
		slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeEphemeral)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("everyone", false),
		slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeInChannel)); err != nil {
		t.Fatal(err)
	}
	if e := f.Ephemerals("U1"); len(e) != 1 || e[0].Text != "just you" {
		t.Fatalf("ephemerals %+v", e)
	}
	if m := f.Messages("C1"); len(m) != 1 || m[0].Text != "everyone" {
		t.Fatalf("messages %+v", m)
	}
	if p := f.ResponsePosts(); len(p) != 2 || !strings.Contains(string(p[0].Body), "just you") {
		t.Fatalf("posts %+v", p)
	}
	_, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false),
		slack.MsgOptionResponseURL(f.URL()[:len(f.URL())-len("api/")]+"response/999999", slack.ResponseTypeEphemeral))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 404 {
		t.Fatalf("unknown response_url: %v (%T)", err, err)
	}
}
