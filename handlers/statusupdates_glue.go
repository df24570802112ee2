package handlers

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/statusupdates"
)

// The status updates feature (handlers/statusupdates) as the router
// reaches it: its modal. The card's menu reaches it in moreClick; a nil
// App.StatusUpdates is a feature that is not configured, and says so.

// statusUpdatesFeature is the feature's registration with the router.
func (a *App) statusUpdatesFeature() Feature {
	return Feature{Name: "statusupdates",
		Submissions: map[string]submitFunc{statusupdates.Prefix: func(ctx context.Context, cb slack.InteractionCallback) chat.Response {
			if a.StatusUpdates != nil {
				return a.StatusUpdates.Submission(ctx, cb)
			}
			return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.NotConfigured})}
		}},
	}
}
