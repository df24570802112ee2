package bot

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/metrics"
)

func TestUserGroups(t *testing.T) {
	fake := slackfake.New(slackfake.Options{})
	t.Cleanup(fake.Close)
	fake.AddUser(slackfake.User{ID: "U1", Name: "alice", Email: "alice@example.com"})
	fake.AddUser(slackfake.User{ID: "U2", Name: "bob", Email: "bob@example.com"})
	fake.AddUserGroup(slackfake.UserGroup{ID: "S1", Handle: "oncall-primary", Name: "On-call primary", Users: []string{"U1"}})
	m := metrics.New()
	sc := SlackConfig{AppToken: fake.AppToken(), BotToken: fake.BotToken(), APIURL: fake.URL()}
	web := NewWebAPI(NewSlackClient(sc, m, zerolog.New(io.Discard)), sc, m)
	ctx := context.Background()

	groups, err := web.UserGroups(ctx)
	if err != nil || len(groups) != 1 || groups[0].Handle != "oncall-primary" || !slices.Equal(groups[0].Members, []string{"U1"}) {
		t.Fatalf("UserGroups = %+v, %v", groups, err)
	}
	if err := web.UpdateUserGroupMembers(ctx, "S1", []string{"U2", "U1"}); err != nil {
		t.Fatal(err)
	}
	if got, err := web.UserGroupMembers(ctx, "S1"); err != nil || len(got) != 2 {
		t.Errorf("UserGroupMembers = %v, %v", got, err)
	}
	if err := web.UpdateUserGroupMembers(ctx, "S1", nil); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("emptying: err = %v", err)
	}
	if id, err := web.UserIDByEmail(ctx, "bob@example.com"); err != nil || id != "U2" {
		t.Errorf("UserIDByEmail = %q, %v", id, err)
	}
	if _, err := web.UserIDByEmail(ctx, "nobody@example.com"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown email: err = %v", err)
	}
	fake.SetFreePlan(true)
	if _, err := web.UserGroups(ctx); !errors.Is(err, domain.ErrPaidPlanOnly) {
		t.Errorf("free plan list: err = %v", err)
	}
	if err := web.UpdateUserGroupMembers(ctx, "S1", []string{"U1"}); !errors.Is(err, domain.ErrPaidPlanOnly) {
		t.Errorf("free plan update: err = %v", err)
	}
}
