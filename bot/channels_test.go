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

func TestChannels(t *testing.T) {
	fake := slackfake.New(slackfake.Options{StrictChannels: true})
	t.Cleanup(fake.Close)
	fake.AddUser(slackfake.User{ID: "U1", Name: "alice", Email: "alice@example.com"})
	fake.AddUser(slackfake.User{ID: "U2", Name: "bob", Email: "bob@example.com"})
	m := metrics.New()
	sc := SlackConfig{AppToken: fake.AppToken(), BotToken: fake.BotToken(), APIURL: fake.URL()}
	web := NewWebAPI(NewSlackClient(sc, m, zerolog.New(io.Discard)), sc, m)
	ctx := context.Background()

	id, err := web.CreateChannel(ctx, "inc-42-db-down")
	if err != nil || id == "" {
		t.Fatalf("CreateChannel = %q, %v", id, err)
	}
	if _, err := web.CreateChannel(ctx, "inc-42-db-down"); !errors.Is(err, domain.ErrChannelNameTaken) {
		t.Errorf("same name: err = %v, want name taken", err)
	}
	if _, err := web.CreateChannel(ctx, "Inc 42"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("bad name: err = %v, want invalid", err)
	}

	t.Run("Invite", func(t *testing.T) {
		if err := web.InviteToChannel(ctx, id, []string{"U1"}); err != nil {
			t.Fatal(err)
		}
		// Alice is in already; Bob still gets in.
		if err := web.InviteToChannel(ctx, id, []string{"U1", "U2"}); err != nil {
			t.Fatal(err)
		}
		if err := web.InviteToChannel(ctx, id, []string{"U1"}); err != nil {
			t.Errorf("already in: err = %v, want none", err)
		}
		// Someone unknown does not keep the others out, and is reported.
		id2, _ := web.CreateChannel(ctx, "inc-43-cache")
		if err := web.InviteToChannel(ctx, id2, []string{"U404", "U2"}); err == nil {
			t.Error("unknown user: no error")
		}
		if got := fake.ChannelMembers(id2); !slices.Contains(got, "U2") {
			t.Errorf("members = %q, want Bob invited despite U404", got)
		}
		if got := fake.ChannelMembers(id); !slices.Contains(got, "U1") || !slices.Contains(got, "U2") {
			t.Errorf("members = %q", got)
		}
	})
	t.Run("Archive", func(t *testing.T) {
		if err := web.ArchiveChannel(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := web.ArchiveChannel(ctx, id); err != nil {
			t.Errorf("archived twice: err = %v, want none", err)
		}
		if !fake.ChannelArchived(id) {
			t.Error("not archived")
		}
		if err := web.ArchiveChannel(ctx, "C404"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("unknown channel: err = %v, want not found", err)
		}
	})
}
