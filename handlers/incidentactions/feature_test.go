package incidentactions

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/internal/blockkit"
	goldenfile "github.com/tobanbot/toban/internal/golden"
)

var place = chat.Place{UserID: "U1", ChannelID: "C1", MessageTS: "1.0"}

func TestModals(t *testing.T) {
	inc := newWorld(t, domain.StatusAcknowledged).pd.inc
	prios := []domain.Priority{{ID: "PP1", Name: "P1", Description: "Critical: customers cannot pay"}, {ID: "PP3", Name: "P3"}}
	for name, v := range map[string]slack.ModalViewRequest{
		"reassign":   reassignModal(inc, place),
		"snooze":     snoozeModal(inc, place),
		"priority":   priorityModal(inc, place, prios),
		"responders": respondersModal(inc, place),
	} {
		t.Run(name, func(t *testing.T) {
			goldenfile.JSON(t, "modal_"+name, v)
			raw, _ := json.Marshal(v)
			if err := blockkit.CheckView(raw); err != nil {
				t.Errorf("Slack would refuse this modal: %v", err)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	w := newWorld(t, domain.StatusAcknowledged)
	tests := []struct {
		query string
		want  string // option values, in order
	}{
		{"ops", "user:PALICE user:PBOB ep:PEP1"},
		{"bob", "user:PBOB"},
		{"data", "ep:PEP2"},
		{"nobody", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			ack := w.f.Suggest(context.Background(), tt.query).Ack
			var got []string
			switch a := ack.(type) {
			case slack.OptionsResponse:
				for _, o := range a.Options {
					got = append(got, o.Value)
				}
			case slack.OptionGroupsResponse:
				for _, g := range a.OptionGroups {
					for _, o := range g.Options {
						got = append(got, o.Value)
					}
				}
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Errorf("options = %q, want %q", s, tt.want)
			}
		})
	}
	goldenfile.JSON(t, "suggest_groups", w.f.Suggest(context.Background(), "ops").Ack)
	if w.policyReads != 1 {
		t.Errorf("escalation policies listed %d times for 5 keystrokes, want once", w.policyReads)
	}
	w.now = w.now.Add(policiesTTL)
	w.f.Suggest(context.Background(), "web")
	if w.policyReads != 2 {
		t.Errorf("escalation policies listed %d times, want a fresh list after %v", w.policyReads, policiesTTL)
	}
}

func selected(value, text string) slack.BlockAction {
	return slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: value, Text: chat.Plain(text)}}
}

func TestParseSubmission(t *testing.T) {
	many := make([]slack.OptionBlockObject, 11)
	for i := range many {
		many[i] = slack.OptionBlockObject{Value: fmt.Sprintf("user:P%d", i)}
	}
	tests := []struct {
		name     string
		callback string
		values   map[string]map[string]slack.BlockAction
		wantErr  string // block ID: message part; "" for accepted
		check    func(t *testing.T, r request)
	}{
		{"ReassignUser", ViewReassign, map[string]map[string]slack.BlockAction{blockTarget: {ActionTarget: selected("user:PBOB", "Bob Ops")}}, "",
			func(t *testing.T, r request) {
				if len(r.to.UserIDs) != 1 || r.to.UserIDs[0] != "PBOB" || r.toLabel != "Bob Ops" {
					t.Errorf("request = %+v", r)
				}
			}},
		{"ReassignPolicy", ViewReassign, map[string]map[string]slack.BlockAction{blockTarget: {ActionTarget: selected("ep:PEP1", "Web Ops")}}, "",
			func(t *testing.T, r request) {
				if r.to.EscalationPolicyID != "PEP1" || len(r.to.UserIDs) != 0 {
					t.Errorf("request = %+v", r)
				}
			}},
		{"ErrReassignNothing", ViewReassign, nil, "target: Pick a person", nil},
		{"ErrReassignForged", ViewReassign, map[string]map[string]slack.BlockAction{blockTarget: {ActionTarget: selected("user:../x", "x")}}, "target: Pick a person", nil},
		{"Snooze", ViewSnooze, map[string]map[string]slack.BlockAction{blockDuration: {blockDuration: selected("1h0m0s", "1 h")}}, "",
			func(t *testing.T, r request) {
				if r.snooze != time.Hour {
					t.Errorf("snooze = %v", r.snooze)
				}
			}},
		{"ErrSnoozeTooLong", ViewSnooze, map[string]map[string]slack.BlockAction{blockDuration: {blockDuration: selected("200h", "x")}}, "duration: PagerDuty snoozes for at most a week", nil},
		{"ErrSnoozeGarbage", ViewSnooze, map[string]map[string]slack.BlockAction{blockDuration: {blockDuration: selected("soon", "x")}}, "duration: Choose how long", nil},
		{"Priority", ViewPriority, map[string]map[string]slack.BlockAction{blockPriority: {blockPriority: selected("PP1", "P1")}}, "",
			func(t *testing.T, r request) {
				if r.priorityID != "PP1" || r.priorityName != "P1" {
					t.Errorf("request = %+v", r)
				}
			}},
		{"ErrPriorityNone", ViewPriority, nil, "priority: Choose a priority", nil},
		{"Responders", ViewResponders, map[string]map[string]slack.BlockAction{
			blockTargets: {ActionTargets: {SelectedOptions: []slack.OptionBlockObject{{Value: "user:PBOB", Text: chat.Plain("Bob Ops")}, {Value: "ep:PEP1", Text: chat.Plain("Web Ops")}, {Value: "user:PBOB"}}}},
			blockMessage: {blockMessage: {Value: "  need a DBA  "}}}, "",
			func(t *testing.T, r request) {
				if len(r.targets) != 2 || r.message != "need a DBA" || r.targetNames[domain.ResponderTarget{Kind: domain.TargetEscalationPolicy, ID: "PEP1"}] != "Web Ops" {
					t.Errorf("request = %+v", r)
				}
			}},
		{"ErrRespondersNobody", ViewResponders, map[string]map[string]slack.BlockAction{blockMessage: {blockMessage: {Value: "help"}}}, "targets: Pick at least one", nil},
		{"ErrRespondersTooMany", ViewResponders, map[string]map[string]slack.BlockAction{
			blockTargets: {ActionTargets: {SelectedOptions: many}}, blockMessage: {blockMessage: {Value: "help"}}}, "targets: Pick at most 10", nil},
		{"ErrRespondersNoMessage", ViewResponders, map[string]map[string]slack.BlockAction{
			blockTargets: {ActionTargets: {SelectedOptions: many[:1]}}, blockMessage: {blockMessage: {Value: "   "}}}, "message: PagerDuty needs a message", nil},
		{"ErrRespondersLongMessage", ViewResponders, map[string]map[string]slack.BlockAction{
			blockTargets: {ActionTargets: {SelectedOptions: many[:1]}}, blockMessage: {blockMessage: {Value: strings.Repeat("x", 501)}}}, "message: Keep the message to 500", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, errs := parseSubmission(tt.callback, tt.values)
			if tt.wantErr == "" {
				if len(errs) > 0 {
					t.Fatalf("refused: %v", errs)
				}
				tt.check(t, r)
				return
			}
			block, msg, _ := strings.Cut(tt.wantErr, ": ")
			if !strings.Contains(errs[block], msg) {
				t.Errorf("errors = %v, want %q under %q", errs, msg, block)
			}
		})
	}
}

