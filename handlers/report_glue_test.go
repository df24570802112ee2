package handlers

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// Without PagerDuty the report feature is nil, and the router says it is
// not configured.
func TestReportNotConfigured(t *testing.T) {
	a := &App{}
	res := a.Slash(context.Background(), slack.SlashCommand{Text: "report", UserID: "U1", ChannelID: "C1"})
	if ack, _ := json.Marshal(res.Ack); !strings.Contains(string(ack), "PagerDuty is not configured") || res.Then != nil {
		t.Errorf("ack = %s", ack)
	}
}
