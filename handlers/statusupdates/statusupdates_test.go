package statusupdates

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
	goldenfile "github.com/tobanbot/toban/internal/golden"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

var alice = domain.Person{ID: "PU1", Name: "Alice Ops", Email: "alice@example.com"}

// fakeSlack records what toban says, by channel (thread replies as
// "C1/ts: text", ephemerals as "ephemeral U1: text").
type fakeSlack struct {
	mu    sync.Mutex
	said  []string
	views []slack.ModalViewRequest
}

func (s *fakeSlack) say(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.said = append(s.said, line)
}

func (s *fakeSlack) Respond(_ context.Context, _ string, msg chat.Message) error {
	s.say("respond: " + msg.Text)
	return nil
}

func (s *fakeSlack) PostEphemeral(_ context.Context, channel, user string, msg chat.Message) error {
	s.say("ephemeral " + user + ": " + msg.Text)
	return nil
}

func (s *fakeSlack) PostMessage(_ context.Context, channel string, msg chat.Message) (string, error) {
	where := channel
	if msg.ThreadTS != "" {
		where += "/" + msg.ThreadTS
	}
	s.say(where + ": " + msg.Text)
	return "1.000", nil
}

func (s *fakeSlack) OpenView(_ context.Context, _ string, v slack.ModalViewRequest) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.views = append(s.views, v)
	return "V1", nil
}

func (s *fakeSlack) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.said...)
}

type fakePD struct {
	incidents map[string]domain.Incident
	posted    []string // "from: message"
}

func (p *fakePD) Incident(_ context.Context, id string) (domain.Incident, error) {
	inc, ok := p.incidents[id]
	if !ok {
		return domain.Incident{}, fmt.Errorf("incident %s: %w", id, domain.ErrNotFound)
	}
	return inc, nil
}

func (p *fakePD) PostStatusUpdate(_ context.Context, from domain.Person, incidentID, message string) (domain.StatusUpdate, error) {
	p.posted = append(p.posted, from.Email+": "+message)
	return domain.StatusUpdate{ID: fmt.Sprintf("PSU%d", len(p.posted)), IncidentID: incidentID, Message: message, By: from}, nil
}

type fakeStore struct {
	claimed    map[string]bool
	cards      map[string][]domain.Card
	subs       []domain.Subscription
	activities []domain.Activity
}

func (s *fakeStore) FirstClick(_ context.Context, key string) (bool, error) {
	if s.claimed[key] {
		return false, nil
	}
	s.claimed[key] = true
	return true, nil
}

func (s *fakeStore) CardsForIncident(_ context.Context, id string) ([]domain.Card, error) {
	return s.cards[id], nil
}

func (s *fakeStore) SubscriptionsFor(_ context.Context, serviceID string) ([]domain.Subscription, error) {
	var out []domain.Subscription
	for _, sub := range s.subs {
		if sub.ServiceID == serviceID {
			out = append(out, sub)
		}
	}
	return out, nil
}

func (s *fakeStore) RecordActivity(_ context.Context, a domain.Activity) error {
	s.activities = append(s.activities, a)
	return nil
}

type actors map[string]domain.Person

func (a actors) ActingAs(_ context.Context, slackUserID string) (domain.Person, error) {
	if p, ok := a[slackUserID]; ok {
		return p, nil
	}
	return domain.Person{}, &identity.NotLinkedError{Email: slackUserID + "@example.com"}
}

// world is a feature with incident Q1 (Checkout API, high urgency), its
// card in C1 and a stakeholders' channel CS.
func world() (*Feature, *fakeSlack, *fakePD, *fakeStore) {
	s := &fakeSlack{}
	pd := &fakePD{incidents: map[string]domain.Incident{"Q1": {ID: "Q1", Number: 42, Title: "Orders <failing>", ServiceID: "PSVC1",
		ServiceName: "Checkout API", Urgency: "high", Status: domain.StatusResolved, URL: "https://pd.example/incidents/Q1"}}}
	st := &fakeStore{claimed: map[string]bool{},
		cards: map[string][]domain.Card{"Q1": {{IncidentID: "Q1", ChannelID: "C1", TS: "100.1"}}},
		subs: []domain.Subscription{
			{ChannelID: "C1", ServiceID: "PSVC1", Urgencies: []string{"high"}},
			{ChannelID: "CS", ServiceID: "PSVC1", Urgencies: []string{"high"}, Stakeholders: true},
			{ChannelID: "CLOW", ServiceID: "PSVC1", Urgencies: []string{"low"}, Stakeholders: true},
		}}
	f := &Feature{Slack: s, PagerDuty: pd, Store: st, Identity: actors{"U1": alice}, Now: func() time.Time { return now }, Log: zerolog.Nop()}
	return f, s, pd, st
}

func TestPostModal(t *testing.T) {
	goldenfile.JSON(t, "post_modal", postModal(chat.ModalState{IncidentID: "Q1", ChannelID: "C1", MessageTS: "100.1"}))
}

