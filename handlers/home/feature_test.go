package home

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
	"github.com/tobanbot/toban/scheduler"
)

type fakeSlack struct {
	mu        sync.Mutex
	published []string // user IDs, in order
	views     map[string]slack.HomeTabViewRequest
	dms       []string
}

func (s *fakeSlack) Respond(context.Context, string, chat.Message) error { return nil }
func (s *fakeSlack) PostEphemeral(context.Context, string, string, chat.Message) error {
	return nil
}
func (s *fakeSlack) PostMessage(_ context.Context, channel string, msg chat.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dms = append(s.dms, channel+": "+msg.Text)
	return "1.1", nil
}
func (s *fakeSlack) PublishHome(_ context.Context, userID string, v slack.HomeTabViewRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.published = append(s.published, userID)
	if s.views == nil {
		s.views = map[string]slack.HomeTabViewRequest{}
	}
	s.views[userID] = v
	return nil
}
func (s *fakeSlack) UserZone(_ context.Context, userID string) (string, error) {
	if userID == "U1" {
		return "Europe/Paris", nil
	}
	return "", errors.New("users.info failed")
}

func (s *fakeSlack) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.published
	s.published = nil
	return out
}

type fakePD struct {
	incidents []domain.Incident
	oncalls   []domain.OnCall
	fail      error
	calls     int
}

func (p *fakePD) OpenIncidents(_ context.Context, f domain.IncidentFilter) ([]domain.Incident, error) {
	p.calls++
	if p.fail != nil {
		return nil, p.fail
	}
	var out []domain.Incident
	for _, inc := range p.incidents {
		for _, a := range inc.Assignees {
			for _, id := range f.UserIDs {
				if a.ID == id {
					out = append(out, inc)
				}
			}
		}
	}
	return out, nil
}

func (p *fakePD) OnCalls(context.Context, string) ([]domain.OnCall, error) { return p.oncalls, nil }

type fakeStore struct {
	viewers map[string]domain.HomeViewer
	tasks   []domain.Task
	occs    []domain.Occurrence
	now     func() time.Time
}

func (s *fakeStore) HomeOpened(_ context.Context, userID, zone string) error {
	v := s.viewers[userID]
	v.UserID, v.OpenedAt = userID, s.now()
	if zone != "" {
		v.Zone = zone
	}
	s.viewers[userID] = v
	return nil
}
func (s *fakeStore) HomeViewer(_ context.Context, userID string) (domain.HomeViewer, error) {
	v, ok := s.viewers[userID]
	if !ok {
		return v, domain.ErrNotFound
	}
	return v, nil
}
func (s *fakeStore) HomeViewers(_ context.Context, since time.Time, limit int) ([]domain.HomeViewer, error) {
	var out []domain.HomeViewer
	for _, id := range []string{"U1", "U2", "U3"} {
		if v, ok := s.viewers[id]; ok && !v.OpenedAt.Before(since) && len(out) < limit {
			out = append(out, v)
		}
	}
	return out, nil
}
func (s *fakeStore) SetHomePublished(_ context.Context, userID, hash string) error {
	v := s.viewers[userID]
	v.UserID, v.Hash = userID, hash
	s.viewers[userID] = v
	return nil
}
func (s *fakeStore) TasksCreatedBy(_ context.Context, userID string) ([]domain.Task, error) {
	var out []domain.Task
	for _, t := range s.tasks {
		if t.CreatedBy == userID {
			out = append(out, t)
		}
	}
	return out, nil
}
func (s *fakeStore) Task(_ context.Context, id string) (domain.Task, error) {
	for _, t := range s.tasks {
		if t.ID == id {
			return t, nil
		}
	}
	return domain.Task{}, domain.ErrNotFound
}
func (s *fakeStore) OccurrencesBetween(_ context.Context, from, to time.Time) ([]domain.Occurrence, error) {
	var out []domain.Occurrence
	for _, o := range s.occs {
		if !o.Due.Before(from) && o.Due.Before(to) {
			out = append(out, o)
		}
	}
	return out, nil
}

type fakeIdentity map[string]domain.Person

func (f fakeIdentity) ActingAs(_ context.Context, userID string) (domain.Person, error) {
	if p, ok := f[userID]; ok {
		return p, nil
	}
	return domain.Person{}, &identity.NotLinkedError{}
}

func newTestFeature() (*Feature, *fakeSlack, *fakePD, *fakeStore, *scheduler.FakeClock) {
	clock := scheduler.NewFakeClock(testNow)
	s := &fakeSlack{}
	pd := &fakePD{}
	st := &fakeStore{viewers: map[string]domain.HomeViewer{}, now: clock.Now}
	f := &Feature{Slack: s, Store: st, PagerDuty: pd, Identity: fakeIdentity{"U1": alicePD, "U2": bobPD},
		Buttons: testButtons, Location: time.UTC, Now: clock.Now, Clock: clock, Log: zerolog.Nop()}
	return f, s, pd, st, clock
}

