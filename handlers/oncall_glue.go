package handlers

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/calendar"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/oncall"
)

// The on-call feature (handlers/oncall: on-call, follows, shift import)
// and the maintenance-window feature (handlers/maintenance) as the router
// reaches them: a nil App.OnCall or App.Maintenance is a feature that is
// not configured, and says so.

// Change topics of App.Changed.
const (
	TopicOnCall    = oncall.Topic   // follows or maintenance windows changed
	TopicCalendars = calendar.Topic // a calendar was attached
)

var onCallNotConfigured = chat.Message{Text: chat.NotConfigured}

func (a *App) onCallCommand(c Command, in invocation) chat.Response {
	return a.onCallFeatureCommand("oncall", c, in)
}

func (a *App) shiftsCommand(c Command, in invocation) chat.Response {
	return a.onCallFeatureCommand("shifts", c, in)
}

func (a *App) onCallFeatureCommand(name string, c Command, in invocation) chat.Response {
	if a.OnCall == nil {
		return chat.Response{Ack: chat.Ephemeral(onCallNotConfigured)}
	}
	return a.OnCall.Command(name, c.Args, in)
}

// onCallClick serves the "oncall." action IDs.
func (a *App) onCallClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	if a.OnCall == nil {
		return a.respondLater(chat.PlaceOf(cb).ResponseURL, onCallNotConfigured)
	}
	return a.OnCall.Click(cb, act)
}

// onCallSubmission serves the "oncall." callback IDs.
func (a *App) onCallSubmission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	if a.OnCall == nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.NotConfigured})}
	}
	return a.OnCall.Submission(ctx, cb)
}

func (a *App) suggestSchedules(ctx context.Context, query string) chat.Response {
	if a.OnCall == nil {
		return chat.Response{Ack: slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}}
	}
	return a.OnCall.SuggestSchedules(ctx, query)
}

// WakeOnCallOps makes the on-call runner recompute its next work now,
// after another replica changed follows or maintenance windows.
func (a *App) WakeOnCallOps() {
	if a.OnCall != nil {
		a.OnCall.Wake()
	}
}

func (a *App) maintenanceCommand(c Command, in invocation) chat.Response {
	if a.Maintenance == nil {
		return chat.Response{Ack: chat.Ephemeral(onCallNotConfigured)}
	}
	in.ChannelID = homeChannel(in)
	return a.Maintenance.Command(c.Args, in)
}

func (a *App) maintenanceClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	if a.Maintenance == nil {
		return a.respondLater(chat.PlaceOf(cb).ResponseURL, onCallNotConfigured)
	}
	return a.Maintenance.Click(cb, act)
}

func (a *App) maintenanceSubmission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	if a.Maintenance == nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.NotConfigured})}
	}
	return a.Maintenance.Submission(ctx, cb)
}
