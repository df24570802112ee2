package handlers

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
)

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

// onCallMessage renders on-call entries grouped by escalation policy and
// ordered by level.
func (a *App) onCallMessage(filter string, entries []domain.OnCall) Message {
	if len(entries) == 0 {
		if filter == "" {
			return Message{Text: "Nobody is on call in PagerDuty right now."}
		}
		return Message{Text: fmt.Sprintf("No schedule or escalation policy matching %q has anyone on call right now.", filter)}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].EscalationPolicyName != entries[j].EscalationPolicyName {
			return entries[i].EscalationPolicyName < entries[j].EscalationPolicyName
		}
		return entries[i].Level < entries[j].Level
	})
	loc := a.location()
	now := a.now().In(loc)
	var blocks []slack.Block
	var text strings.Builder
	for i := 0; i < len(entries); {
		policy := entries[i].EscalationPolicyName
		var lines strings.Builder
		for ; i < len(entries) && entries[i].EscalationPolicyName == policy; i++ {
			e := entries[i]
			fmt.Fprintf(&lines, "*Level %d* — %s", e.Level, e.User.Name)
			if e.ScheduleName != "" {
				fmt.Fprintf(&lines, " (%s)", e.ScheduleName)
			}
			if !e.End.IsZero() {
				fmt.Fprintf(&lines, " until %s", formatUntil(now, e.End.In(loc)))
			}
			lines.WriteString("\n")
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(fmt.Sprintf("*%s*\n%s", policy, strings.TrimRight(lines.String(), "\n"))), nil, nil))
		fmt.Fprintf(&text, "%s: %s\n", policy, strings.ReplaceAll(strings.TrimRight(lines.String(), "\n"), "\n", "; "))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("Times in %s.", loc))))
	return Message{Text: strings.TrimRight(text.String(), "\n"), Blocks: blocks}
}

// formatUntil shows t briefly: the time alone when it is today, else with
// the weekday and date.
func formatUntil(now, t interface{ Format(string) string }) string {
	if now.Format("2006-01-02") == t.Format("2006-01-02") {
		return t.Format("15:04")
	}
	return t.Format("Mon Jan 2 15:04")
}
