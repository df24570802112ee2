package handlers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
)

// onCallCommand answers /toban oncall [filter].
func (a *App) onCallCommand(c Command, in invocation) Response {
	return a.onCall(strings.Join(c.Args, " "), in.ResponseURL)
}

// onCall answers /toban oncall [filter].
func (a *App) onCall(filter, responseURL string) Response {
	if a.PagerDuty == nil {
		return Response{Ack: ephemeral(Message{Text: notConfigured})}
	}
	return Response{Then: func(ctx context.Context) error {
		entries, err := a.PagerDuty.OnCalls(ctx, filter)
		if err != nil {
			return fmt.Errorf("oncall %q: %w", filter, err)
		}
		return a.Slack.Respond(ctx, responseURL, a.onCallMessage(filter, entries))
	}}
}

// onCallLevel is who holds one level of a policy now, and who is next.
type onCallLevel struct {
	policy string
	level  int
	now    []domain.OnCall
	next   *domain.OnCall
}

// onCallLevels groups entries by policy and level, splitting each level
// into the people on call now and the first shift that starts later.
func onCallLevels(entries []domain.OnCall, now time.Time) []*onCallLevel {
	byKey := map[string]*onCallLevel{}
	var levels []*onCallLevel
	for _, e := range entries {
		key := fmt.Sprintf("%s\x00%d", e.EscalationPolicyName, e.Level)
		l := byKey[key]
		if l == nil {
			l = &onCallLevel{policy: e.EscalationPolicyName, level: e.Level}
			byKey[key] = l
			levels = append(levels, l)
		}
		switch {
		case e.Start.IsZero() || !e.Start.After(now):
			l.now = append(l.now, e)
		case l.next == nil || e.Start.Before(l.next.Start):
			e := e
			l.next = &e
		}
	}
	sort.SliceStable(levels, func(i, j int) bool {
		if levels[i].policy != levels[j].policy {
			return levels[i].policy < levels[j].policy
		}
		return levels[i].level < levels[j].level
	})
	return levels
}

// onCallMessage renders who is on call now, until when, and who is next,
// per escalation policy and level.
func (a *App) onCallMessage(filter string, entries []domain.OnCall) Message {
	loc := a.location()
	now := a.now().In(loc)
	levels := onCallLevels(entries, now)
	if len(levels) == 0 {
		if filter == "" {
			return Message{Text: "Nobody is on call in PagerDuty right now."}
		}
		return Message{Text: fmt.Sprintf("No schedule or escalation policy matching %q has anyone on call right now.", filter)}
	}
	var blocks []slack.Block
	var text strings.Builder
	for i := 0; i < len(levels); {
		policy := levels[i].policy
		var lines []string
		for ; i < len(levels) && levels[i].policy == policy; i++ {
			lines = append(lines, levelLine(levels[i], now, loc))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(fmt.Sprintf("*%s*\n%s", escape(policy), strings.Join(lines, "\n"))), nil, nil))
		fmt.Fprintf(&text, "%s: %s\n", policy, strings.Join(lines, "; "))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("Times in %s.", loc))))
	return Message{Text: strings.TrimRight(text.String(), "\n"), Blocks: blocks}
}

func levelLine(l *onCallLevel, now time.Time, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Level %d* — ", l.level)
	if len(l.now) == 0 {
		b.WriteString("_nobody right now_")
	}
	for i, e := range l.now {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(escape(e.User.Name))
		if e.ScheduleName != "" {
			fmt.Fprintf(&b, " (%s)", escape(e.ScheduleName))
		}
		if !e.End.IsZero() {
			fmt.Fprintf(&b, " until %s", formatTime(now, e.End.In(loc)))
		}
	}
	if l.next != nil {
		fmt.Fprintf(&b, "; next: %s from %s", escape(l.next.User.Name), formatTime(now, l.next.Start.In(loc)))
	}
	return b.String()
}
