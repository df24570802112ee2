package oncallgroups

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// fakeSlack is a workspace with user groups, for Sync.
type fakeSlack struct {
	groups  map[string][]string
	emails  map[string]string
	free    bool
	updates int
	posted  []string
}

func (s *fakeSlack) Respond(context.Context, string, chat.Message) error { return nil }
func (s *fakeSlack) PostEphemeral(context.Context, string, string, chat.Message) error {
	return nil
}
func (s *fakeSlack) PostMessage(_ context.Context, _ string, m chat.Message) (string, error) {
	s.posted = append(s.posted, m.Text)
	return "1.0", nil
}
func (s *fakeSlack) OpenView(context.Context, string, slack.ModalViewRequest) (string, error) {
	return "V1", nil
}
func (s *fakeSlack) UserGroups(context.Context) ([]domain.UserGroup, error) {
	if s.free {
		return nil, domain.ErrPaidPlanOnly
	}
	var out []domain.UserGroup
	for id, m := range s.groups {
		out = append(out, domain.UserGroup{ID: id, Handle: "oncall", Members: slices.Clone(m)})
	}
	return out, nil
}
func (s *fakeSlack) UpdateUserGroupMembers(_ context.Context, id string, users []string) error {
	s.updates++
	s.groups[id] = slices.Clone(users)
	return nil
}
func (s *fakeSlack) UserIDByEmail(_ context.Context, email string) (string, error) {
	if id, ok := s.emails[email]; ok {
		return id, nil
	}
	return "", domain.ErrNotFound
}

type fakeStore struct{ ties []domain.OnCallGroup }

func (s *fakeStore) SaveOnCallGroup(_ context.Context, g domain.OnCallGroup) (int64, error) {
	g.ID = int64(len(s.ties) + 1)
	s.ties = append(s.ties, g)
	return g.ID, nil
}
func (s *fakeStore) OnCallGroups(context.Context) ([]domain.OnCallGroup, error) {
	return slices.Clone(s.ties), nil
}
func (s *fakeStore) OnCallGroup(_ context.Context, id int64) (domain.OnCallGroup, error) {
	return s.ties[id-1], nil
}
func (s *fakeStore) DeleteOnCallGroup(context.Context, int64) error { return nil }
func (s *fakeStore) SetOnCallGroupState(_ context.Context, id int64, members []string, gap, free bool) error {
	t := &s.ties[id-1]
	t.Members, t.GapWarned, t.FreePlanWarned = members, gap, free
	return nil
}

type fakePD struct{ entries []domain.OnCall }

func (p *fakePD) OnCallsFor(context.Context, string, string, int, time.Duration) ([]domain.OnCall, error) {
	return p.entries, nil
}
func (p *fakePD) EscalationPolicies(context.Context) ([]domain.EscalationPolicy, error) {
	return nil, nil
}

// TestSync runs rounds of Sync against fakes: each step sets who is on
// call (by email) and the plan, and says what the rounds must do.
func TestSync(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	person := func(email string) domain.OnCall {
		return domain.OnCall{User: domain.Person{ID: "P" + email, Email: email}, Start: now.Add(-time.Hour), End: now.Add(time.Hour)}
	}
	sl := &fakeSlack{groups: map[string][]string{"S1": {"U9"}}, emails: map[string]string{"alice@x": "U1", "bob@x": "U2"}}
	store := &fakeStore{ties: []domain.OnCallGroup{{ID: 1, GroupID: "S1", Handle: "oncall", ScheduleID: "PS1", SourceName: "Primary", ChannelID: "C1"}}}
	pd := &fakePD{}
	f := &Feature{Slack: sl, Store: store, PagerDuty: pd, Clock: scheduler.NewFakeClock(now), Log: zerolog.Nop()}
	for _, step := range []struct {
		name        string
		onCall      []string
		free        bool
		rounds      int
		wantMembers []string
		wantUpdates int
		wantPosted  []string
	}{
		{"FirstSyncReplaces", []string{"alice@x"}, false, 2, []string{"U1"}, 1, nil},
		{"ShiftChange", []string{"bob@x"}, false, 3, []string{"U2"}, 2, nil},
		{"GapKeepsBobWarnsOnce", nil, false, 3, []string{"U2"}, 2, []string{"Nobody I can find in Slack is on call for *Primary* now. @oncall keeps <@U2>"}},
		{"NobodyFoundInSlackIsAGap", []string{"dave@x"}, false, 2, []string{"U2"}, 2, []string{"Nobody"}},
		{"BackAfterGap", []string{"alice@x", "bob@x"}, false, 2, []string{"U1", "U2"}, 3, []string{"Nobody"}},
		{"SecondGapWarnedAgain", nil, false, 2, []string{"U1", "U2"}, 3, []string{"Nobody", "Nobody"}},
		{"FreePlanSaidOnce", []string{"alice@x"}, true, 3, []string{"U1", "U2"}, 3, []string{"Nobody", "Nobody", "need a paid Slack plan"}},
	} {
		t.Run(step.name, func(t *testing.T) {
			pd.entries = nil
			for _, e := range step.onCall {
				pd.entries = append(pd.entries, person(e))
			}
			sl.free = step.free
			for range step.rounds {
				if next, ties := f.Sync(context.Background()); !ties || (len(step.onCall) > 0 && !step.free && !next.Equal(now.Add(time.Hour))) {
					t.Errorf("Sync = %v, %v; want the shift's end and ties", next, ties)
				}
			}
			if got := sl.groups["S1"]; !slices.Equal(got, step.wantMembers) {
				t.Errorf("members = %v, want %v", got, step.wantMembers)
			}
			if sl.updates != step.wantUpdates {
				t.Errorf("%d updates, want %d", sl.updates, step.wantUpdates)
			}
			if len(sl.posted) != len(step.wantPosted) {
				t.Fatalf("posted %q, want %d messages", sl.posted, len(step.wantPosted))
			}
			for i, want := range step.wantPosted {
				if !strings.Contains(sl.posted[i], want) {
					t.Errorf("message %d = %q, want %q in it", i, sl.posted[i], want)
				}
			}
		})
	}
}

