package handlers

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/incidents"
	"github.com/tobanbot/toban/handlers/maintenance"
	"github.com/tobanbot/toban/handlers/oncall"
)

// noPagerDuty stands for a configured PagerDuty that must not be called:
// these inputs are answered before any request.
type noPagerDuty struct{ allPagerDuty }

// allPagerDuty is every PagerDuty port the features are given.
type allPagerDuty interface {
	incidents.PagerDuty
	oncall.PagerDuty
}

func TestSlashAnswers(t *testing.T) {
	tests := []struct {
		name, text string
		pd         bool
		admin      bool
		wantAck    string // substring of the immediate answer; "" = none
		wantThen   bool   // slow work follows
	}{
		{"Empty", "", false, false, "toban — the one on duty", false},
		{"Help", "help", false, false, "/toban oncall", false},
		{"HelpExtraWords", "help me", false, false, "/toban oncall", false},
		{"IncidentsNoPD", "incidents", false, false, "PagerDuty is not configured", false},
		{"OnCallNoPD", "oncall", false, false, "PagerDuty is not configured", false},
		{"TriggerNoPD", "trigger", false, false, "PagerDuty is not configured", false},
		{"LinkNoPD", "link", false, false, "PagerDuty is not configured", false},
		{"Incidents", "incidents mine", true, false, "", true},
		{"OnCall", `oncall "Web Ops"`, true, false, "", true},
		{"Trigger", "trigger", true, false, "", true},
		{"Link", "link", true, false, "", true},
		{"LinkEmail", "link alice@example.com", true, false, "", true},
		{"ErrLinkNotEmail", "link alice", true, false, "is not an email address", false},
		{"ErrLinkTooMany", "link a b c", true, false, "takes an email", false},
		{"ErrLinkNotAPerson", "link alice a@b.c", true, false, "should be a person", false},
		{"ErrLinkOthersNotAdmin", "link <@U9|x> a@b.c", true, false, "Only toban admins", false},
		{"LinkOthersAdmin", "link <@U9|x> a@b.c", true, true, "", true},
		{"NotYet", "maintenance", true, false, "not available in this version", false},
		{"RemindNoTasks", "remind", true, false, "Scheduled tasks are not set up", false},
		{"ErrUnknown", "page everyone", true, false, "I don't know `/toban page`", false},
		{"ErrQuote", `oncall "Web`, true, false, "A quote is not closed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &App{Admins: map[string]bool{}}
			if tt.pd {
				a.Incidents = &incidents.Feature{PagerDuty: noPagerDuty{}, Admins: a.Admins}
				a.OnCall = &oncall.Feature{PagerDuty: noPagerDuty{}}
				a.Maintenance = &maintenance.Feature{}
			}
			if tt.admin {
				a.Admins["U1"] = true
			}
			res := a.Slash(context.Background(), slack.SlashCommand{Text: tt.text, UserID: "U1", ChannelID: "C1"})
			ack := ""
			if res.Ack != nil {
				b, err := json.Marshal(res.Ack)
				if err != nil {
					t.Fatal(err)
				}
				ack = string(b)
			}
			if tt.wantAck == "" && ack != "" {
				t.Errorf("ack = %s, want none", ack)
			}
			if !strings.Contains(ack, jsonEscaped(tt.wantAck)) {
				t.Errorf("ack = %s, want it to contain %q", ack, tt.wantAck)
			}
			if got := res.Then != nil; got != tt.wantThen {
				t.Errorf("slow work = %v, want %v", got, tt.wantThen)
			}
		})
	}
}

// jsonEscaped is s as it appears inside a JSON string.
func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
