package tasks

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
)

// racingSlack posts cards, and records another card of the occurrence
// (as a replica whose post was still in flight would) just before
// answering its own; it writes down what it deletes.
type racingSlack struct {
	Slack
	db       *storage.DB
	occID    string
	otherTS  string
	deleted  []string
	postings int
}

func (s *racingSlack) PostMessage(ctx context.Context, channel string, msg chat.Message) (string, error) {
	s.postings++
	if _, err := s.db.SetOccurrencePosted(ctx, s.occID, s.otherTS); err != nil {
		return "", err
	}
	return "1796388060.999291", nil
}

func (s *racingSlack) DeleteMessage(_ context.Context, channel, ts string) error {
	s.deleted = append(s.deleted, channel+"/"+ts)
	return nil
}

// TestCardPostedTwiceIsTakenBack: a card whose occurrence was recorded
// with another card while it was being posted is deleted, and the
// recorded card stays the occurrence's.
func TestCardPostedTwiceIsTakenBack(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "toban.db"), storage.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	task, err := db.SaveTask(ctx, domain.Task{Title: "Check backups", ChannelID: "C1",
		Rule: scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00"}})
	if err != nil {
		t.Fatal(err)
	}
	occ, claimed, err := db.ClaimOccurrence(ctx, task.ID, now, false, "C1", now.Add(15*time.Minute))
	if err != nil || !claimed {
		t.Fatalf("ClaimOccurrence = %v, %v", claimed, err)
	}
	slack := &racingSlack{db: db, occID: occ.ID, otherTS: "1796388060.902533"}
	f := &Feature{Slack: slack, Store: db, Now: clock, Log: zerolog.Nop()}

	if err := f.postTaskCard(ctx, task, occ, false); err != nil {
		t.Fatalf("postTaskCard: %v", err)
	}
	if want := []string{"C1/1796388060.999291"}; slack.postings != 1 || !slices.Equal(slack.deleted, want) {
		t.Errorf("posted %d, deleted %v; want 1 post and %v deleted", slack.postings, slack.deleted, want)
	}
	got, err := db.Occurrence(ctx, occ.ID)
	if err != nil || got.TS != slack.otherTS {
		t.Errorf("occurrence's card: %q, %v; want the one recorded first, %s", got.TS, err, slack.otherTS)
	}
}