func TestTieInput(t *testing.T) {
	opt := func(value, text string) slack.OptionBlockObject {
		return slack.OptionBlockObject{Value: value, Text: &slack.TextBlockObject{Type: "plain_text", Text: text}}
	}
	sel := func(o slack.OptionBlockObject) slack.BlockAction { return slack.BlockAction{SelectedOption: o} }
	group := map[string]slack.BlockAction{"group": sel(opt("S1", "@oncall-primary"))}
	for _, c := range []struct {
		name    string
		values  map[string]map[string]slack.BlockAction
		want    domain.OnCallGroup
		errKeys []string
	}{
		{"Schedule", map[string]map[string]slack.BlockAction{"group": group, "schedule": {ActionSchedule: sel(opt("PS1", "Primary"))}},
			domain.OnCallGroup{GroupID: "S1", Handle: "oncall-primary", ScheduleID: "PS1", SourceName: "Primary"}, nil},
		{"PolicyLevel", map[string]map[string]slack.BlockAction{"group": group, "policy": {"policy": sel(opt("PEP1", "Web Ops"))}, "level": {"level": sel(opt("2", "Level 2"))}},
			domain.OnCallGroup{GroupID: "S1", Handle: "oncall-primary", PolicyID: "PEP1", SourceName: "Web Ops", Level: 2}, nil},
		{"Both", map[string]map[string]slack.BlockAction{"group": group, "schedule": {ActionSchedule: sel(opt("PS1", "Primary"))}, "policy": {"policy": sel(opt("PEP1", "Web Ops"))}},
			domain.OnCallGroup{GroupID: "S1", Handle: "oncall-primary"}, []string{"policy"}},
		{"Neither", map[string]map[string]slack.BlockAction{"group": group},
			domain.OnCallGroup{GroupID: "S1", Handle: "oncall-primary"}, []string{"schedule"}},
		{"NoGroup", map[string]map[string]slack.BlockAction{"schedule": {ActionSchedule: sel(opt("PS1", "Primary"))}},
			domain.OnCallGroup{ScheduleID: "PS1", SourceName: "Primary"}, []string{"group"}},
		{"PolicyWithoutLevel", map[string]map[string]slack.BlockAction{"group": group, "policy": {"policy": sel(opt("PEP1", "Web Ops"))}},
			domain.OnCallGroup{GroupID: "S1", Handle: "oncall-primary", PolicyID: "PEP1", SourceName: "Web Ops"}, []string{"level"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, errs := tieInput(c.values)
			var keys []string
			for k := range errs {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if (len(c.errKeys) == 0 && !reflect.DeepEqual(got, c.want)) || !slices.Equal(keys, c.errKeys) {
				t.Errorf("tieInput = %+v, %v; want %+v, errors on %v", got, errs, c.want, c.errKeys)
			}
			if len(c.errKeys) == 0 {
				got.ChannelID = "C1" // the submission adds where it was made
				if err := got.Validate(); err != nil {
					t.Errorf("a valid modal gave an invalid tie: %v", err)
				}
			}
		})
	}
}
