package handlers

import (
	"context"

	"github.com/slack-go/slack"
)

// Maintenance windows own action and callback IDs prefixed "maint.".

// maintenanceCommand answers /toban maintenance.
func (a *App) maintenanceCommand(c Command, in invocation) Response { return notYet("maintenance") }

func (a *App) maintenanceClick(cb slack.InteractionCallback, act *slack.BlockAction) Response {
	return a.respondLater(cb.ResponseURL, notYet("maintenance").Ack.(slackMessage).Message)
}

func (a *App) maintenanceSubmission(ctx context.Context, cb slack.InteractionCallback) Response {
	return Response{}
}
