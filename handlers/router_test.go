package handlers

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
)

func TestRoutesOfEveryFeatureAgree(t *testing.T) {
	if err := (&App{}).CheckRoutes(); err != nil {
		t.Fatal(err)
	}
}

func TestRouterRefusesCollisions(t *testing.T) {
	click := func(slack.InteractionCallback, *slack.BlockAction) chat.Response { return chat.Response{} }
	submit := func(context.Context, slack.InteractionCallback) chat.Response { return chat.Response{} }
	run := func(Command, invocation) chat.Response { return chat.Response{} }
	tests := []struct {
		name     string
		features []Feature
		want     string
	}{
		{"SameSubcommand", []Feature{
			{Name: "a", Commands: []Subcommand{{Name: "oncall", Run: run}}},
			{Name: "b", Commands: []Subcommand{{Name: "oncall", Run: run}}},
		}, `subcommand "oncall" registered twice`},
		{"SameActionID", []Feature{
			{Name: "a", Clicks: map[string]clickFunc{"task.done": click}},
			{Name: "b", Clicks: map[string]clickFunc{"task.done": click}},
		}, `"task.done" claimed by a and b`},
		{"ExactUnderPrefix", []Feature{
			{Name: "a", Clicks: map[string]clickFunc{"oncall.": click}},
			{Name: "b", Clicks: map[string]clickFunc{"oncall.take": click}},
		}, `overlaps "oncall."`},
		{"PrefixOverExact", []Feature{
			{Name: "a", Submissions: map[string]submitFunc{"report.schedule": submit}},
			{Name: "b", Submissions: map[string]submitFunc{"report.": submit}},
		}, `callback id: "report." (b) overlaps`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newRouter(tt.features)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// Same ID in different tables (an action and a view) is no collision.
	if _, err := newRouter([]Feature{{Name: "a", Clicks: map[string]clickFunc{"task.skip": click}, Submissions: map[string]submitFunc{"task.skip": submit}}}); err != nil {
		t.Fatal(err)
	}
}

func TestHelpListsEveryRegisteredSubcommand(t *testing.T) {
	text := HelpMessage().Blocks
	var all strings.Builder
	for _, b := range text {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
			all.WriteString(s.Text.Text)
		}
	}
	for _, c := range (&App{}).router().commands {
		// Slack would read <service> as a link: help shows it escaped.
		if !strings.Contains(all.String(), chat.Escape(c.Usage)) {
			t.Errorf("help does not list %q", c.Usage)
		}
	}
}
