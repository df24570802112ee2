package handlers

import (
	"context"
	"encoding/json"
	"fmt"
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
func (a *App) Slash(ctx context.Context, cmd slack.SlashCommand) Response {
	parsed, err := ParseCommand(cmd.Text)
	if err != nil {
		return Response{Ack: usageMessage(UserMessage(err))}
	}
	return a.run(parsed, invocation{UserID: cmd.UserID, ChannelID: cmd.ChannelID, ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID})
}

// invocation is who ran a subcommand, where, and how to answer.
type invocation struct {
	UserID, ChannelID, ResponseURL, TriggerID string
}

// run executes a parsed subcommand.
func (a *App) run(c Command, in invocation) Response {
	switch c.Name {
	case "help":
		return Response{Ack: helpAck()}
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
func notYet(name string) Response {
	return Response{Ack: ephemeral(Message{
		Text: fmt.Sprintf(":construction: `/toban %s` is not available in this version of toban yet. `/toban help` lists what is.", name),
	})}
}

// Interaction answers a button click, menu choice or modal submission.
func (a *App) Interaction(ctx context.Context, cb slack.InteractionCallback) Response {
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
		return Response{Ack: slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}}
	case slack.InteractionTypeBlockActions:
	default:
		a.Log.Debug().Str("interaction", string(cb.Type)).Msg("interaction ignored")
		return Response{}
	}
	if len(cb.ActionCallback.BlockActions) == 0 {
		return Response{}
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
	actionID := act.ActionID
	if strings.HasPrefix(actionID, actionRunSubcommand+":") {
		actionID = actionRunSubcommand // the suffix only keeps ids unique in a block
	}
	switch actionID {
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
			return a.respondLater(cb.ResponseURL, usageMessageBody(UserMessage(err)))
		}
		if parsed.Name == "help" {
			return a.respondLater(cb.ResponseURL, HelpMessage())
		}
		res := a.run(parsed, invocation{UserID: cb.User.ID, ChannelID: placeOf(cb).ChannelID, ResponseURL: cb.ResponseURL, TriggerID: cb.TriggerID})
		// A click cannot carry a message in its ack; send it by response_url.
		if msg, ok := res.Ack.(slackMessage); ok {
			res = a.respondLater(cb.ResponseURL, msg.Message)
		}
		return res
	default:
		a.Log.Debug().Str("action_id", act.ActionID).Msg("unknown action ignored")
		return a.respondLater(cb.ResponseURL, Message{Text: ":thinking_face: That button belongs to an older version of toban. Run the command again."})
	}
}

func (a *App) respondLater(responseURL string, msg Message) Response {
	if responseURL == "" {
		return Response{}
	}
	return Response{Then: func(ctx context.Context) error {
		return a.Slack.Respond(ctx, responseURL, msg)
	}}
}

// Event handles an Events API event. Only app_home_opened matters today.
func (a *App) Event(ctx context.Context, ev slackevents.EventsAPIEvent) Response {
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if inner.Tab != "" && inner.Tab != "home" {
			return Response{}
		}
		user := inner.User
		return Response{Then: func(ctx context.Context) error {
			return a.Slack.PublishHome(ctx, user, HomeView())
		}}
	default:
		a.Log.Debug().Str("event", ev.InnerEvent.Type).Msg("event ignored")
		return Response{}
	}
}

// slackMessage is the JSON shape of a message in an ack or response_url body.
type slackMessage struct {
	Message
}

// MarshalJSON renders the message as Slack expects it in an ack payload.
func (m slackMessage) MarshalJSON() ([]byte, error) {
	return marshalMessage(m.Message)
}

func ephemeral(m Message) slackMessage { return slackMessage{m} }

func usageMessageBody(problem string) Message {
	var b strings.Builder
	b.WriteString(problem)
	b.WriteString("\n\nTry one of these:\n")
	for _, s := range subcommands {
		fmt.Fprintf(&b, "• `%s` — %s\n", s.Usage, s.Summary)
	}
	return Message{Text: b.String()}
}

func usageMessage(problem string) slackMessage { return ephemeral(usageMessageBody(problem)) }

// AckMessage wraps m so that it can be sent as a slash command's ack
// payload (shown only to the person who typed the command).
func AckMessage(m Message) any { return ephemeral(m) }

// helpAck is the help answer, rendered once: it never changes, and it is
// the most frequent ack payload.
var helpAck = sync.OnceValue(func() json.RawMessage {
	b, err := marshalMessage(HelpMessage())
	if err != nil {
		panic(err) // static content: a failure is a programming error
	}
	return b
})