// submit runs a modal submission of req's values to its end.
func (w *world) submit(t *testing.T, user, viewID, callback string, values map[string]map[string]slack.BlockAction) chat.Response {
	t.Helper()
	cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: user}}
	cb.View = slack.View{ID: viewID, CallbackID: callback, PrivateMetadata: chat.ModalState{IncidentID: "Q1", ChannelID: "C1", MessageTS: "1.0"}.Encode()}
	cb.View.State = &slack.ViewState{Values: values}
	res := w.f.Submission(context.Background(), cb)
	if res.Then != nil {
		if err := res.Then(context.Background()); err != nil {
			t.Fatalf("submission failed: %v", err)
		}
	}
	return res
}

// A submission whose body carries no state (a bad or truncated body) gets
// a field error and does nothing; it does not panic.
func TestSubmissionWithoutState(t *testing.T) {
	w := newWorld(t, domain.StatusAcknowledged)
	cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "U1"}}
	cb.View = slack.View{ID: "V1", CallbackID: ViewSnooze, PrivateMetadata: chat.ModalState{IncidentID: "Q1"}.Encode()}
	res := w.f.Submission(context.Background(), cb)
	ack, _ := json.Marshal(res.Ack)
	if res.Then != nil || !strings.Contains(string(ack), `"duration":"Choose how long to snooze."`) {
		t.Errorf("ack = %s (then: %v), want the duration's field error and nothing done", ack, res.Then != nil)
	}
}