func TestMessageInput(t *testing.T) {
	long := strings.Repeat("é", domain.MaxStatusUpdateLength)
	for _, tt := range []struct {
		name, typed, want, err string
	}{
		{"OK", "  Fix deploying, next update 12:30 \n", "Fix deploying, next update 12:30", ""},
		{"Multiline", "Cause found.\nRolling back.", "Cause found.\nRolling back.", ""},
		{"AtTheLimit", long, long, ""},
		{"ErrEmpty", "", "", "empty"},
		{"ErrBlank", " \n\t ", "", "empty"},
		{"ErrTooLong", long + "x", "", "longer than 3000 characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := messageInput(map[string]map[string]slack.BlockAction{blockMessage: {actionMessage: {Value: tt.typed}}})
			if got != tt.want || (tt.err == "") != (len(errs) == 0) || !strings.Contains(errs[blockMessage], tt.err) {
				t.Errorf("got %q, %v; want %q and an error with %q", got, errs, tt.want, tt.err)
			}
		})
	}
}

func submission(viewID, incidentID, text string) slack.InteractionCallback {
	cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "U1"}}
	cb.View = slack.View{ID: viewID, CallbackID: ViewPost,
		PrivateMetadata: chat.ModalState{IncidentID: incidentID, ChannelID: "C1", MessageTS: "100.1"}.Encode()}
	cb.View.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{blockMessage: {actionMessage: {Value: text}}}}
	return cb
}

func run(t *testing.T, res chat.Response) error {
	t.Helper()
	if res.Then == nil {
		t.Fatalf("no work after the ack: %+v", res.Ack)
	}
	return res.Then(context.Background())
}

// A submission posts as the clicker once, on a resolved incident too, and
// shows the update in the card's thread and the stakeholders' channel.
func TestSubmission(t *testing.T) {
	f, s, pd, st := world()
	ctx := context.Background()
	for range 2 { // Slack delivers the submission twice
		if err := run(t, f.Submission(ctx, submission("V1", "Q1", "Rolled back; watching"))); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(pd.posted, "|") != "alice@example.com: Rolled back; watching" {
		t.Errorf("PagerDuty got %q, want one update from alice", pd.posted)
	}
	want := []string{
		"C1/100.1: :loudspeaker: Status update by <@U1>:\n> Rolled back; watching",
		"CS: :loudspeaker: <https://pd.example/incidents/Q1|[#42] Orders &lt;failing&gt; (Checkout API)>\nStatus update by <@U1>:\n> Rolled back; watching",
	}
	if got := s.lines(); strings.Join(got, "\n--\n") != strings.Join(want, "\n--\n") {
		t.Errorf("said:\n%s\nwant:\n%s", strings.Join(got, "\n--\n"), strings.Join(want, "\n--\n"))
	}
	if len(st.activities) != 1 || st.activities[0].Kind != "status_update" || st.activities[0].Detail != "Rolled back; watching" ||
		st.activities[0].SlackUserID != "U1" || st.activities[0].PDUserID != "PU1" || !st.activities[0].At.Equal(now) {
		t.Errorf("activities = %+v", st.activities)
	}
	// PagerDuty's webhook about the same update shows nothing new.
	if err := f.FeedEvent(ctx, domain.IncidentEvent{ID: "E1", Type: domain.EventStatusUpdatePublished, IncidentID: "Q1",
		StatusUpdate: &domain.StatusUpdate{ID: "PSU1", Message: "Rolled back; watching", By: alice}}); err != nil {
		t.Fatal(err)
	}
	if got := s.lines(); len(got) != 2 {
		t.Errorf("the echo said more: %q", got[2:])
	}
}

func TestSubmissionRefused(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		cb     func() slack.InteractionCallback
		ackHas string
	}{
		{"EmptyMessage", func() slack.InteractionCallback { return submission("V1", "Q1", "   ") }, `"message":"The status update is empty."`},
		{"OlderForm", func() slack.InteractionCallback {
			cb := submission("V1", "Q1", "x")
			cb.View.PrivateMetadata = "not json"
			return cb
		}, "older toban"},
		{"NoState", func() slack.InteractionCallback {
			cb := submission("V1", "Q1", "x")
			cb.View.State = nil
			return cb
		}, `"message":"The status update is empty."`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, s, pd, _ := world()
			res := f.Submission(ctx, tt.cb())
			ack, _ := json.Marshal(res.Ack)
			if res.Then != nil || !strings.Contains(string(ack), tt.ackHas) {
				t.Errorf("ack = %s (then: %v), want field errors with %q", ack, res.Then != nil, tt.ackHas)
			}
			if len(pd.posted) != 0 || len(s.lines()) != 0 {
				t.Errorf("refused form still posted: %q %q", pd.posted, s.lines())
			}
		})
	}
	t.Run("NotLinked", func(t *testing.T) {
		f, s, pd, _ := world()
		cb := submission("V1", "Q1", "Update")
		cb.User.ID = "U9"
		if err := run(t, f.Submission(ctx, cb)); err != nil {
			t.Fatal(err)
		}
		if len(pd.posted) != 0 || len(s.lines()) != 1 || !strings.Contains(s.lines()[0], "ephemeral U9: :bust_in_silhouette: No PagerDuty user") {
			t.Errorf("PagerDuty got %q; said %q; want the link prompt only", pd.posted, s.lines())
		}
	})
	t.Run("IncidentGone", func(t *testing.T) {
		f, _, pd, _ := world()
		err := run(t, f.Submission(ctx, submission("V2", "QGONE", "Update")))
		if !strings.Contains(chat.UserMessage(err), "could not find") || len(pd.posted) != 0 {
			t.Errorf("err = %v, posted %q; want not found and nothing posted", err, pd.posted)
		}
	})
}

