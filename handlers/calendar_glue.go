package handlers

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/calendar"
	"github.com/tobanbot/toban/handlers/chat"
)

// The calendar feature (handlers/calendar) as the router reaches it: a nil
// App.Calendar is a feature that is not configured, and says so.

func (a *App) calendarCommand(c Command, in invocation) chat.Response {
	if a.Calendar == nil {
		return chat.Response{Ack: chat.Ephemeral(calendar.NotSetUp)}
	}
	return a.Calendar.Command(c.Args, in)
}

func (a *App) calendarClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	if a.Calendar == nil {
		return a.respondLater(cb.ResponseURL, calendar.NotSetUp)
	}
	return a.Calendar.Click(cb, act)
}

func (a *App) calendarSubmission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	if a.Calendar == nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{"url": "This form is from an older toban; close it and start again."})}
	}
	return a.Calendar.Submission(ctx, cb)
}

// WakeCalendars tells the calendar refresh loop a calendar was attached,
// here or on another replica.
func (a *App) WakeCalendars() {
	if a.Calendar != nil {
		a.Calendar.Wake()
	}
}
