package slackfake

import (
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// A person picks an option of a message's static select; the bot reads
// it through slack-go as a block action of type static_select.
func TestPersonChoosesInMessageSelect(t *testing.T) {
	f := newFake(t, fastOptions())
	f.AddUser(User{ID: "U1", Name: "alice"})
	seen := make(chan slack.InteractionCallback, 1)
	startBot(t, f, f.AppToken(), time.Second, func(b *testBot, ev socketmode.Event) {
		b.sm.Ack(*ev.Request)
		if cb, ok := ev.Data.(slack.InteractionCallback); ok {
			seen <- cb
		}
	})
	txt := func(s string) *slack.TextBlockObject { return slack.NewTextBlockObject("plain_text", s, false, false) }
	menu := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, txt("More…"), "more",
		slack.NewOptionBlockObject("snooze/7", txt("Snooze"), nil), slack.NewOptionBlockObject("reassign/7", txt("Reassign"), nil))
	_, _, err := apiFor(f).PostMessage("C1", slack.MsgOptionText("incident 7", false),
		slack.MsgOptionBlocks(slack.NewActionBlock("inc7", menu)))
	if err != nil {
		t.Fatal(err)
	}
	card := f.Channel(t, "C1").ExpectMessage("incident 7")
	card.ChooseAs(t, f.User("U1"), "More…", "Reassign")

	cb := <-seen
	if len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("actions %+v", cb.ActionCallback)
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.ActionID != "more" || act.BlockID != "inc7" || act.Type != "static_select" ||
		act.SelectedOption.Value != "reassign/7" || act.SelectedOption.Text.Text != "Reassign" {
		t.Fatalf("block action %+v", act)
	}
	if cb.User.ID != "U1" || cb.Channel.ID != "C1" || cb.Container.MessageTs != card.TS() || cb.TriggerID == "" || cb.ResponseURL == "" {
		t.Fatalf("callback %+v", cb)
	}
	if got := cb.BlockActionState.Values["inc7"]["more"].SelectedOption.Value; got != "reassign/7" {
		t.Errorf("state value = %q", got)
	}
}