// A card toban has no record of (one from before a restore) is adopted
// when its menu is used, so it gets the thread line too.
func TestActAdoptsUnknownCard(t *testing.T) {
	w := newWorld(t, domain.StatusAcknowledged)
	w.store.cards = nil
	w.submit(t, "U1", "V1", ViewSnooze, map[string]map[string]slack.BlockAction{blockDuration: {blockDuration: selected("1h0m0s", "1 h")}})
	if len(w.store.cards) != 1 || len(w.slack.threads) != 1 || !strings.HasPrefix(w.slack.threads[0], "C1/1.0: :zzz:") {
		t.Errorf("cards %+v, thread lines %q; want the card adopted and its thread told", w.store.cards, w.slack.threads)
	}
}

func TestActions(t *testing.T) {
	snooze := map[string]map[string]slack.BlockAction{blockDuration: {blockDuration: selected("1h0m0s", "1 h")}}
	tests := []struct {
		name        string
		status      domain.Status
		user        string
		callback    string
		values      map[string]map[string]slack.BlockAction
		pdErr       error
		wantWrite   string // "" for none
		wantTold    string
		wantThread  string
		wantActivty string // kind: detail
	}{
		{"Reassign", domain.StatusAcknowledged, "U1", ViewReassign, map[string]map[string]slack.BlockAction{blockTarget: {ActionTarget: selected("user:PBOB", "Bob Ops")}}, nil,
			"reassign PBOB", "", "C1/1.0: :bust_in_silhouette: <@U1> reassigned #12 to Bob Ops.", "reassigned: to Bob Ops"},
		{"ReassignPolicy", domain.StatusTriggered, "U1", ViewReassign, map[string]map[string]slack.BlockAction{blockTarget: {ActionTarget: selected("ep:PEP1", "Web Ops")}}, nil,
			"reassign PEP1", "", "reassigned #12 to the escalation policy Web Ops (now Bob Ops).", "reassigned: to Web Ops"},
		{"Snooze", domain.StatusAcknowledged, "U1", ViewSnooze, snooze, nil,
			"snooze 1h0m0s", "", ":zzz: <@U1> snoozed #12 for 1 h, until <!date^1795226400^", "snoozed: for 1 h"},
		{"ErrSnoozeTriggeredMeanwhile", domain.StatusTriggered, "U1", ViewSnooze, snooze, nil,
			"", "#12 is triggered, not acknowledged: PagerDuty snoozes only acknowledged incidents", "", ""},
		{"ErrResolvedMeanwhile", domain.StatusResolved, "U1", ViewSnooze, snooze, nil,
			"", "#12 was already resolved by Bob Ops <!date^1795219200^", "", ""},
		{"ErrNotLinked", domain.StatusAcknowledged, "U9", ViewSnooze, snooze, nil,
			"", "I act in PagerDuty only as the person who clicks", "", ""},
		{"Priority", domain.StatusAcknowledged, "U1", ViewPriority, map[string]map[string]slack.BlockAction{blockPriority: {blockPriority: selected("PP1", "P1")}}, nil,
			"priority PP1", "", ":label: <@U1> changed priority of #12 to P1 (was P3).", "priority: P1"},
		{"Responders", domain.StatusAcknowledged, "U1", ViewResponders, map[string]map[string]slack.BlockAction{
			blockTargets: {ActionTargets: {SelectedOptions: []slack.OptionBlockObject{{Value: "user:PALICE", Text: chat.Plain("Alice Ops")}, {Value: "user:PBOB", Text: chat.Plain("Bob Ops")}}}},
			blockMessage: {blockMessage: {Value: "need a <DBA>"}}}, nil,
			"responders PALICE need a <DBA>", "", ":sos: <@U1> asked <@U1>, Name of PBOB to help on #12:\n> need a &lt;DBA&gt;", "responders: Name of PALICE, Name of PBOB"},
		{"ErrPagerDutyRefuses", domain.StatusAcknowledged, "U1", ViewReassign, map[string]map[string]slack.BlockAction{blockTarget: {ActionTarget: selected("user:PBOB", "Bob Ops")}},
			domain.Invalid("PagerDuty refused the request: Invalid Input Provided (Assignee is invalid)"),
			"reassign PBOB", ":warning: PagerDuty refused the request: Invalid Input Provided (Assignee is invalid)", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.status)
			w.pd.err = tt.pdErr
			w.submit(t, tt.user, "V1", tt.callback, tt.values)
			if got := strings.Join(w.pd.writes, "; "); got != tt.wantWrite {
				t.Errorf("PagerDuty writes = %q, want %q", got, tt.wantWrite)
			}
			for _, from := range w.pd.froms {
				if from != "alice@example.com" {
					t.Errorf("written as %q, want alice's email", from)
				}
			}
			told := strings.Join(w.slack.told, "\n")
			if tt.wantTold == "" && told != "" || !strings.Contains(told, tt.wantTold) {
				t.Errorf("told the clicker %q, want %q", told, tt.wantTold)
			}
			threads := strings.Join(w.slack.threads, "\n")
			if tt.wantThread == "" && threads != "" || !strings.Contains(threads, tt.wantThread) || len(w.slack.threads) > 1 {
				t.Errorf("thread lines %q, want one containing %q", threads, tt.wantThread)
			}
			var acts []string
			for _, a := range w.store.activities {
				acts = append(acts, a.Kind+": "+a.Detail)
			}
			if got := strings.Join(acts, "; "); got != tt.wantActivty {
				t.Errorf("activities = %q, want %q", got, tt.wantActivty)
			}
			if done := tt.wantActivty != ""; done != (w.store.dirty == 1 && w.cards.refreshed == 1) {
				t.Errorf("cards dirtied %d and refreshed %d times; want once each only when done", w.store.dirty, w.cards.refreshed)
			}
		})
	}
}

