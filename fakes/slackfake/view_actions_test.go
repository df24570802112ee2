package slackfake

import (
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// TestViewActionThenUpdate: an input block with dispatch_action sends
// block_actions with the view (its id, hash and the input so far), slack-go
// reads it as such, views.update with that hash replaces the view keeping
// the input of blocks that remain, and a stale hash is a hash_conflict.
func TestViewActionThenUpdate(t *testing.T) {
	f := newFake(t, fastOptions())
	got := make(chan slack.InteractionCallback, 1)
	startBot(t, f, f.AppToken(), time.Second, func(b *testBot, ev socketmode.Event) {
		b.sm.Ack(*ev.Request)
		if cb, ok := ev.Data.(slack.InteractionCallback); ok {
			got <- cb
		}
	})
	plain := func(s string) *slack.TextBlockObject { return slack.NewTextBlockObject("plain_text", s, false, false) }
	input := func(id string, el slack.BlockElement, dispatch bool) *slack.InputBlock {
		b := slack.NewInputBlock(id, plain(id), nil, el)
		b.DispatchAction = dispatch
		return b
	}
	kind := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("How often"), "kind",
		slack.NewOptionBlockObject("daily", plain("Daily"), nil), slack.NewOptionBlockObject("once", plain("Once"), nil))
	form := func(extra ...slack.Block) slack.ModalViewRequest {
		blocks := append([]slack.Block{input("title", slack.NewPlainTextInputBlockElement(nil, "title"), false), input("kind", kind, true)}, extra...)
		return slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "form", Title: plain("Form"), Submit: plain("Save"), Blocks: slack.Blocks{BlockSet: blocks}}
	}
	api := apiFor(f)
	v, err := api.OpenView("test-1", form(input("at", slack.NewTimePickerBlockElement("at"), false)))
	if err != nil {
		t.Fatal(err)
	}

	f.ViewAction(t, "U1", v.ID, "kind", "kind",
		map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "once", "text": map[string]any{"type": "plain_text", "text": "Once"}}},
		map[string]map[string]any{"title": {"title": "Backups"}, "at": {"at": map[string]any{"type": "timepicker", "selected_time": "09:30"}}})
	cb := <-got
	act := cb.ActionCallback.BlockActions
	switch {
	case cb.Type != slack.InteractionTypeBlockActions || cb.Container.Type != "view" || cb.Container.ViewID != v.ID:
		t.Fatalf("callback %s in %+v, want block_actions in view %s", cb.Type, cb.Container, v.ID)
	case len(act) != 1 || act[0].ActionID != "kind" || act[0].BlockID != "kind" || act[0].SelectedOption.Value != "once":
		t.Fatalf("actions = %+v", act)
	case cb.View.ID != v.ID || cb.View.Hash != v.Hash || cb.View.State == nil || cb.View.State.Values["title"]["title"].Value != "Backups":
		t.Fatalf("view = id %s hash %s state %+v; want %s, %s and the title typed", cb.View.ID, cb.View.Hash, cb.View.State, v.ID, v.Hash)
	}

	// Rebuilt with a date instead of the time: the title and kind stay, the time goes.
	updated, err := api.UpdateView(form(input("date", slack.NewDatePickerBlockElement("date"), false)), "", cb.View.Hash, v.ID)
	if err != nil {
		t.Fatalf("views.update with the view's hash: %v", err)
	}
	if updated.Hash == v.Hash {
		t.Error("views.update kept the hash")
	}
	state := updated.State.Values
	if state["title"]["title"].Value != "Backups" || state["kind"]["kind"].SelectedOption.Value != "once" || state["at"] != nil {
		t.Errorf("state after update = %+v; want title and kind kept, at dropped", state)
	}
	_, err = api.UpdateView(form(), "", cb.View.Hash, v.ID)
	slackErr(t, err, "hash_conflict")
	views := f.Views()
	if last := views[len(views)-1]; last.Method != "views.update" || last.Hash != updated.Hash {
		t.Errorf("last view change = %s %s, want the views.update that succeeded", last.Method, last.Hash)
	}
}
