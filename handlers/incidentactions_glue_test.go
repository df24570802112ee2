package handlers

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"

	"github.com/tobanbot/toban/handlers/incidentactions"
	"github.com/tobanbot/toban/handlers/incidents"
)

// The card's menu names the kinds and moreClick passes them through
// unchanged: both features must spell them alike.
func TestMoreKindsMatchIncidentActions(t *testing.T) {
	for menu, action := range map[string]string{
		incidents.MoreReassign:   incidentactions.KindReassign,
		incidents.MoreSnooze:     incidentactions.KindSnooze,
		incidents.MorePriority:   incidentactions.KindPriority,
		incidents.MoreResponders: incidentactions.KindResponders,
	} {
		if menu != action {
			t.Errorf("menu kind %q is %q in incidentactions", menu, action)
		}
	}
}

// Without PagerDuty the feature is nil: its modals and type-ahead say so
// or offer nothing, and do not panic.
func TestIncidentActionsNotConfigured(t *testing.T) {
	a := &App{}
	cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "U1"}}
	cb.View = slack.View{ID: "V1", CallbackID: incidentactions.ViewSnooze,
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("duration", chat.Plain("Snooze for"), nil, slack.NewPlainTextInputBlockElement(nil, "duration"))}}}
	res := a.Interaction(context.Background(), cb)
	if ack, _ := json.Marshal(res.Ack); !strings.Contains(string(ack), "PagerDuty is not configured") || res.Then != nil {
		t.Errorf("submission ack = %s", ack)
	}
	res = a.Interaction(context.Background(), slack.InteractionCallback{Type: slack.InteractionTypeBlockSuggestion, ActionID: incidentactions.ActionTarget, Value: "bob"})
	if opts, ok := res.Ack.(slack.OptionsResponse); !ok || len(opts.Options) != 0 {
		t.Errorf("suggestion ack = %#v, want no options", res.Ack)
	}
}
