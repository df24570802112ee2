package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
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
type invocation = chat.Invocation

// run executes a parsed subcommand through the feature that registered it.
func (a *App) run(c Command, in invocation) chat.Response {
	if sub, ok := a.router().byName[c.Name]; ok {
		return sub.Run(c, in)
	}
	return chat.NotYet(c.Name)
}

// Interaction answers a button click, menu choice or modal submission.
func (a *App) Interaction(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	r := a.router()
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		if submit, ok := r.submissions.find(cb.View.CallbackID); ok {
			return submit(ctx, cb)
		}
		return a.incidentSubmission(ctx, cb)
	case slack.InteractionTypeBlockSuggestion:
		if suggest, ok := r.suggestions.find(cb.ActionID); ok {
			return suggest(ctx, cb.Value)
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
	actionID := act.ActionID
	if strings.HasPrefix(actionID, chat.ActionRun+":") {
		actionID = chat.ActionRun // the suffix only keeps ids unique in a block
	}
	if click, ok := r.clicks.find(actionID); ok {
		return a.homeAfter(cb, act, click(cb, act))
	}
	a.Log.Debug().Str("action_id", act.ActionID).Msg("unknown action ignored")
	return a.respondLater(cb.ResponseURL, chat.Message{Text: ":thinking_face: That button belongs to an older version of toban. Run the command again."})
}

// runClick runs the subcommand a help or hint button carries.
func (a *App) runClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	parsed, err := ParseCommand(act.Value)
	if err != nil {
		return a.respondLater(cb.ResponseURL, usageMessageBody(chat.UserMessage(err)))
	}
	if parsed.Name == "help" {
		return a.respondLater(cb.ResponseURL, HelpMessage())
	}
	res := a.run(parsed, invocation{UserID: cb.User.ID, ChannelID: chat.PlaceOf(cb).ChannelID, ResponseURL: cb.ResponseURL, TriggerID: cb.TriggerID})
	// A click cannot carry a message in its ack; send it by response_url,
	// or, from the App Home (which has none), in a direct message.
	if msg, ok := res.Ack.(chat.Reply); ok {
		place := chat.PlaceOf(cb)
		res = chat.Response{Then: func(ctx context.Context) error { return chat.TellClicker(ctx, a.Slack, place, msg.Message) }}
	}
	return res
}

func (a *App) respondLater(responseURL string, msg chat.Message) chat.Response {
	return chat.RespondLater(a.Slack, responseURL, msg)
}

// Event handles an Events API event. Only app_home_opened matters today.
func (a *App) Event(ctx context.Context, ev slackevents.EventsAPIEvent) chat.Response {
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if inner.Tab != "" && inner.Tab != "home" {
			return chat.Response{}
		}
		user := inner.User
		if a.Home != nil {
			return a.Home.Opened(user)
		}
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
	for _, s := range commandList() {
		fmt.Fprintf(&b, "• `%s` — %s\n", chat.Escape(s.Usage), chat.Escape(s.Summary))
	}
	return chat.Message{Text: b.String()}
}

func usageMessage(problem string) chat.Reply { return chat.Ephemeral(usageMessageBody(problem)) }

// helpAck is the help answer, rendered once: it never changes, and it is
// the most frequent ack payload.
// The help command is registered with the router that help is generated
// from, so the cache is filled on first use rather than by an initializer,
// which would be an initialisation cycle.
func helpAck() json.RawMessage {
	helpOnce.Do(func() {
		b, err := chat.MarshalMessage(HelpMessage())
		if err != nil {
			panic(err) // static content: a failure is a programming error
		}
		helpBody = b
	})
	return helpBody
}

var (
	helpOnce sync.Once
	helpBody json.RawMessage
)

// Command is a parsed /toban invocation (chat.Command).
type Command = chat.Command

// ParseCommand splits the text after /toban into a subcommand and its
// arguments (chat.SplitCommand) and checks that a feature registered the
// subcommand.
func ParseCommand(text string) (Command, error) {
	c, err := chat.SplitCommand(text)
	if err != nil {
		return Command{}, err
	}
	for _, s := range commandList() {
		if s.Name == c.Name {
			return c, nil
		}
	}
	words, _ := chat.SplitWords(text)
	return Command{}, domain.Invalid("I don't know `/toban %s`.", chat.Truncate(words[0], 40))
}
