package slackfake

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// cardBot is a tiny chat-ops bot on the real clients: "/toban incident X"
// posts a card with buttons, "Ack" updates it, "/toban new" opens a modal.
func cardBot(seen chan<- slack.InteractionCallback) func(*testBot, socketmode.Event) {
	return func(b *testBot, ev socketmode.Event) {
		switch data := ev.Data.(type) {
		case slack.SlashCommand:
			b.sm.Ack(*ev.Request)
			switch {
			case strings.HasPrefix(data.Text, "incident "):
				_, _, _ = b.api.PostMessage(data.ChannelID,
					slack.MsgOptionText(strings.TrimPrefix(data.Text, "incident "), false), cardBlocks())
			case data.Text == "new":
				_, _ = b.api.OpenView(data.TriggerID, slack.ModalViewRequest{
					Type: slack.VTModal, CallbackID: "new_incident", PrivateMetadata: data.ChannelID,
					Title:  slack.NewTextBlockObject("plain_text", "New incident", false, false),
					Blocks: textBlocks("What happened?"),
				})
			}
		case slack.InteractionCallback:
			seen <- data
			switch data.Type {
			case slack.InteractionTypeBlockActions:
				b.sm.Ack(*ev.Request)
				_, _, _, _ = b.api.UpdateMessage(data.Channel.ID, data.Container.MessageTs,
					slack.MsgOptionText("acked by "+data.User.ID, false),
					slack.MsgOptionBlocks(slack.NewSectionBlock(
						slack.NewTextBlockObject("mrkdwn", "Acked by <@"+data.User.ID+">", false, false), nil, nil)))
			case slack.InteractionTypeViewSubmission:
				b.sm.Ack(*ev.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"title": "too short"}))
			}
		}
	}
}

func TestPersonClicksCard(t *testing.T) {
	f := newFake(t, fastOptions())
	f.AddUser(User{ID: "U1", Name: "alice"})
	f.AddChannel("C1", "ops")
	seen := make(chan slack.InteractionCallback, 10)
	startBot(t, f, f.AppToken(), time.Second, cardBot(seen))

	alice := f.User("U1")
	alice.Slash(t, "incident db is down")
	card := f.Channel(t, "C1").ExpectMessage("Incident 7")
	if !strings.Contains(card.Text(), "db is down") {
		t.Fatalf("card text %q", card.Text())
	}
	if got := card.Buttons(); !slices.Equal(got, []string{"Ack", "Resolve"}) {
		t.Fatalf("buttons %q", got)
	}
	card.ClickAs(t, alice, "Ack")

	cb := <-seen
	if len(cb.ActionCallback.BlockActions) != 1 || len(cb.ActionCallback.AttachmentActions) != 0 {
		t.Fatalf("actions %+v", cb.ActionCallback)
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.ActionID != "ack" || act.BlockID != "inc7" || act.Value != "7" || act.Type != "button" || act.Text.Text != "Ack" {
		t.Fatalf("block action %+v", act)
	}
	if cb.User.ID != "U1" || cb.User.Name != "alice" || cb.Channel.ID != "C1" || cb.Channel.Name != "ops" ||
		cb.Container.MessageTs != card.TS() || cb.Message.Timestamp != card.TS() || cb.TriggerID == "" ||
		cb.ResponseURL == "" || cb.Team.ID != "T1" || cb.APIAppID != "A1" || len(cb.Message.Blocks.BlockSet) != 2 {
		t.Fatalf("callback %+v", cb)
	}

	card.ExpectText("acked by U1")
	if card.Message().Updated != 1 || len(card.Buttons()) != 0 {
		t.Fatalf("after ack: %+v", card.Message())
	}
}

func TestResponseURLReplacesOriginal(t *testing.T) {
	f := newFake(t, fastOptions())
	handled := make(chan struct{}, 1)
	startBot(t, f, f.AppToken(), time.Second, func(b *testBot, ev socketmode.Event) {
		b.sm.Ack(*ev.Request)
		if cb, ok := ev.Data.(slack.InteractionCallback); ok {
			_, _, _ = b.api.PostMessage("", slack.MsgOptionText("replaced", false),
				slack.MsgOptionReplaceOriginal(cb.ResponseURL))
			handled <- struct{}{}
		}
	})
	_, _, err := apiFor(f).PostMessage("C1", slack.MsgOptionText("original", false), cardBlocks())
	if err != nil {
		t.Fatal(err)
	}
	card := f.Channel(t, "C1").ExpectMessage("original")
	card.ClickAs(t, f.User("U2"), "Resolve")
	<-handled
	card.ExpectText("replaced")
	if n := len(f.Messages("C1")); n != 1 {
		t.Fatalf("%d messages", n)
	}
}

func TestSubmitModal(t *testing.T) {
	f := newFake(t, fastOptions())
	seen := make(chan slack.InteractionCallback, 10)
	startBot(t, f, f.AppToken(), time.Second, cardBot(seen))

	f.User("U1").Slash(t, "new")
	ctx := ctx5(t)
	if _, err := f.WaitCalls(ctx, "views.open", 1); err != nil {
		t.Fatal(err)
	}
	v := f.LastView("U1")
	if v.Method != "views.open" || !strings.Contains(string(v.View), `"callback_id":"new_incident"`) {
		t.Fatalf("view %+v", v)
	}
	ack := f.Submit(t, "U1", "", map[string]map[string]any{"title": {"value": "db down"}})
	var resp slack.ViewSubmissionResponse
	if err := json.Unmarshal(ack.Payload, &resp); err != nil || resp.ResponseAction != "errors" || resp.Errors["title"] != "too short" {
		t.Fatalf("ack %s (%v)", ack.Payload, err)
	}
	cb := <-seen
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != v.ID || cb.View.CallbackID != "new_incident" ||
		cb.View.PrivateMetadata != "C1" || cb.View.State.Values["title"]["value"].Value != "db down" {
		t.Fatalf("submission %+v", cb.View)
	}
	for _, e := range f.Envelopes() {
		if e.Type == "interactive" && !e.AcceptsResponsePayload {
			t.Fatalf("view_submission must accept a response payload")
		}
	}
}
