package handlers

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
)

// The subscriptions feature (handlers/subscriptions) as the router reaches
// it: a nil App.Subscriptions is a feature that is not configured.

var subscriptionsNotConfigured = chat.Message{Text: chat.NotConfigured}

func (a *App) subscribeCommand(in invocation) chat.Response {
	if a.Subscriptions == nil {
		return chat.Response{Ack: chat.Ephemeral(subscriptionsNotConfigured)}
	}
	return a.Subscriptions.SubscribeCommand(in)
}

func (a *App) subscriptionsCommand(in invocation) chat.Response {
	if a.Subscriptions == nil {
		return chat.Response{Ack: chat.Ephemeral(subscriptionsNotConfigured)}
	}
	return a.Subscriptions.ListCommand(in)
}

func (a *App) removeSubscription(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	if a.Subscriptions == nil {
		return a.respondLater(cb.ResponseURL, subscriptionsNotConfigured)
	}
	return a.Subscriptions.Remove(cb, act)
}

func (a *App) subscriptionSubmission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	if a.Subscriptions == nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.NotConfigured})}
	}
	return a.Subscriptions.Submission(ctx, cb)
}