func TestOpenedAndRefresh(t *testing.T) {
	ctx := context.Background()
	f, s, pd, st, _ := newTestFeature()
	pd.incidents = []domain.Incident{{ID: "PINC1", Number: 1, Title: "DB down", Status: domain.StatusTriggered, Assignees: []domain.Person{alicePD}}}

	if err := f.Opened("U1").Then(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.take(); len(got) != 1 || st.viewers["U1"].Zone != "Europe/Paris" || st.viewers["U1"].Hash == "" {
		t.Fatalf("opened: published %v, viewer %+v", got, st.viewers["U1"])
	}
	// Opening again with nothing changed sends nothing: Slack keeps the
	// published Home (and a publish that failed was not recorded, so the
	// next opening sends it).
	if err := f.Opened("U1").Then(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.take(); len(got) != 0 {
		t.Fatalf("opened again unchanged: published %v", got)
	}
	// A refresh with nothing changed sends nothing.
	if err := f.Refresh(ctx, "U1"); err != nil {
		t.Fatal(err)
	}
	if got := s.take(); len(got) != 0 {
		t.Fatalf("unchanged refresh published %v", got)
	}
	pd.incidents[0].Status = domain.StatusAcknowledged
	pd.incidents[0].Acknowledgements = []domain.Acknowledgement{{By: alicePD, At: testNow}}
	if err := f.Refresh(ctx, "U1"); err != nil {
		t.Fatal(err)
	}
	if got := s.take(); len(got) != 1 || !strings.Contains(text(s.views["U1"]), "Acknowledged by Alice Ops") {
		t.Fatalf("changed refresh published %v: %s", got, text(s.views["U1"]))
	}
	// A person whose zone Slack does not give still gets a Home.
	if err := f.Opened("U3").Then(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.take(); len(got) != 1 || !strings.Contains(text(s.views["U3"]), "Link account") {
		t.Fatalf("U3: published %v: %s", got, text(s.views["U3"]))
	}
}

func TestRefreshRecentPublishesOnlyChanges(t *testing.T) {
	ctx := context.Background()
	f, s, pd, st, clock := newTestFeature()
	for _, u := range []string{"U1", "U2"} {
		if err := f.Opened(u).Then(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s.take()
	pd.calls = 0
	f.refreshRecent(ctx)
	if got := s.take(); len(got) != 0 {
		t.Fatalf("nothing changed, yet published %v", got)
	}
	if pd.calls != 1 {
		t.Errorf("incident listings = %d, want 1 for all viewers", pd.calls)
	}
	// A new incident for Bob: only his Home is sent.
	pd.incidents = []domain.Incident{{ID: "PINC2", Number: 2, Title: "Cache cold", Status: domain.StatusTriggered, Assignees: []domain.Person{bobPD}}}
	f.refreshRecent(ctx)
	if got := s.take(); len(got) != 1 || got[0] != "U2" {
		t.Fatalf("published %v, want [U2]", got)
	}
	// PagerDuty failing keeps the Homes shown rather than worse ones.
	pd.fail = errors.New("503")
	pd.incidents = nil
	f.refreshRecent(ctx)
	if got := s.take(); len(got) != 0 {
		t.Fatalf("published %v while PagerDuty failed", got)
	}
	// Homes opened long ago are left alone.
	pd.fail = nil
	clock.Advance(Recent + time.Minute)
	f.refreshRecent(ctx)
	if got := s.take(); len(got) != 0 {
		t.Fatalf("published %v to people who opened their Home long ago", got)
	}
	_ = st
}

func TestTasksOfTheDay(t *testing.T) {
	ctx := context.Background()
	f, s, _, st, _ := newTestFeature()
	paris, _ := time.LoadLocation("Europe/Paris")
	daily := scheduler.Rule{Kind: scheduler.KindDaily, At: "18:00", Location: paris}
	st.tasks = []domain.Task{
		{ID: "t_1", Title: "Evening check", ChannelID: "C1", Rule: daily, CreatedBy: "U1"},
		{ID: "t_2", Title: "Bob's backup", ChannelID: "C2", Rule: daily, CreatedBy: "U2"},
		{ID: "t_3", Title: "Paused", ChannelID: "C1", Rule: daily, CreatedBy: "U1", Paused: true},
	}
	st.occs = []domain.Occurrence{
		{ID: "t_1@1", TaskID: "t_1", Due: testNow.Add(-2 * time.Hour), State: domain.OccPosted},
		{ID: "t_2@1", TaskID: "t_2", Due: testNow.Add(-26 * time.Hour), State: domain.OccStarted, StartedBy: "U1"},
		{ID: "t_2@2", TaskID: "t_2", Due: testNow.Add(-time.Hour), State: domain.OccPosted},
	}
	if err := f.Opened("U1").Then(ctx); err != nil {
		t.Fatal(err)
	}
	got := text(s.views["U1"])
	for _, want := range []string{"Evening check", "Bob's backup", "Started by <@U1>", `"value":"t_1@1"`, `"value":"t_2@1"`, "Its card is posted at the due time."} {
		if !strings.Contains(got, want) {
			t.Errorf("Home lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Paused") || strings.Contains(got, "t_2@2") {
		t.Errorf("Home shows a paused task or someone else's:\n%s", got)
	}
}

func TestChangedAnnouncesAtMostOnceASecond(t *testing.T) {
	f, _, _, _, clock := newTestFeature()
	var topics []string
	f.Announce = func(topic string) { topics = append(topics, topic) }
	f.Changed()
	f.Changed()
	clock.Advance(time.Second)
	f.ShowIncidents(context.Background(), []string{"PINC1"})
	if len(topics) != 2 || topics[0] != Topic {
		t.Errorf("announced %v, want twice %q", topics, Topic)
	}
	select {
	case <-f.wake.C():
	default:
		t.Error("Run was not woken")
	}
}

// TestOpeningWakesOnlyAnIdleLoop: the first opening wakes the refresh
// loop (asleep without a timer while nobody had a Home open) on every
// replica; an opening while others' Homes are kept current does not, or
// each look at a Home would re-render every recent one.
func TestOpeningWakesOnlyAnIdleLoop(t *testing.T) {
	ctx := context.Background()
	f, _, _, _, clock := newTestFeature()
	var topics []string
	f.Announce = func(topic string) { topics = append(topics, topic) }
	woken := func() bool {
		select {
		case <-f.wake.C():
			return true
		default:
			return false
		}
	}
	if err := f.Opened("U1").Then(ctx); err != nil {
		t.Fatal(err)
	}
	if !woken() || len(topics) != 1 {
		t.Fatalf("first opening: woken false or announced %v, want the loop woken and %q once", topics, Topic)
	}
	clock.Advance(2 * time.Second)
	if err := f.Opened("U2").Then(ctx); err != nil {
		t.Fatal(err)
	}
	if woken() || len(topics) != 1 {
		t.Errorf("opening while U1's Home is kept current woke the loop or announced %v", topics)
	}
	// Once every opening is older than Recent, the loop sleeps without a
	// timer again: the next opening wakes it.
	clock.Advance(Recent + time.Second)
	if err := f.Opened("U1").Then(ctx); err != nil {
		t.Fatal(err)
	}
	if !woken() || len(topics) != 2 {
		t.Errorf("opening after Recent: announced %v, want the loop woken and a second announce", topics)
	}
}

type fakeLinker struct{ linked fakeIdentity }

func (l fakeLinker) LinkSelf(_ context.Context, userID string) (chat.Message, error) {
	l.linked[userID] = domain.Person{ID: "PU3", Name: "Carol Ops"}
	return chat.Message{Text: "<@" + userID + "> is linked to PagerDuty user *Carol Ops*"}, nil
}

// TestLinkFromHome: the Link account button links, says so in a direct
// message (a Home has nowhere else to answer) and shows the Home linked.
func TestLinkFromHome(t *testing.T) {
	ctx := context.Background()
	f, s, _, _, _ := newTestFeature()
	ids := fakeIdentity{"U1": alicePD}
	f.Identity, f.Linker = ids, fakeLinker{ids}
	if err := f.Opened("U3").Then(ctx); err != nil {
		t.Fatal(err)
	}
	if got := text(s.views["U3"]); !strings.Contains(got, `"action_id":"home.link"`) {
		t.Fatalf("not-linked Home lacks the Link account button:\n%s", got)
	}
	cb := slack.InteractionCallback{User: slack.User{ID: "U3"}, View: slack.View{Type: slack.VTHomeTab}}
	res := f.Click(cb, &slack.BlockAction{ActionID: ActionLink, Value: "link"})
	if res.Then == nil {
		t.Fatal("Link account does nothing")
	}
	if err := res.Then(ctx); err != nil {
		t.Fatal(err)
	}
	if len(s.dms) != 1 || !strings.HasPrefix(s.dms[0], "U3: <@U3> is linked") {
		t.Errorf("direct messages = %q", s.dms)
	}
	if got := text(s.views["U3"]); strings.Contains(got, "Link account") || !strings.Contains(got, "Your shifts this week") {
		t.Errorf("Home after linking:\n%s", got)
	}
}
