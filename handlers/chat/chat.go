// Package chat is toban's toolkit for talking in Slack: the Message a
// feature says, the Response it gives an envelope, block helpers, the one
// mapping of error kinds to sentences, time text, JSON in button values and
// message metadata, keyed locks and where a click happened.
//
// It owns no feature and no adapter: it may import domain and slack-go only.
// bot, the router and every feature import it; it imports none of them.
package chat

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/slack-go/slack"
)

// Message is something toban says in Slack.
type Message struct {
	Text   string
	Blocks []slack.Block
	// ThreadTS makes the message a reply in that thread.
	ThreadTS string
	// InChannel makes a response_url answer visible to everyone instead of
	// only to the person who asked.
	InChannel bool
	// ReplaceOriginal makes a response_url answer replace the message that
	// carried the clicked button.
	ReplaceOriginal bool
	// Metadata tags a posted message so that it can be found again.
	Metadata *Metadata
}

// Metadata is Slack message metadata: an event type and one key.
type Metadata struct {
	EventType string
	Key       string
}

// Response is a handler's answer to one envelope. Ack is sent to Slack at
// once; Then runs afterwards on a worker, so slow calls never delay the ack.
type Response struct {
	// Ack is the acknowledgement payload (nil for an empty ack): a message
	// for slash commands, a response_action for view submissions, options
	// for block suggestions.
	Ack any
	// Then does the slow part. Its error is logged once by the caller and
	// told to the person with UserMessage.
	Then func(ctx context.Context) error
}

// MarshalMessage renders m as a Slack message body (ack payload or
// response_url post).
func MarshalMessage(m Message) ([]byte, error) {
	body := struct {
		ResponseType    string        `json:"response_type,omitempty"`
		ReplaceOriginal bool          `json:"replace_original,omitempty"`
		Text            string        `json:"text"`
		Blocks          []slack.Block `json:"blocks,omitempty"`
		ThreadTS        string        `json:"thread_ts,omitempty"`
	}{Text: m.Text, Blocks: m.Blocks, ThreadTS: m.ThreadTS, ReplaceOriginal: m.ReplaceOriginal}
	body.ResponseType = slack.ResponseTypeEphemeral
	if m.InChannel {
		body.ResponseType = slack.ResponseTypeInChannel
	}
	return json.Marshal(body)
}

// Reply is the JSON shape of a message in an ack or response_url body; the
// router recognises it in a click's answer and sends it by response_url,
// because a click's ack cannot carry a message.
type Reply struct {
	Message
}

// MarshalJSON renders the message as Slack expects it in an ack payload.
func (m Reply) MarshalJSON() ([]byte, error) {
	return MarshalMessage(m.Message)
}

// Ephemeral wraps m as an ack payload shown only to the person who acted.
func Ephemeral(m Message) Reply { return Reply{m} }

// AckMessage wraps m so that it can be sent as a slash command's ack
// payload (shown only to the person who typed the command).
func AckMessage(m Message) any { return Ephemeral(m) }

// Mrkdwn is a text object in Slack's markdown.
func Mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, false)
}

// Plain is a plain text object with emoji, as labels and headers need.
func Plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, true, false)
}

// ActionRun is the action ID of a button that runs a subcommand, carried
// in its value; help and "not linked" answers offer such buttons.
const ActionRun = "toban.run"

// RunButton runs a subcommand as if typed. Its action_id carries the
// subcommand after ActionRun and a colon because Slack refuses a block
// whose buttons share an action_id (invalid_blocks); the value stays the
// command to run.
func RunButton(label, subcommand string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(ActionRun+":"+subcommand, subcommand, Plain(label))
}

// ReadText flattens the text a person reads on a message: its sections,
// fields, context and headers, a line each.
func ReadText(m Message) string {
	var b strings.Builder
	add := func(t *slack.TextBlockObject) {
		if t != nil {
			b.WriteString(t.Text + "\n")
		}
	}
	for _, blk := range m.Blocks {
		switch x := blk.(type) {
		case *slack.SectionBlock:
			add(x.Text)
			for _, f := range x.Fields {
				add(f)
			}
		case *slack.ContextBlock:
			for _, e := range x.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					add(t)
				}
			}
		case *slack.HeaderBlock:
			add(x.Text)
		}
	}
	return b.String()
}
