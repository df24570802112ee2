package handlers

import (
	"context"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/calendar"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
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

// TaskForm is the task modal's grace and escalation inputs, for the
// calendar's modal.
func (a *App) TaskForm() calendar.TaskForm { return escalationForm{a} }

type escalationForm struct{ a *App }

// EscalationBlocks are the task modal's grace and escalation inputs, so
// that the schedule and service type-aheads answer them.
func (f escalationForm) EscalationBlocks(loc *time.Location) []slack.Block {
	var out []slack.Block
	for _, b := range taskBlocks(domain.Task{GraceMinutes: 15}, scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00"}, loc) {
		if in, ok := b.(*slack.InputBlock); ok && (in.BlockID == "grace" || in.BlockID == "escalation" || in.BlockID == "schedule" || in.BlockID == "service") {
			out = append(out, in)
		}
	}
	return out
}

// EscalationInput reads them as the task modal does.
func (f escalationForm) EscalationInput(values map[string]map[string]slack.BlockAction, errs map[string]string) (int, domain.Escalation, string, string) {
	return f.a.escalationInput(values, errs)
}
