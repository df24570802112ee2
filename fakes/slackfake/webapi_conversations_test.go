package slackfake

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// people adds alice and bob, and a bot user.
func people(f *Server) {
	f.AddUser(User{ID: "UALICE", Name: "alice", Email: "alice@example.com"})
	f.AddUser(User{ID: "UBOB", Name: "bob", Email: "bob@example.com"})
	f.AddUser(User{ID: "UHELPER", Name: "helper", IsBot: true})
}

func TestConversationsCreate(t *testing.T) {
	f := newFake(t, fastOptions())
	api := apiFor(f)
	ctx := context.Background()
	ch, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "inc-42-db-down"})
	if err != nil {
		t.Fatal(err)
	}
	if ch.ID == "" || ch.Name != "inc-42-db-down" || ch.IsPrivate || ch.Creator != f.BotUserID() {
		t.Errorf("got channel %+v, want public inc-42-db-down created by the bot", ch)
	}
	if id, ok := f.ChannelByName("inc-42-db-down"); !ok || id != ch.ID {
		t.Errorf("ChannelByName = %q %v, want %q", id, ok, ch.ID)
	}
	if got := f.ChannelMembers(ch.ID); !slices.Equal(got, []string{f.BotUserID()}) {
		t.Errorf("members %v, want the bot", got)
	}
	priv, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "inc-43", IsPrivate: true})
	if err != nil || !priv.IsPrivate {
		t.Errorf("private create = %+v, %v", priv, err)
	}
	info, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: ch.ID})
	if err != nil || info.Name != "inc-42-db-down" || info.IsArchived {
		t.Errorf("conversations.info = %+v, %v", info, err)
	}

	for _, tc := range []struct{ name, want string }{
		{"inc-42-db-down", "name_taken"},
		{"", "invalid_name_required"},
		{"Inc-42", "invalid_name_specials"},
		{"inc 42", "invalid_name_specials"},
		{"inc.42", "invalid_name_specials"},
		{"---", "invalid_name_punctuation"},
		{strings.Repeat("a", 81), "invalid_name_maxlength"},
	} {
		t.Run(tc.want+"/"+tc.name, func(t *testing.T) {
			_, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: tc.name})
			slackErr(t, err, tc.want)
		})
	}
	if _, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: strings.Repeat("a", 80)}); err != nil {
		t.Errorf("80-char name: %v", err)
	}
}

func TestConversationsInviteArchive(t *testing.T) {
	f := newFake(t, fastOptions())
	people(f)
	api := apiFor(f)
	ctx := context.Background()
	ch, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "inc-7"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := api.InviteUsersToConversationContext(ctx, ch.ID, "UALICE", "UBOB")
	if err != nil || got.ID != ch.ID {
		t.Fatalf("invite = %+v, %v", got, err)
	}
	if want := []string{f.BotUserID(), "UALICE", "UBOB"}; !slices.Equal(f.ChannelMembers(ch.ID), want) {
		t.Errorf("members %v, want %v", f.ChannelMembers(ch.ID), want)
	}
	for _, tc := range []struct {
		name, channel string
		users         []string
		want          string
	}{
		{"Already", ch.ID, []string{"UALICE"}, "already_in_channel"},
		{"Self", ch.ID, []string{f.BotUserID()}, "cant_invite_self"},
		{"Unknown", ch.ID, []string{"UNOBODY"}, "user_not_found"},
		{"None", ch.ID, nil, "no_user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.InviteUsersToConversationContext(ctx, tc.channel, tc.users...)
			slackErr(t, err, tc.want)
		})
	}
	if len(f.ChannelMembers(ch.ID)) != 3 {
		t.Errorf("refused invites changed members: %v", f.ChannelMembers(ch.ID))
	}
	listed, next, err := api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: ch.ID, Limit: 2})
	if err != nil || !slices.Equal(listed, []string{f.BotUserID(), "UALICE"}) || next != "2" {
		t.Errorf("conversations.members = %v next %q, %v", listed, next, err)
	}

	if err := api.ArchiveConversationContext(ctx, ch.ID); err != nil {
		t.Fatal(err)
	}
	if !f.ChannelArchived(ch.ID) {
		t.Error("channel not archived")
	}
	slackErr(t, api.ArchiveConversationContext(ctx, ch.ID), "already_archived")
	_, err = api.InviteUsersToConversationContext(ctx, ch.ID, "UHELPER")
	slackErr(t, err, "is_archived")
	_, _, err = api.PostMessageContext(ctx, ch.ID, slack.MsgOptionText("late", false))
	slackErr(t, err, "is_archived")

	strict := newFake(t, Options{StrictChannels: true, PostRate: -1})
	_, err = apiFor(strict).InviteUsersToConversationContext(ctx, "CNOPE", "UALICE")
	slackErr(t, err, "channel_not_found")
	slackErr(t, apiFor(strict).ArchiveConversationContext(ctx, "CNOPE"), "channel_not_found")
}

func TestUserGroupsUsers(t *testing.T) {
	f := newFake(t, fastOptions())
	people(f)
	f.AddUserGroup(UserGroup{ID: "S1", Handle: "oncall-primary", Name: "On call", Users: []string{"UALICE"}})
	api := apiFor(f)
	ctx := context.Background()

	g, err := api.UpdateUserGroupMembersContext(ctx, "S1", "UBOB,UALICE")
	if err != nil || g.ID != "S1" || !slices.Equal(g.Users, []string{"UBOB", "UALICE"}) {
		t.Fatalf("update = %+v, %v", g, err)
	}
	members, err := api.GetUserGroupMembersContext(ctx, "S1")
	if err != nil || !slices.Equal(members, []string{"UBOB", "UALICE"}) {
		t.Errorf("users.list = %v, %v", members, err)
	}
	if got := f.UserGroupMembers("S1"); !slices.Equal(got, []string{"UBOB", "UALICE"}) {
		t.Errorf("UserGroupMembers = %v", got)
	}
	for _, tc := range []struct{ name, group, users, want string }{
		{"Empty", "S1", "", "no_users_provided"},
		{"Unknown", "S1", "UBOB,UNOBODY", "invalid_users"},
		{"Bot", "S1", "UHELPER", "invalid_users"},
		{"NoGroup", "SNOPE", "UBOB", "no_such_subteam"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.UpdateUserGroupMembersContext(ctx, tc.group, tc.users)
			slackErr(t, err, tc.want)
		})
	}
	if got := f.UserGroupMembers("S1"); len(got) != 2 {
		t.Errorf("refused updates changed the group: %v", got)
	}
	f.SetFreePlan(true)
	_, err = api.UpdateUserGroupMembersContext(ctx, "S1", "UBOB")
	slackErr(t, err, "paid_teams_only")
	_, err = api.GetUserGroupMembersContext(ctx, "S1")
	slackErr(t, err, "paid_teams_only")
}

func TestUsersList(t *testing.T) {
	f := newFake(t, fastOptions())
	people(f)
	users, err := apiFor(f).GetUsersContext(context.Background(), slack.GetUsersOptionLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	if want := []string{"UALICE", "UBOB", "UHELPER"}; !slices.Equal(ids, want) {
		t.Errorf("got %v, want %v (over two pages)", ids, want)
	}
	if !users[2].IsBot || users[0].Profile.Email != "alice@example.com" {
		t.Errorf("got %+v", users)
	}
}
