package handlers

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// marshalMessage renders m as a Slack message body (ack payload or
// response_url post).
func marshalMessage(m Message) ([]byte, error) {
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

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, false)
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, true, false)
}

// runButton runs a subcommand as if typed. Its action_id carries the
// subcommand because Slack refuses a block whose buttons share an
// action_id (invalid_blocks); the value stays the command to run.
func runButton(label, subcommand string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionRunSubcommand+":"+subcommand, subcommand, plain(label))
}

// helpSections is shared by the ephemeral help and the App Home tab.
func helpSections() []slack.Block {
	var list strings.Builder
	for _, s := range subcommands {
		fmt.Fprintf(&list, "• `%s` — %s\n", s.Usage, s.Summary)
	}
	return []slack.Block{
		slack.NewHeaderBlock(plain("toban — the one on duty")),
		slack.NewSectionBlock(mrkdwn("toban puts PagerDuty incidents, on-call and scheduled operations tasks into Slack as cards with buttons, so nobody has to type commands at 3 a.m. and everyone sees who took what."), nil, nil),
		slack.NewSectionBlock(mrkdwn(strings.TrimRight(list.String(), "\n")), nil, nil),
	}
}

// HelpMessage is the answer to /toban and /toban help.
func HelpMessage() Message {
	blocks := helpSections()
	blocks = append(blocks, slack.NewActionBlock("toban.help.actions",
		runButton("Open incidents", "incidents"),
		runButton("Who is on call", "oncall"),
		runButton("Schedule a task", "remind"),
	))
	return Message{Text: "toban help: /toban incidents, oncall, trigger, remind, reminders, maintenance, report, subscribe, link", Blocks: blocks}
}

// HomeView is the App Home tab.
func HomeView() slack.HomeTabViewRequest {
	blocks := helpSections()
	blocks = append(blocks, slack.NewContextBlock("toban.home.context",
		mrkdwn("Type `/toban` in any channel toban is in. Cards and buttons do the rest.")))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}
