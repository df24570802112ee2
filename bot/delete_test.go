package bot

import (
	"context"
	"io"
	"testing"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/metrics"
)

// TestDeleteMessage: a posted message is deleted; deleting it again (a
// message already gone) is not an error.
func TestDeleteMessage(t *testing.T) {
	fake := slackfake.New(slackfake.Options{})
	t.Cleanup(fake.Close)
	m := metrics.New()
	sc := SlackConfig{AppToken: fake.AppToken(), BotToken: fake.BotToken(), APIURL: fake.URL()}
	web := NewWebAPI(NewSlackClient(sc, m, zerolog.New(io.Discard)), sc, m)
	ctx := context.Background()

	ts, err := web.PostMessage(ctx, "C1", chat.Message{Text: "Check backups"})
	if err != nil {
		t.Fatal(err)
	}
	if err := web.DeleteMessage(ctx, "C1", ts); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	if got := len(fake.Messages("C1")); got != 0 {
		t.Errorf("%d messages left in C1, want 0", got)
	}
	if err := web.DeleteMessage(ctx, "C1", ts); err != nil {
		t.Errorf("deleting again: %v, want nil", err)
	}
}
