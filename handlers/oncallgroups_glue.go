package handlers

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/oncallgroups"
)

// The on-call user groups feature (handlers/oncallgroups) as the router
// reaches it: until SetOnCallGroups is called the feature is not
// configured, and says so.

// SetOnCallGroups gives the App the on-call user groups feature; call it
// before the first envelope.
func (a *App) SetOnCallGroups(f *oncallgroups.Feature) { a.routes.onCallGroups = f }

// OnCallGroups is the on-call user groups feature; nil when not set.
func (a *App) OnCallGroups() *oncallgroups.Feature { return a.routes.onCallGroups }

var onCallGroupsNotConfigured = chat.Message{Text: chat.NotConfigured}

// onCallGroupsFeature is the feature's registration with the router.
func (a *App) onCallGroupsFeature() Feature {
	return Feature{Name: "oncallgroups",
		Commands: []Subcommand{{"oncall group", "/toban oncall group", "keep Slack user groups (@oncall-primary) equal to who is on call (admins)",
			func(c Command, in invocation) chat.Response {
				if f := a.OnCallGroups(); f != nil {
					return f.Command(c.Args, in)
				}
				return chat.Response{Ack: chat.Ephemeral(onCallGroupsNotConfigured)}
			}}},
		Clicks: map[string]clickFunc{oncallgroups.Prefix: func(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
			if f := a.OnCallGroups(); f != nil {
				return f.Click(cb, act)
			}
			return a.respondLater(cb.ResponseURL, onCallGroupsNotConfigured)
		}},
		Submissions: map[string]submitFunc{oncallgroups.Prefix: func(ctx context.Context, cb slack.InteractionCallback) chat.Response {
			if f := a.OnCallGroups(); f != nil {
				return f.Submission(ctx, cb)
			}
			return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.NotConfigured})}
		}},
	}
}
