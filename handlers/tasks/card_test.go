package tasks

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	goldenfile "github.com/tobanbot/toban/internal/golden"
)

// golden compares v with testdata/name.golden.json (-update rewrites it).
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, name, v)
}

func messageText(m chat.Message) string { return chat.ReadText(m) }

func taskFixture(state string) taskCardView {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	due := time.Date(2026, 11, 21, 10, 0, 0, 0, tokyo)
	o := domain.Occurrence{ID: "t_abc@1795226400", TaskID: "t_abc", Due: due, ChannelID: "C1", TS: "1.1", State: state, ClaimedAt: due}
	switch state {
	case domain.OccStarted:
		o.StartedBy, o.StartedAt = "U1", due.Add(2*time.Minute)
	case domain.OccDone:
		o.StartedBy, o.StartedAt = "U1", due.Add(2*time.Minute)
		o.DoneBy, o.DoneAt = "U1", due.Add(30*time.Minute)
	case domain.OccSkipped:
		o.SkippedBy, o.SkipReason, o.SkippedAt = "U2", "customer postponed <maintenance>", due.Add(5*time.Minute)
	}
	return taskCardView{
		Task:       domain.Task{ID: "t_abc", Title: "Check backups", Description: "Runbook: https://wiki.example.com/backups"},
		Occurrence: o, Location: tokyo, Now: due.Add(time.Hour),
	}
}

func taskControlsOf(m chat.Message) []string {
	var out []string
	for _, b := range m.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				switch x := e.(type) {
				case *slack.ButtonBlockElement:
					out = append(out, x.Text.Text)
				case *slack.SelectBlockElement:
					out = append(out, x.Placeholder.Text)
				}
			}
		}
	}
	return out
}

func TestTaskCard(t *testing.T) {
	tests := []struct {
		state        string
		wantControls []string
		wantText     string
	}{
		{domain.OccPosted, []string{"Start", "Done", "Snooze", "Skip"}, "Due 10:00 (Asia/Tokyo)"},
		{domain.OccStarted, []string{"Done", "Skip"}, "Started by <@U1> at 10:02"},
		{domain.OccDone, nil, "Done by <@U1> at 10:30 (took 28 min)"},
		{domain.OccSkipped, nil, "Skipped by <@U2>: customer postponed &lt;maintenance&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			msg := renderTaskCard(taskFixture(tt.state))
			golden(t, "task_"+tt.state, chat.AckMessage(msg))
			if got := taskControlsOf(msg); !slices.Equal(got, tt.wantControls) {
				t.Errorf("controls = %q, want %q", got, tt.wantControls)
			}
			if got := messageText(msg); !strings.Contains(got, tt.wantText) {
				t.Errorf("card text lacks %q:\n%s", tt.wantText, got)
			}
			if msg.Metadata == nil || msg.Metadata.Key != "t_abc@1795226400" {
				t.Errorf("metadata = %+v, want the occurrence ID", msg.Metadata)
			}
		})
	}
	t.Run("Late", func(t *testing.T) {
		v := taskFixture(domain.OccPosted)
		v.Occurrence.Late = true
		v.Occurrence.ClaimedAt = v.Occurrence.Due.Add(2 * time.Hour)
		if got := messageText(renderTaskCard(v)); !strings.Contains(got, "posted late by 2 h") {
			t.Errorf("late card text:\n%s", got)
		}
	})
}

func TestSnoozeUntil(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	due := time.Date(2026, 10, 31, 9, 30, 0, 0, ny)
	now := due.Add(20 * time.Minute)
	tests := []struct {
		choice string
		want   time.Time
		ok     bool
	}{
		{"15m", now.Add(15 * time.Minute), true},
		{"1h", now.Add(time.Hour), true},
		// Across the fall-back night the wall clock time is kept: 09:30 EST.
		{"tomorrow", time.Date(2026, 11, 1, 9, 30, 0, 0, ny), true},
		{"forever", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := snoozeUntil(tt.choice, now, due, ny)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("snoozeUntil(%q) = %v, %v; want %v, %v", tt.choice, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRoundDuration(t *testing.T) {
	tests := map[time.Duration]string{
		20 * time.Second: "under a minute", 28 * time.Minute: "28 min", 2 * time.Hour: "2 h", 65 * time.Minute: "1 h 5 min",
	}
	for d, want := range tests {
		if got := roundDuration(d); got != want {
			t.Errorf("roundDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
