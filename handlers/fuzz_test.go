package handlers

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// maxAckPayload is Slack's limit on an ack payload: slack-go refuses one
// of 20 KiB or more, and Slack drops it.
const maxAckPayload = 20 << 10

// FuzzSlash: whatever text follows /toban, parsing and dispatch never
// panic, never reach PagerDuty, Slack or the database before the ack (the
// App has none: a call would panic), and the immediate answer is valid
// JSON under Slack's ack limit, in readable text.
func FuzzSlash(f *testing.F) {
	for _, seed := range []string{
		"", "help", "oncall", `oncall "Primary Ops"`, "incidents mine", "incidents all", "trigger", "link a@b.c",
		"link <@U9|x> a@b.c", "subscribe", "subscriptions", "remind", "reminders", "reminders calendar",
		"maintenance", "maintenance list", "shifts import", "report month", "'", "“", "\xff", "oncall \xff\xfe",
		"remind\u3000x", strings.Repeat("x", 10000), "oncall " + strings.Repeat("é", 3000), "\x00", "link \"\"",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, text string, admin bool) {
		a := &App{Admins: map[string]bool{"U1": admin}}
		res := a.Slash(context.Background(), slack.SlashCommand{
			Command: "/toban", Text: text, UserID: "U1", ChannelID: "C1",
			ResponseURL: "https://hooks.slack.invalid/x", TriggerID: "1.2.3",
		})
		if res.Ack == nil {
			if res.Then == nil {
				t.Fatalf("/toban %q: no answer at all", text)
			}
			return
		}
		body, err := json.Marshal(res.Ack)
		if err != nil {
			t.Fatalf("/toban %q: ack does not encode: %v", text, err)
		}
		if len(body) >= maxAckPayload {
			t.Fatalf("/toban %q: ack is %d bytes, Slack's limit is %d", text, len(body), maxAckPayload)
		}
		var msg struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(body, &msg); err != nil || msg.Text == "" || !utf8.ValidString(msg.Text) {
			t.Fatalf("/toban %q: ack %s has no readable text (%v)", text, body, err)
		}
	})
}
