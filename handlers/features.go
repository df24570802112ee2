package handlers

import (
	"context"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/oncall"
	"github.com/tobanbot/toban/handlers/tasks"
)

type (
	clickFunc   = func(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response
	submitFunc  = func(ctx context.Context, cb slack.InteractionCallback) chat.Response
	suggestFunc = func(ctx context.Context, query string) chat.Response
)

// features is every feature's registration, in the order help lists their
// subcommands.
func (a *App) features() []Feature {
	return []Feature{
		{Name: "help",
			Commands: []Subcommand{{"help", "/toban help", "this help", func(Command, invocation) chat.Response { return chat.Response{Ack: helpAck()} }}},
			Clicks:   map[string]clickFunc{chat.ActionRun: a.runClick},
		},
		a.incidentsFeature(),
		{Name: "oncall",
			Commands: []Subcommand{
				{"oncall", "/toban oncall [<schedule or policy>|follow <schedule>|unfollow]", "who is on call now, until when, and who is next; take the pager", a.onCallCommand},
			},
			Clicks:      map[string]clickFunc{"oncall.": a.onCallClick},
			Submissions: map[string]submitFunc{"oncall.": a.onCallSubmission},
			Suggestions: map[string]suggestFunc{oncall.ActionScheduleSuggest: a.suggestSchedules},
		},
		a.onCallGroupsFeature(),
		{Name: "trigger",
			Commands: []Subcommand{
				{"trigger", "/toban trigger", "open a PagerDuty incident from a form",
					func(_ Command, in invocation) chat.Response { return a.triggerCommand(in) }},
			},
		},
		{Name: "task",
			Commands: []Subcommand{
				{"remind", "/toban remind", "schedule an operations task (daily check, monthly report…)",
					func(_ Command, in invocation) chat.Response { return a.remindCommand(in) }},
				{"reminders", "/toban reminders [calendar [list]]", "this channel's scheduled tasks; attach an ICS calendar",
					func(c Command, in invocation) chat.Response {
						if len(c.Args) > 0 && strings.EqualFold(c.Args[0], "calendar") {
							return a.calendarCommand(c, in)
						}
						return a.remindersCommand(in)
					}},
			},
			Clicks:      a.taskClicks(),
			Submissions: a.taskSubmissions(),
			Suggestions: map[string]suggestFunc{tasks.ActionZoneSuggest: a.suggestZones},
		},
		{Name: "maintenance",
			Commands: []Subcommand{
				{"maintenance", "/toban maintenance [list]", "put services into a maintenance window", a.maintenanceCommand},
				{"shifts", "/toban shifts import [dry-run]", "load on-call shifts from a CSV file shared in the channel", a.shiftsCommand},
			},
			Clicks:      map[string]clickFunc{"maint.": a.maintenanceClick},
			Submissions: map[string]submitFunc{"maint.": a.maintenanceSubmission},
		},
		{Name: "report",
			Commands: []Subcommand{
				{"report", "/toban report [week|month|…]", "incident counts, MTTA and MTTR per service", a.reportCommand},
			},
			Clicks:      map[string]clickFunc{"report.": a.reportClick},
			Submissions: map[string]submitFunc{"report.": a.reportSubmission},
		},
		{Name: "feed",
			Commands: []Subcommand{
				{"subscribe", "/toban subscribe", "feed PagerDuty services' incidents into this channel as live cards (admins)",
					func(_ Command, in invocation) chat.Response { return a.subscribeCommand(in) }},
				{"subscriptions", "/toban subscriptions", "what this channel is subscribed to, with Remove buttons",
					func(_ Command, in invocation) chat.Response { return a.subscriptionsCommand(in) }},
			},
		},
		{Name: "identity",
			Commands: []Subcommand{
				{"link", "/toban link <email>", "link your Slack account to your PagerDuty user",
					a.link},
			},
		},
		{Name: "calendar",
			Clicks:      map[string]clickFunc{"calendar.": a.calendarClick},
			Submissions: map[string]submitFunc{"calendar.": a.calendarSubmission},
		},
		a.runbookFeature(),
		a.incidentActionsFeature(),
		a.statusUpdatesFeature(),
		a.homeFeature(),
	}
}