// A status update published in PagerDuty, delivered twice, shows once in
// the thread and once in the stakeholders' channel of its urgency.
func TestFeedStatusUpdate(t *testing.T) {
	f, s, _, _ := world()
	ev := domain.IncidentEvent{ID: "E1", Type: domain.EventStatusUpdatePublished, IncidentID: "Q1",
		StatusUpdate: &domain.StatusUpdate{ID: "PSU9", Message: "ETA 13:00", By: domain.Person{ID: "PU2", Name: "Bob Ops"}}}
	for range 2 {
		if err := f.FeedEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"C1/100.1: :loudspeaker: PagerDuty: Bob Ops posted a status update:\n> ETA 13:00",
		"CS: :loudspeaker: <https://pd.example/incidents/Q1|[#42] Orders &lt;failing&gt; (Checkout API)>\nPagerDuty: Bob Ops posted a status update:\n> ETA 13:00",
	}
	if got := s.lines(); strings.Join(got, "\n--\n") != strings.Join(want, "\n--\n") {
		t.Errorf("said:\n%s\nwant:\n%s", strings.Join(got, "\n--\n"), strings.Join(want, "\n--\n"))
	}
}

func TestFeedResponders(t *testing.T) {
	carol := domain.Person{ID: "PU3", Name: "Carol"}
	bob := domain.Person{ID: "PU2", Name: "Bob Ops"}
	ev := func(typ, state string, requestedBy domain.Person) domain.IncidentEvent {
		return domain.IncidentEvent{ID: typ + state, Type: typ, IncidentID: "Q1",
			Responder: &domain.Responder{User: carol, State: state, RequestedBy: requestedBy}}
	}
	for _, tt := range []struct {
		name   string
		events []domain.IncidentEvent
		toban  bool // toban asked Carol itself (its line holds the key)
		want   string
	}{
		{"AddedTwice", []domain.IncidentEvent{ev(domain.EventResponderAdded, "pending", bob), ev(domain.EventResponderAdded, "pending", bob)}, false,
			"C1/100.1: :sos: Carol was asked to help by Bob Ops."},
		{"AddedByToban", []domain.IncidentEvent{ev(domain.EventResponderAdded, "pending", bob)}, true, ""},
		{"Accepted", []domain.IncidentEvent{ev(domain.EventResponderReplied, "joined", domain.Person{}), ev(domain.EventResponderReplied, "joined", domain.Person{})}, false,
			"C1/100.1: :white_check_mark: Carol accepted the request to help."},
		{"Declined", []domain.IncidentEvent{ev(domain.EventResponderReplied, "declined", domain.Person{})}, false,
			"C1/100.1: :no_entry_sign: Carol declined the request to help."},
		{"StillPending", []domain.IncidentEvent{ev(domain.EventResponderReplied, "pending", domain.Person{})}, false, ""},
		{"OtherEvents", []domain.IncidentEvent{{ID: "E", Type: domain.EventAcknowledged, IncidentID: "Q1"}, {ID: "E", Type: domain.EventStatusUpdatePublished, IncidentID: "Q1"}}, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, s, _, st := world()
			if tt.toban {
				st.claimed["thread:Q1:responder:PU3"] = true
			}
			for _, e := range tt.events {
				if err := f.FeedEvent(context.Background(), e); err != nil {
					t.Fatal(err)
				}
			}
			if got := strings.Join(s.lines(), "\n"); got != tt.want {
				t.Errorf("said %q, want %q", got, tt.want)
			}
		})
	}
}

// A status update on an incident PagerDuty no longer has still shows in
// its cards' threads (its stakeholders' channels are unknown), and the
// feed does not retry it.
func TestFeedStatusUpdateIncidentGone(t *testing.T) {
	f, s, _, st := world()
	st.cards["QGONE"] = []domain.Card{{IncidentID: "QGONE", ChannelID: "C1", TS: "200.1"}}
	ev := domain.IncidentEvent{ID: "E1", Type: domain.EventStatusUpdatePublished, IncidentID: "QGONE",
		StatusUpdate: &domain.StatusUpdate{ID: "PSU9", Message: "Closed", By: domain.Person{ID: "PU2", Name: "Bob Ops"}}}
	if err := f.FeedEvent(context.Background(), ev); err != nil {
		t.Fatalf("err = %v, want none (a retry cannot find the incident either)", err)
	}
	want := "C1/200.1: :loudspeaker: PagerDuty: Bob Ops posted a status update:\n> Closed"
	if got := strings.Join(s.lines(), "\n--\n"); got != want {
		t.Errorf("said %q, want %q", got, want)
	}
}
