package handlers

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/incidents"
	"github.com/tobanbot/toban/handlers/statusupdates"
)

// moreSlack records answers by response_url and opened modals; the other
// Slack calls are not expected.
type moreSlack struct {
	allSlack
	mu        sync.Mutex
	responses []string
	views     []string
}

func (s *moreSlack) Respond(_ context.Context, _ string, msg chat.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responses = append(s.responses, msg.Text)
	return nil
}

func (s *moreSlack) OpenView(_ context.Context, _ string, v slack.ModalViewRequest) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.views = append(s.views, v.CallbackID)
	return "V1", nil
}

// moreChoice is someone choosing kind in incident Q1's card menu.
func moreChoice(kind string) slack.InteractionCallback {
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U1"},
		TriggerID: "T1", ResponseURL: "https://hooks.example/r", Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "C1"}}}}
	cb.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: incidents.ActionMore,
		SelectedOption: slack.OptionBlockObject{Value: incidents.MoreValue(kind, "Q1")}}}
	return cb
}

func TestMoreStatusUpdate(t *testing.T) {
	ctx := context.Background()
	t.Run("NotConfigured", func(t *testing.T) {
		s := &moreSlack{}
		a := &App{Slack: s, Log: zerolog.Nop()}
		res := a.Interaction(ctx, moreChoice(incidents.MoreStatusUpdate))
		if res.Then == nil || res.Then(ctx) != nil || len(s.responses) != 1 || !strings.Contains(s.responses[0], "PagerDuty is not configured") {
			t.Errorf("answers %q, want not configured", s.responses)
		}
		sub := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "U1"},
			View: slack.View{CallbackID: statusupdates.ViewPost, Blocks: slack.Blocks{BlockSet: []slack.Block{
				slack.NewInputBlock("message", chat.Plain("Status update"), nil, slack.NewPlainTextInputBlockElement(nil, "message"))}}}}
		ack, _ := json.Marshal(a.Interaction(ctx, sub).Ack)
		if !strings.Contains(string(ack), `"message":"PagerDuty is not configured`) {
			t.Errorf("submission ack = %s, want not configured", ack)
		}
	})
	t.Run("OpensTheModalOnce", func(t *testing.T) {
		s := &moreSlack{}
		a := &App{Slack: s, Log: zerolog.Nop(), StatusUpdates: &statusupdates.Feature{Slack: s,
			PagerDuty: struct{ statusupdates.PagerDuty }{}, Store: &onceStore{seen: map[string]bool{}}}}
		// Slack redelivers the same click: the modal opens once.
		for range 2 {
			res := a.Interaction(ctx, moreChoice(incidents.MoreStatusUpdate))
			if res.Then == nil || res.Then(ctx) != nil {
				t.Fatal("no work after the choice")
			}
		}
		if strings.Join(s.views, ",") != statusupdates.ViewPost || len(s.responses) != 0 {
			t.Errorf("views %q, answers %q; want the status update modal once", s.views, s.responses)
		}
	})
}

// An option this version does not draw (an older card's menu, a forged
// value) is answered as an old menu, never as a feature not configured.
func TestMoreUnknownOption(t *testing.T) {
	ctx := context.Background()
	for _, value := range []string{"archive/Q1", "status", "", "/Q1"} {
		s := &moreSlack{}
		a := &App{Slack: s, Log: zerolog.Nop()}
		cb := moreChoice(incidents.MoreStatusUpdate)
		cb.ActionCallback.BlockActions[0].SelectedOption.Value = value
		res := a.Interaction(ctx, cb)
		if res.Then == nil || res.Then(ctx) != nil || len(s.responses) != 1 || !strings.Contains(s.responses[0], "older version of toban") {
			t.Errorf("value %q: answers %q, want the older-menu answer", value, s.responses)
		}
	}
}

// onceStore remembers click keys; the feature's other store methods are
// not expected.
type onceStore struct {
	statusupdates.Store
	seen map[string]bool
}

func (s *onceStore) FirstClick(_ context.Context, key string) (bool, error) {
	first := !s.seen[key]
	s.seen[key] = true
	return first, nil
}
