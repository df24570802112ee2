package handlers

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// The incident-report feature (handlers/reports) as the router reaches it:
// a nil App.Report is a feature that is not configured, and says so.

func (a *App) reportCommand(c Command, in invocation) chat.Response {
	if a.Report == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	return a.Report.Command(c.Args, in)
}

func (a *App) reportClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	if a.Report == nil {
		return chat.Response{}
	}
	return a.Report.Click(cb, act)
}

func (a *App) reportSubmission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	if a.Report == nil {
		return chat.Response{}
	}
	return a.Report.Submission(ctx, cb)
}

// FireReport posts one due occurrence of a scheduled report (the report
// engine's callback); without the feature, PagerDuty is not configured.
func (a *App) FireReport(ctx context.Context, occ scheduler.Occurrence) error {
	if a.Report == nil {
		return fmt.Errorf("fire report %s: %w", occ.TaskID, domain.ErrNotConfigured)
	}
	return a.Report.Fire(ctx, occ)
}