// A submission Slack delivers twice acts once; a responder already
// announced (by PagerDuty's webhook, say) is not announced again.
func TestActOnce(t *testing.T) {
	w := newWorld(t, domain.StatusAcknowledged)
	values := map[string]map[string]slack.BlockAction{
		blockTargets: {ActionTargets: {SelectedOptions: []slack.OptionBlockObject{{Value: "user:PBOB", Text: chat.Plain("Bob Ops")}, {Value: "user:PCAROL", Text: chat.Plain("Carol")}}}},
		blockMessage: {blockMessage: {Value: "help"}}}
	w.store.claimed["thread:Q1:responder:PBOB"] = true // the webhook came first
	w.submit(t, "U1", "V1", ViewResponders, values)
	w.submit(t, "U1", "V1", ViewResponders, values)
	if len(w.pd.writes) != 1 {
		t.Errorf("writes = %q, want one", w.pd.writes)
	}
	if len(w.slack.threads) != 1 || !strings.Contains(w.slack.threads[0], "asked Name of PCAROL to help") {
		t.Errorf("thread = %q, want Carol only, once", w.slack.threads)
	}
	// A second request for Bob and Carol: both announced already.
	w.submit(t, "U1", "V2", ViewResponders, values)
	if len(w.pd.writes) != 2 || len(w.slack.threads) != 1 {
		t.Errorf("writes %d, thread lines %q; want the request made and nothing said again", len(w.pd.writes), w.slack.threads)
	}
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name     string
		kind     string
		status   domain.Status
		user     string
		noPrios  bool
		wantView string
		wantTold string
	}{
		{"Reassign", KindReassign, domain.StatusTriggered, "U1", false, ViewReassign, ""},
		{"Snooze", KindSnooze, domain.StatusAcknowledged, "U1", false, ViewSnooze, ""},
		{"ErrSnoozeTriggered", KindSnooze, domain.StatusTriggered, "U1", false, "", "PagerDuty snoozes only acknowledged incidents. Acknowledge it first"},
		{"Priority", KindPriority, domain.StatusTriggered, "U1", false, ViewPriority, ""},
		{"ErrNoPriorities", KindPriority, domain.StatusTriggered, "U1", true, "", "has no incident priorities"},
		{"Responders", KindResponders, domain.StatusAcknowledged, "U1", false, ViewResponders, ""},
		{"ErrResolved", KindResponders, domain.StatusResolved, "U1", false, "", "#12 was already resolved by Bob Ops"},
		{"ErrNotLinked", KindReassign, domain.StatusTriggered, "U9", false, "", "Link account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.status)
			if tt.noPrios {
				w.pd.prios = nil
			}
			cb := slack.InteractionCallback{User: slack.User{ID: tt.user}, TriggerID: "T1", ResponseURL: "https://hooks/1",
				Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "C1"}}}}
			res := w.f.Open(tt.kind, "Q1", cb, &slack.BlockAction{ActionID: "incident.more", ActionTs: "1.1"})
			if err := res.Then(context.Background()); err != nil {
				t.Fatal(err)
			}
			var got string
			if len(w.slack.views) == 1 {
				got = w.slack.views[0].CallbackID
			}
			if got != tt.wantView {
				t.Errorf("modal %q, want %q", got, tt.wantView)
			}
			told := strings.Join(w.slack.told, "\n")
			if tt.wantTold == "" && told != "" || !strings.Contains(told, tt.wantTold) {
				t.Errorf("told %q, want %q", told, tt.wantTold)
			}
			if len(w.pd.writes) != 0 {
				t.Errorf("opening wrote to PagerDuty: %q", w.pd.writes)
			}
		})
	}
}

// PagerDuty too slow for the trigger ID: the person is told so rather
// than left with nothing (or a form that failed to open).
func TestOpenWhilePagerDutyIsSlow(t *testing.T) {
	defer func(b time.Duration) { openBudget = b }(openBudget)
	openBudget = 20 * time.Millisecond
	w := newWorld(t, domain.StatusAcknowledged)
	w.pd.hang = true
	cb := slack.InteractionCallback{User: slack.User{ID: "U1"}, TriggerID: "T1", ResponseURL: "https://hooks/1"}
	res := w.f.Open(KindSnooze, "Q1", cb, &slack.BlockAction{ActionID: "incident.more", ActionTs: "1.1"})
	if err := res.Then(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(w.slack.views) != 0 || len(w.slack.told) != 1 || !strings.Contains(w.slack.told[0], "PagerDuty is slow to answer") {
		t.Errorf("views %d, told %q; want no form and the reason", len(w.slack.views), w.slack.told)
	}
}
