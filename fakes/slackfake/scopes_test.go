package slackfake

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/slack-go/slack"
)

func TestMissingScopeRefusedAsSlackDoes(t *testing.T) {
	opts := fastOptions()
	opts.BotScopes = []string{"chat:write", "channels:read"}
	f := newFake(t, opts)
	f.AddChannel("C1", "ops")
	api := apiFor(f)
	ctx := context.Background()

	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatalf("chat.postMessage with chat:write: %v", err)
	}
	_, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "inc-1-db"})
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "missing_scope" {
		t.Fatalf("conversations.create without channels:manage = %v, want missing_scope", err)
	}
	if _, ok := f.ChannelByName("inc-1-db"); ok {
		t.Error("the channel was created although the call was refused")
	}
	if _, err := api.GetUserGroupsContext(ctx); err == nil {
		t.Error("usergroups.list without usergroups:read succeeded")
	}
	// views.* and auth.test need no scope.
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Errorf("auth.test: %v", err)
	}
	if got, want := f.MissingScopes(), []string{"channels:manage", "groups:write", "usergroups:read"}; !slices.Equal(got, want) {
		t.Errorf("MissingScopes = %v, want %v", got, want)
	}
}

func TestEveryScopeGrantedByDefault(t *testing.T) {
	f := newFake(t, fastOptions())
	if _, err := apiFor(f).CreateConversationContext(context.Background(), slack.CreateConversationParams{ChannelName: "inc-2"}); err != nil {
		t.Fatalf("conversations.create with no BotScopes set: %v", err)
	}
}
