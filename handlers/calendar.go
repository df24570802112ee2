package handlers

import (
	"context"

	"github.com/slack-go/slack"
)

// Calendar feeds (ICS) own action and callback IDs prefixed "calendar.".

// calendarCommand answers /toban reminders calendar.
func (a *App) calendarCommand(c Command, in invocation) Response { return notYet("reminders calendar") }

func (a *App) calendarClick(cb slack.InteractionCallback, act *slack.BlockAction) Response {
	return a.respondLater(cb.ResponseURL, notYet("reminders calendar").Ack.(slackMessage).Message)
}

func (a *App) calendarSubmission(ctx context.Context, cb slack.InteractionCallback) Response {
	return Response{}
}
