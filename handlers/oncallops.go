package handlers

import (
	"context"

	"github.com/slack-go/slack"
)

// On-call operations (take the pager, shift import, shift-change
// announcements) own action and callback IDs prefixed "oncall.".

// shiftsCommand answers /toban shifts.
func (a *App) shiftsCommand(c Command, in invocation) Response { return notYet("shifts") }

func (a *App) onCallOpsClick(cb slack.InteractionCallback, act *slack.BlockAction) Response {
	return a.respondLater(cb.ResponseURL, notYet("oncall").Ack.(slackMessage).Message)
}

func (a *App) onCallOpsSubmission(ctx context.Context, cb slack.InteractionCallback) Response {
	return Response{}
}
