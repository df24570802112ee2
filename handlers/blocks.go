package handlers

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
)

// helpSections is shared by the ephemeral help and the App Home tab.
func helpSections() []slack.Block {
	var list strings.Builder
	for _, s := range commandList() {
		fmt.Fprintf(&list, "• `%s` — %s\n", chat.Escape(s.Usage), chat.Escape(s.Summary))
	}
	return []slack.Block{
		slack.NewHeaderBlock(chat.Plain("toban — the one on duty")),
		slack.NewSectionBlock(chat.Mrkdwn("toban puts PagerDuty incidents, on-call and scheduled operations tasks into Slack as cards with buttons, so nobody has to type commands at 3 a.m. and everyone sees who took what."), nil, nil),
		slack.NewSectionBlock(chat.Mrkdwn(strings.TrimRight(list.String(), "\n")), nil, nil),
	}
}

// HelpMessage is the answer to /toban and /toban help.
func HelpMessage() chat.Message {
	blocks := helpSections()
	blocks = append(blocks, slack.NewActionBlock("toban.help.actions",
		chat.RunButton("Open incidents", "incidents"),
		chat.RunButton("Who is on call", "oncall"),
		chat.RunButton("Schedule a task", "remind"),
	))
	return chat.Message{Text: "toban help: /toban incidents, oncall, trigger, remind, reminders, maintenance, report, subscribe, link", Blocks: blocks}
}

// HomeView is the App Home tab.
func HomeView() slack.HomeTabViewRequest {
	blocks := helpSections()
	blocks = append(blocks, slack.NewContextBlock("toban.home.context",
		chat.Mrkdwn("Type `/toban` in any channel toban is in. Cards and buttons do the rest.")))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}
