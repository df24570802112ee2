package subscriptions

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
	goldenfile "github.com/tobanbot/toban/internal/golden"
)

func TestSubscribeInput(t *testing.T) {
	pick := func(values ...string) []slack.OptionBlockObject {
		var out []slack.OptionBlockObject
		for _, v := range values {
			out = append(out, slack.OptionBlockObject{Value: v})
		}
		return out
	}
	form := func(delivery string, events ...string) map[string]map[string]slack.BlockAction {
		return map[string]map[string]slack.BlockAction{
			"services":  {chat.ActionServiceSuggest: {SelectedOptions: pick("PSVC1")}},
			"urgencies": {"urgencies": {SelectedOptions: pick("high", "medium")}},
			"delivery":  {"delivery": {SelectedOption: slack.OptionBlockObject{Value: delivery}}},
			"events":    {"events": {SelectedOptions: pick(events...)}},
		}
	}
	for _, tt := range []struct {
		name         string
		values       map[string]map[string]slack.BlockAction
		events       string
		stakeholders bool
		errs         string // the fields in error, comma-separated
	}{
		{"Cards", form("cards", "notes", "everything"), "notes", false, ""},
		{"OlderFormWithoutDelivery", form("", "notes"), "notes", false, ""},
		{"StakeholdersDropReplies", form("stakeholders", "notes", "escalations"), "", true, ""},
		{"ErrUnknownDelivery", form("carrier pigeon"), "", false, "delivery"},
		{"ErrEmpty", map[string]map[string]slack.BlockAction{}, "", false, "services,urgencies"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := subscribeInput(tt.values)
			var fields []string
			for _, f := range []string{"delivery", "services", "urgencies"} {
				if errs[f] != "" {
					fields = append(fields, f)
				}
			}
			if strings.Join(fields, ",") != tt.errs {
				t.Fatalf("errors %v, want on %q", errs, tt.errs)
			}
			if tt.errs != "" {
				return
			}
			if strings.Join(got.serviceIDs, ",") != "PSVC1" || strings.Join(got.urgencies, ",") != "high" ||
				strings.Join(got.events, ",") != tt.events || got.stakeholders != tt.stakeholders {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// The modal offers live cards (chosen) or status updates only.
func TestSubscribeModal(t *testing.T) {
	goldenfile.JSON(t, "subscribe_modal", subscribeModal("C1"))
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
