package handlers

import (
	"context"
	"errors"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/home"
	"github.com/tobanbot/toban/handlers/incidents"
	"github.com/tobanbot/toban/handlers/oncall"
	"github.com/tobanbot/toban/handlers/tasks"
)

// The App Home (handlers/home) as the router reaches it: a nil App.Home
// shows the help on the Home tab instead.

// HomeButtons are the other features' buttons the Home shows: their own
// action IDs, so that the click reaches the feature that answers it.
func HomeButtons() home.Buttons {
	return home.Buttons{
		Acknowledge: incidents.ActionAcknowledge, Resolve: incidents.ActionResolve,
		TakeOnCall: oncall.ActionTakeShift,
		TaskStart:  tasks.ActionStart, TaskDone: tasks.ActionDone,
	}
}

// homeFeature is the feature's registration with the router.
func (a *App) homeFeature() Feature {
	return Feature{Name: "home",
		Clicks: map[string]clickFunc{home.Prefix: func(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
			if a.Home == nil {
				return chat.Response{}
			}
			return a.Home.Click(cb, act)
		}},
	}
}

// homeChanged tells the Home that something it shows may have changed.
func (a *App) homeChanged() {
	if a.Home != nil {
		a.Home.Changed()
	}
}

// homeAfter keeps Homes current after a click the other features answer:
// one made on a Home is re-published there once the click's work is done
// (a Home has no message to update and no response_url to answer), and
// any other may change what someone's Home shows.
func (a *App) homeAfter(cb slack.InteractionCallback, act *slack.BlockAction, res chat.Response) chat.Response {
	h := a.Home
	fromHome := cb.View.Type == slack.VTHomeTab
	if h == nil || strings.HasPrefix(act.ActionID, chat.ActionRun) || strings.HasPrefix(act.ActionID, home.Prefix) ||
		(res.Then == nil && !fromHome) {
		return res
	}
	then, user := res.Then, cb.User.ID
	res.Then = func(ctx context.Context) error {
		var err error
		if then != nil {
			err = then(ctx)
		}
		h.Changed()
		if fromHome {
			err = errors.Join(err, h.Refresh(ctx, user))
		}
		return err
	}
	return res
}

// homeChannel is where a form opened from a button posts its card: the
// channel it was clicked in, or, from the App Home (no channel), the
// person's direct messages with toban.
func homeChannel(in invocation) string {
	if in.ChannelID == "" {
		return in.UserID
	}
	return in.ChannelID
}
