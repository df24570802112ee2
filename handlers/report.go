package handlers

import (
	"context"

	"github.com/slack-go/slack"
)

// Incident reports own action and callback IDs prefixed "report.".

// reportCommand answers /toban report.
func (a *App) reportCommand(c Command, in invocation) Response { return notYet("report") }

func (a *App) reportClick(cb slack.InteractionCallback, act *slack.BlockAction) Response {
	return a.respondLater(cb.ResponseURL, notYet("report").Ack.(slackMessage).Message)
}

func (a *App) reportSubmission(ctx context.Context, cb slack.InteractionCallback) Response {
	return Response{}
}
