package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/tobanbot/toban/handlers/chat"
	"strings"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Action IDs of the buttons toban renders. A button's value carries its
// argument; the prefix routes the click.
const (
	actionRunSubcommand = "toban.run" // value: the subcommand to run
)

// Slash answers a /toban command. The ack is always immediate; anything
// that calls PagerDuty happens in Then and answers through response_url.
func (a *App) Slash(ctx context.Context, cmd slack.SlashCommand) chat.Response {
	parsed, err := ParseCommand(cmd.Text)
	if err != nil {
		return chat.Response{Ack: usageMessage(chat.UserMessage(err))}
	}
	return a.run(parsed, invocation{UserID: cmd.UserID, ChannelID: cmd.ChannelID, ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID})
}

// invocation is who ran a subcommand, where, and how to answer.
type invocation struct {
	UserID, ChannelID, ResponseURL, TriggerID string
}

// run executes a parsed subcommand.
func (a *App) run(c Command, in invocation) chat.Response {
	switch c.Name {
	case "help":
		return chat.Response{Ack: helpAck()}
	case "oncall":
		return a.onCallCommand(c, in)
	case "shifts":
		return a.shiftsCommand(c, in)
	case "maintenance":
		return a.maintenanceCommand(c, in)
	case "report":
		return a.reportCommand(c, in)
	case "incidents":
		return a.incidentsCommand(c.Args, in.UserID, in.ResponseURL)
	case "trigger":
		return a.triggerCommand(in.ChannelID, in.TriggerID)
	case "link":
		return a.link(c.Args, in.UserID, in.ResponseURL)
	case "subscribe":
		return a.subscribeCommand(in)
	case "subscriptions":
		return a.subscriptionsCommand(in)
	case "remind":
		return a.remindCommand(in)
	case "reminders":
		if len(c.Args) > 0 && strings.EqualFold(c.Args[0], "calendar") {
			return a.calendarCommand(c, in)
		}
		return a.remindersCommand(in)
	default:
		return notYet(c.Name)
	}
}

// notYet answers a subcommand this version of toban does not have yet.
func notYet(name string) chat.Response {
	return chat.Response{Ack: chat.Ephemeral(chat.Message{
		Text: fmt.Sprintf(":construction: `/toban %s` is not available in this version of toban yet. `/toban help` lists what is.", name),
	})}
}

// Interaction answers a button click, menu choice or modal submission.
func (a *App) Interaction(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		switch id := cb.View.CallbackID; {
		case id == viewTask:
			return a.taskSubmission(ctx, cb)
		case strings.HasPrefix(id, "oncall."):
			return a.onCallOpsSubmission(ctx, cb)
		case strings.HasPrefix(id, "maint."):
			return a.maintenanceSubmission(ctx, cb)
		case strings.HasPrefix(id, "report."):
			return a.reportSubmission(ctx, cb)
		case strings.HasPrefix(id, "calendar."):
			return a.calendarSubmission(ctx, cb)
		}
		return a.submission(cb)
	case slack.InteractionTypeBlockSuggestion:
		switch cb.ActionID {
		case actionServiceSuggest:
			return a.suggestServices(ctx, cb.Value)
		case actionZoneSuggest:
			return a.suggestZones(cb.Value)
		case actionScheduleTyped:
			return a.suggestSchedules(ctx, cb.Value)
		}
		return chat.Response{Ack: slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}}
	case slack.InteractionTypeBlockActions:
	default:
		a.Log.Debug().Str("interaction", string(cb.Type)).Msg("interaction ignored")
		return chat.Response{}
	}
	if len(cb.ActionCallback.BlockActions) == 0 {
		return chat.Response{}
	}
	act := cb.ActionCallback.BlockActions[0]
	// Feature areas own an action ID prefix each.
	switch prefix, _, _ := strings.Cut(act.ActionID, "."); prefix {
	case "oncall":
		return a.onCallOpsClick(cb, act)
	case "maint":
		return a.maintenanceClick(cb, act)
	case "report":
		return a.reportClick(cb, act)
	case "calendar":
		return a.calendarClick(cb, act)
	}
	switch act.ActionID {
	case actionAcknowledge, actionResolve, actionEscalate, actionAddNote, actionOpenInPD:
		return a.incidentClick(cb, act)
	case actionAckAllMine, actionResolveAllMine:
		return a.bulkClick(cb, act)
	case actionRemoveSubscription:
		return a.removeSubscription(cb, act)
	case actionDigestAckAll, actionDigestResolve, actionDigestList:
		return a.digestClick(cb, act)
	case actionTaskStart, actionTaskDone, actionTaskSnooze, actionTaskSkip:
		return a.taskClick(cb, act)
	case actionTaskPause, actionTaskResume, actionTaskEdit, actionTaskDelete:
		return a.taskListClick(cb, act)
	case actionRunSubcommand:
		parsed, err := ParseCommand(act.Value)
		if err != nil {
			return a.respondLater(cb.ResponseURL, usageMessageBody(chat.UserMessage(err)))
		}
		if parsed.Name == "help" {
			return a.respondLater(cb.ResponseURL, HelpMessage())
		}
		res := a.run(parsed, invocation{UserID: cb.User.ID, ChannelID: chat.PlaceOf(cb).ChannelID, ResponseURL: cb.ResponseURL, TriggerID: cb.TriggerID})
		// A click cannot carry a message in its ack; send it by response_url.
		if msg, ok := res.Ack.(chat.Reply); ok {
			res = a.respondLater(cb.ResponseURL, msg.Message)
		}
		return res
	default:
		a.Log.Debug().Str("action_id", act.ActionID).Msg("unknown action ignored")
		return a.respondLater(cb.ResponseURL, chat.Message{Text: ":thinking_face: That button belongs to an older version of toban. Run the command again."})
	}
}

func (a *App) respondLater(responseURL string, msg chat.Message) chat.Response {
	if responseURL == "" {
		return chat.Response{}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		return a.Slack.Respond(ctx, responseURL, msg)
	}}
}

// Event handles an Events API event. Only app_home_opened matters today.
func (a *App) Event(ctx context.Context, ev slackevents.EventsAPIEvent) chat.Response {
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if inner.Tab != "" && inner.Tab != "home" {
			return chat.Response{}
		}
		user := inner.User
		return chat.Response{Then: func(ctx context.Context) error {
			return a.Slack.PublishHome(ctx, user, HomeView())
		}}
	default:
		a.Log.Debug().Str("event", ev.InnerEvent.Type).Msg("event ignored")
		return chat.Response{}
	}
}

func usageMessageBody(problem string) chat.Message {
	var b strings.Builder
	b.WriteString(problem)
	b.WriteString("\n\nTry one of these:\n")
	for _, s := range subcommands {
		fmt.Fprintf(&b, "• `%s` — %s\n", s.Usage, s.Summary)
	}
	return chat.Message{Text: b.String()}
}

func usageMessage(problem string) chat.Reply { return chat.Ephemeral(usageMessageBody(problem)) }

// helpAck is the help answer, rendered once: it never changes, and it is
// the most frequent ack payload.
var helpAck = sync.OnceValue(func() json.RawMessage {
	b, err := chat.MarshalMessage(HelpMessage())
	if err != nil {
		panic(err) // static content: a failure is a programming error
	}
	return b
})
