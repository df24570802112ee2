package slackfake

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func TestSendInteractionStructAndSuggestion(t *testing.T) {
	f := newFake(t, fastOptions())
	b := startBot(t, f, f.AppToken(), time.Second, nil)

	f.SendInteraction(slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U1"},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "a", BlockID: "b", Value: "v"}}},
	})
	ev := b.next(t)
	cb := ev.Data.(slack.InteractionCallback)
	if ev.Request.AcceptsResponsePayload || len(cb.ActionCallback.BlockActions) != 1 || cb.ActionCallback.BlockActions[0].BlockID != "b" {
		t.Fatalf("block_actions %+v %+v", ev.Request, cb.ActionCallback)
	}
	b.sm.Ack(*ev.Request)

	id := f.SendInteraction(map[string]any{
		"type": "block_suggestion", "action_id": "svc", "block_id": "pick", "value": "pay",
		"user": map[string]any{"id": "U1"}, "team": map[string]any{"id": "T1"},
	})
	ev = b.next(t)
	if !ev.Request.AcceptsResponsePayload {
		t.Fatal("block_suggestion must accept a response payload")
	}
	opt := slack.NewOptionBlockObject("payments", slack.NewTextBlockObject("plain_text", "payments", false, false), nil)
	b.sm.Ack(*ev.Request, slack.OptionsResponse{Options: []*slack.OptionBlockObject{opt}})
	ack, err := f.WaitAck(ctx5(t), id)
	if err != nil || !strings.HasPrefix(string(ack.Payload), `{"options":[{"text":`) {
		t.Fatalf("suggestion ack %s %v", ack.Payload, err)
	}
}

func TestViewSubmissionUpdateApplied(t *testing.T) {
	f := newFake(t, fastOptions())
	startBot(t, f, f.AppToken(), time.Second, func(b *testBot, ev socketmode.Event) {
		b.sm.Ack(*ev.Request, slack.NewUpdateViewSubmissionResponse(&slack.ModalViewRequest{
			Type: slack.VTModal, CallbackID: "confirm",
			Title:  slack.NewTextBlockObject("plain_text", "Done", false, false),
			Blocks: textBlocks("Saved."),
		}))
	})
	v, err := apiFor(f).OpenView("test-1", slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "first",
		Title: slack.NewTextBlockObject("plain_text", "First", false, false), Blocks: textBlocks("first")})
	if err != nil {
		t.Fatal(err)
	}
	f.Submit(t, "", v.ID, nil)
	last := f.Views()[1]
	if last.Method != "response_action.update" || last.ID != v.ID || !strings.Contains(string(last.View), `"callback_id":"confirm"`) {
		t.Fatalf("view after submit %+v", last)
	}
}

// An events_api envelope slack-go cannot parse never reaches the handler
// as a request: the bot sees error_bad_message and must ack the raw
// envelope_id itself, or Slack redelivers it.
func TestUnparseableEventNeedsManualAck(t *testing.T) {
	f := newFake(t, fastOptions())
	bad := make(chan socketmode.ErrorBadMessage, 1)
	b := startBot(t, f, f.AppToken(), time.Second, nil)
	go func() {
		for ev := range b.other {
			if ev.Type == socketmode.EventTypeErrorBadMessage {
				bad <- *ev.Data.(*socketmode.ErrorBadMessage)
				return
			}
		}
	}()
	id := f.SendEvent("", map[string]any{"type": "no_such_event"})
	var msg socketmode.ErrorBadMessage
	select {
	case msg = <-bad:
	case <-time.After(5 * time.Second):
		t.Fatal("no error_bad_message")
	}
	var env struct {
		EnvelopeID string `json:"envelope_id"`
	}
	_ = json.Unmarshal(msg.Message, &env)
	if env.EnvelopeID != id {
		t.Fatalf("raw message %s", msg.Message)
	}
	if err := b.sm.AckCtx(ctx5(t), env.EnvelopeID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WaitAck(ctx5(t), id); err != nil {
		t.Fatal(err)
	}
}
