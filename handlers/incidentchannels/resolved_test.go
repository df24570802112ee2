package incidentchannels

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// memory is the feature's ports in memory: Slack, PagerDuty, the store
// and the records.
type memory struct {
	inc      domain.Incident
	log      []domain.LogEntry
	row      *domain.IncidentChannel
	posts    []string
	archived []string
	clicks   map[string]bool
	// createErrs are CreateChannel's next answers; tried its names.
	createErrs []error
	tried      []string
	cards      []domain.Card
}

func (m *memory) Respond(context.Context, string, chat.Message) error               { return nil }
func (m *memory) PostEphemeral(context.Context, string, string, chat.Message) error { return nil }
func (m *memory) PostMessage(_ context.Context, channel string, msg chat.Message) (string, error) {
	m.posts = append(m.posts, channel+": "+msg.Text)
	return "1.1", nil
}
func (m *memory) CreateChannel(_ context.Context, name string) (string, error) {
	m.tried = append(m.tried, name)
	if len(m.createErrs) > 0 {
		err := m.createErrs[0]
		m.createErrs = m.createErrs[1:]
		return "", err
	}
	return "C9", nil
}
func (m *memory) InviteToChannel(context.Context, string, []string) error { return nil }
func (m *memory) ArchiveChannel(_ context.Context, channel string) error {
	m.archived = append(m.archived, channel)
	return nil
}
func (m *memory) Incident(context.Context, string) (domain.Incident, error) { return m.inc, nil }
func (m *memory) IncidentLog(context.Context, string) ([]domain.LogEntry, error) {
	return m.log, nil
}
func (m *memory) ClaimIncidentChannel(_ context.Context, id, by string, _ time.Duration) (domain.IncidentChannel, bool, error) {
	if m.row == nil {
		m.row = &domain.IncidentChannel{IncidentID: id, OpenedBy: by}
		return *m.row, true, nil
	}
	return *m.row, false, nil
}
func (m *memory) SetIncidentChannel(_ context.Context, c domain.IncidentChannel) error {
	m.row.ChannelID, m.row.Name = c.ChannelID, c.Name
	return nil
}
func (m *memory) ReleaseIncidentChannel(context.Context, string) error {
	if m.row != nil && m.row.ChannelID == "" {
		m.row = nil
	}
	return nil
}
func (m *memory) PostCard(_ context.Context, id, channel string) (string, error) {
	m.cards = append(m.cards, domain.Card{IncidentID: id, ChannelID: channel, TS: "2.2"})
	return "2.2", nil
}
func (m *memory) CardThreads(context.Context, string) ([]domain.Card, error) { return m.cards, nil }
func (m *memory) IncidentChannel(context.Context, string) (domain.IncidentChannel, error) {
	if m.row == nil {
		return domain.IncidentChannel{}, domain.ErrNotFound
	}
	return *m.row, nil
}
func (m *memory) MarkIncidentChannelResolved(_ context.Context, _ string, at time.Time) error {
	m.row.ResolvedAt = at
	return nil
}
func (m *memory) IncidentChannelsToArchive(_ context.Context, before time.Time) ([]domain.IncidentChannel, error) {
	if m.row != nil && m.row.ArchivedAt.IsZero() && !m.row.ResolvedAt.IsZero() && !m.row.ResolvedAt.After(before) {
		return []domain.IncidentChannel{*m.row}, nil
	}
	return nil, nil
}
func (m *memory) MarkIncidentChannelArchived(context.Context, string) error {
	m.row.ArchivedAt = m.inc.LastStatusChangeAt
	return nil
}
func (m *memory) RecordActivity(context.Context, domain.Activity) error { return nil }
func (m *memory) Activities(context.Context, string) ([]domain.Activity, error) {
	return nil, nil
}
func (m *memory) SlackUserFor(context.Context, string) (string, error) { return "", domain.ErrNotFound }
func (m *memory) FirstClick(_ context.Context, key string) (bool, error) {
	if m.clicks[key] {
		return false, nil
	}
	m.clicks[key] = true
	return true, nil
}

