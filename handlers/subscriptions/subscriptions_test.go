package subscriptions

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
)

func TestSubscribeInput(t *testing.T) {
	values := map[string]map[string]slack.BlockAction{
		"services":  {chat.ActionServiceSuggest: {SelectedOptions: []slack.OptionBlockObject{{Value: "PSVC1"}}}},
		"urgencies": {"urgencies": {SelectedOptions: []slack.OptionBlockObject{{Value: "high"}, {Value: "medium"}}}},
		"events":    {"events": {SelectedOptions: []slack.OptionBlockObject{{Value: "notes"}, {Value: "everything"}}}},
	}
	services, urgencies, events, errs := subscribeInput(values)
	if len(errs) != 0 || strings.Join(services, ",") != "PSVC1" || strings.Join(urgencies, ",") != "high" || strings.Join(events, ",") != "notes" {
		t.Errorf("got %v %v %v %v", services, urgencies, events, errs)
	}
	_, _, _, errs = subscribeInput(map[string]map[string]slack.BlockAction{})
	if errs["services"] == "" || errs["urgencies"] == "" {
		t.Errorf("empty form: errors %v, want services and urgencies", errs)
	}
}

// Only admins subscribe; without PagerDuty nobody can.
func TestSubscribeCommandRefuses(t *testing.T) {
	f := &Feature{Admins: map[string]bool{"UADMIN": true}}
	for _, tt := range []struct{ user, want string }{{"UADMIN", "PagerDuty is not configured"}, {"U1", "PagerDuty is not configured"}} {
		res := f.SubscribeCommand(chat.Invocation{UserID: tt.user, ChannelID: "C1"})
		if ack, _ := json.Marshal(res.Ack); !strings.Contains(string(ack), tt.want) || res.Then != nil {
			t.Errorf("%s: ack = %s, want %q", tt.user, ack, tt.want)
		}
	}
	f.Services = fakeServices{}
	res := f.SubscribeCommand(chat.Invocation{UserID: "U1", ChannelID: "C1"})
	if ack, _ := json.Marshal(res.Ack); !strings.Contains(string(ack), "Only toban admins") || res.Then != nil {
		t.Errorf("not an admin: ack = %s", ack)
	}
}

type fakeServices struct{ Services }
