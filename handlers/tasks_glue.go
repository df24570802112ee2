package handlers

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/tasks"
	"github.com/tobanbot/toban/scheduler"
)

// The task feature (handlers/tasks) as the router reaches it: a nil
// App.Tasks is a feature that is not configured, and says so.

func (a *App) remindCommand(in invocation) chat.Response {
	if a.Tasks == nil {
		return chat.Response{Ack: chat.Ephemeral(tasks.NotSetUp)}
	}
	return a.Tasks.Command("remind", in)
}

func (a *App) remindersCommand(in invocation) chat.Response {
	if a.Tasks == nil {
		return chat.Response{Ack: chat.Ephemeral(tasks.NotSetUp)}
	}
	return a.Tasks.Command("reminders", in)
}

// taskClicks routes the task feature's action IDs to it.
func (a *App) taskClicks() map[string]clickFunc {
	click := func(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
		if a.Tasks == nil {
			return a.respondLater(cb.ResponseURL, tasks.OlderCard)
		}
		return a.Tasks.Click(cb, act)
	}
	out := map[string]clickFunc{}
	for _, id := range tasks.ClickIDs {
		out[id] = click
	}
	return out
}

// taskSubmissions routes the task feature's modals to it.
func (a *App) taskSubmissions() map[string]submitFunc {
	submit := func(ctx context.Context, cb slack.InteractionCallback) chat.Response {
		if a.Tasks == nil {
			return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): tasks.NotSetUp.Text})}
		}
		return a.Tasks.Submission(ctx, cb)
	}
	out := map[string]submitFunc{}
	for _, id := range tasks.SubmissionIDs {
		out[id] = submit
	}
	return out
}

func (a *App) suggestZones(_ context.Context, query string) chat.Response {
	if a.Tasks == nil {
		return chat.Response{Ack: slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}}
	}
	return a.Tasks.SuggestZones(query)
}

// fireTask is the task engine's callback.
func (a *App) fireTask(ctx context.Context, occ scheduler.Occurrence) error {
	if a.Tasks == nil {
		return nil
	}
	defer a.homeChanged() // the task may be due on someone's Home
	return a.Tasks.Fire(ctx, occ)
}