func newMemoryFeature(now time.Time) (*Feature, *memory, *scheduler.FakeClock) {
	m := &memory{clicks: map[string]bool{},
		inc: domain.Incident{ID: "Q1", Number: 42, Title: "DB down", Status: domain.StatusResolved, LastStatusChangeAt: now},
		log: []domain.LogEntry{{ID: "R1", Type: "resolve", At: now, Agent: alice}},
		row: &domain.IncidentChannel{IncidentID: "Q1", ChannelID: "C9", Name: "inc-42-db-down"}}
	clock := scheduler.NewFakeClock(now)
	f := &Feature{Slack: m, PagerDuty: m, Cards: m, Store: m, Records: m, Clicks: m, ArchiveAfter: 48 * time.Hour, Clock: clock, Log: zerolog.Nop()}
	return f, m, clock
}

func TestResolvedPostsTheTimelineOnce(t *testing.T) {
	ctx := context.Background()
	f, m, _ := newMemoryFeature(t0)
	for range 3 { // the poller, the webhook, another replica
		if err := f.Resolved(ctx, "Q1"); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.posts) != 1 || !strings.HasPrefix(m.posts[0], "C9: :scroll: *Timeline of") || !strings.Contains(m.posts[0], "Resolved by Alice Ops") {
		t.Fatalf("posts = %q, want one timeline in C9", m.posts)
	}
	if !m.row.ResolvedAt.Equal(t0) {
		t.Errorf("resolved at %v, want %v (the archive counts from it)", m.row.ResolvedAt, t0)
	}
	t.Run("ResolvedAgainAfterReopen", func(t *testing.T) {
		m.inc.LastStatusChangeAt = t0.Add(time.Hour)
		if err := f.Resolved(ctx, "Q1"); err != nil || len(m.posts) != 2 {
			t.Errorf("posts = %d, %v; a new resolve gets a new timeline", len(m.posts), err)
		}
	})
	t.Run("Reopened", func(t *testing.T) {
		m.inc.Status = domain.StatusTriggered
		if err := f.Resolved(ctx, "Q1"); err != nil || len(m.posts) != 2 {
			t.Errorf("posts = %d, %v; a stale resolve posts nothing", len(m.posts), err)
		}
	})
	t.Run("NoChannel", func(t *testing.T) {
		f, m, _ := newMemoryFeature(t0)
		m.row = nil
		if err := f.Resolved(ctx, "Q1"); err != nil || len(m.posts) != 0 {
			t.Errorf("posts = %q, %v; no channel, nothing to post", m.posts, err)
		}
	})
}

func TestArchiveDue(t *testing.T) {
	ctx := context.Background()
	f, m, clock := newMemoryFeature(t0)
	if err := f.Resolved(ctx, "Q1"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(47 * time.Hour)
	f.ArchiveDue(ctx)
	if len(m.archived) != 0 {
		t.Fatalf("archived after 47 h: %q", m.archived)
	}
	t.Run("ReopenedStopsTheCountdown", func(t *testing.T) {
		clock.Advance(2 * time.Hour)
		m.inc.Status = domain.StatusAcknowledged
		f.ArchiveDue(ctx)
		if len(m.archived) != 0 || !m.row.ResolvedAt.IsZero() {
			t.Fatalf("archived %q, resolved at %v; a reopened incident keeps its channel", m.archived, m.row.ResolvedAt)
		}
	})
	t.Run("AfterTwoDays", func(t *testing.T) {
		m.inc.Status, m.inc.LastStatusChangeAt = domain.StatusResolved, clock.Now()
		if err := f.Resolved(ctx, "Q1"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(48 * time.Hour)
		f.ArchiveDue(ctx)
		f.ArchiveDue(ctx)
		if len(m.archived) != 1 || m.archived[0] != "C9" {
			t.Errorf("archived = %q, want C9 once", m.archived)
		}
	})
}

// TestFeedEventPostsTheTimelineOnResolveOnly: as the feed's hook, only a
// resolve posts the timeline.
func TestFeedEventPostsTheTimelineOnResolveOnly(t *testing.T) {
	ctx := context.Background()
	f, m, _ := newMemoryFeature(t0)
	for _, typ := range []string{domain.EventAcknowledged, domain.EventAnnotated, domain.EventTriggered} {
		if err := f.FeedEvent(ctx, domain.IncidentEvent{Type: typ, IncidentID: "Q1"}); err != nil || len(m.posts) != 0 {
			t.Fatalf("%s: posts = %q, %v; want none", typ, m.posts, err)
		}
	}
	if err := f.FeedEvent(ctx, domain.IncidentEvent{Type: domain.EventResolved, IncidentID: "Q1"}); err != nil || len(m.posts) != 1 {
		t.Fatalf("resolved: posts = %q, %v; want the timeline", m.posts, err)
	}
}
