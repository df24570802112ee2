package incidentactions

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// Block IDs of the modals' inputs; each input's action ID is the same,
// except the type-aheads', which the router routes by action ID.
const (
	blockTarget   = "target"
	blockDuration = "duration"
	blockPriority = "priority"
	blockTargets  = "targets"
	blockMessage  = "message"
)

// snoozeChoices are the durations the snooze modal offers: PagerDuty's
// web app offers about the same, and a free duration would only invite
// typos.
var snoozeChoices = []time.Duration{
	15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour,
}

// maxMessageLength bounds a responder request's message: it reaches people
// by push, SMS and phone, so a short one; and Slack refuses a
// plain_text_input max_length over 3000.
const maxMessageLength = 500

// suggestLimit bounds each group of type-ahead options (Slack shows at
// most 100 in all).
const suggestLimit = 20

// Target option values: "user:PXXXX" or "ep:PXXXX".
const (
	userPrefix   = "user:"
	policyPrefix = "ep:"
)

// heading is the incident a modal is about.
func heading(inc domain.Incident) string {
	return fmt.Sprintf("*[#%d] %s*", inc.Number, chat.Escape(inc.Title))
}

// names lists people's names ("nobody" for none).
func names(people []domain.Person) string {
	if len(people) == 0 {
		return "nobody"
	}
	out := make([]string, len(people))
	for i, p := range people {
		out[i] = chat.Escape(p.Name)
	}
	return strings.Join(out, ", ")
}

func stateOf(inc domain.Incident, place chat.Place) chat.ModalState {
	return chat.ModalState{IncidentID: inc.ID, ChannelID: place.ChannelID, MessageTS: place.MessageTS}
}

// reassignModal asks whom to reassign inc to: one type-ahead of people
// and escalation policies.
func reassignModal(inc domain.Incident, place chat.Place) slack.ModalViewRequest {
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, chat.Plain("Type a name or a policy"), ActionTarget)
	one := 1
	sel.MinQueryLength = &one
	return chat.Modal(ViewReassign, "Reassign", "Reassign", stateOf(inc, place),
		slack.NewSectionBlock(chat.Mrkdwn(heading(inc)+"\nNow assigned to "+names(inc.Assignees)+"."), nil, nil),
		slack.NewInputBlock(blockTarget, chat.Plain("Reassign to"),
			chat.Plain("A person, or an escalation policy (its first level gets the incident)."), sel),
	)
}

// snoozeModal asks for how long to snooze inc.
func snoozeModal(inc domain.Incident, place chat.Place) slack.ModalViewRequest {
	opts := make([]*slack.OptionBlockObject, len(snoozeChoices))
	for i, d := range snoozeChoices {
		opts[i] = slack.NewOptionBlockObject(d.String(), chat.Plain(chat.Duration(d)), nil)
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("Choose a duration"), blockDuration, opts...)
	sel.InitialOption = opts[2] // 1 h
	return chat.Modal(ViewSnooze, "Snooze", "Snooze", stateOf(inc, place),
		slack.NewSectionBlock(chat.Mrkdwn(heading(inc)+"\nPagerDuty notifies the assignees again when the snooze ends."), nil, nil),
		slack.NewInputBlock(blockDuration, chat.Plain("Snooze for"), nil, sel),
	)
}

// priorityModal offers the account's priorities, the current one chosen.
func priorityModal(inc domain.Incident, place chat.Place, prios []domain.Priority) slack.ModalViewRequest {
	var opts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, p := range prios {
		if len(opts) == 100 { // Slack's limit for a static select
			break
		}
		var desc *slack.TextBlockObject
		if p.Description != "" {
			desc = chat.Plain(chat.Truncate(p.Description, 74))
		}
		o := slack.NewOptionBlockObject(p.ID, chat.Plain(chat.Truncate(p.Name, 74)), desc)
		if p.ID == inc.Priority.ID {
			initial = o
		}
		opts = append(opts, o)
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("Choose a priority"), blockPriority, opts...)
	sel.InitialOption = initial
	now := "none"
	if inc.Priority.Name != "" {
		now = chat.Escape(inc.Priority.Name)
	}
	return chat.Modal(ViewPriority, "Change priority", "Change", stateOf(inc, place),
		slack.NewSectionBlock(chat.Mrkdwn(heading(inc)+"\nPriority now: "+now+"."), nil, nil),
		slack.NewInputBlock(blockPriority, chat.Plain("Priority"), nil, sel),
	)
}

// defaultRequest is the message offered in the responders modal:
// PagerDuty requires one, and most people would write this.
func defaultRequest(inc domain.Incident) string {
	return chat.Truncate(fmt.Sprintf("Please help with [#%d] %s.", inc.Number, inc.Title), maxMessageLength)
}

// respondersModal asks whom to ask for help, and with what message.
func respondersModal(inc domain.Incident, place chat.Place) slack.ModalViewRequest {
	sel := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, chat.Plain("Type names or policies"), ActionTargets)
	one := 1
	sel.MinQueryLength = &one
	most := domain.MaxResponderTargets
	sel.MaxSelectedItems = &most
	msg := slack.NewPlainTextInputBlockElement(chat.Plain("What do you need from them?"), blockMessage)
	msg.Multiline = true
	msg.MaxLength = maxMessageLength
	msg.InitialValue = defaultRequest(inc)
	return chat.Modal(ViewResponders, "Add responders", "Ask for help", stateOf(inc, place),
		slack.NewSectionBlock(chat.Mrkdwn(heading(inc)+"\nPagerDuty notifies each of them as you, with your message."), nil, nil),
		slack.NewInputBlock(blockTargets, chat.Plain("Who should help"),
			chat.Plain("People, or escalation policies (their on-call people are asked)."), sel),
		slack.NewInputBlock(blockMessage, chat.Plain("Message"), nil, msg),
	)
}

// targetOptions answers a type-ahead: people, then escalation policies,
// each a group when both have matches.
func targetOptions(users []domain.Person, policies []domain.EscalationPolicy) any {
	var people, eps []*slack.OptionBlockObject
	for _, u := range users {
		people = append(people, slack.NewOptionBlockObject(userPrefix+u.ID, chat.Plain(chat.Truncate(u.Name, 74)), nil))
	}
	for _, p := range policies {
		eps = append(eps, slack.NewOptionBlockObject(policyPrefix+p.ID, chat.Plain(chat.Truncate(p.Name, 74)), nil))
	}
	switch {
	case len(people) > 0 && len(eps) > 0:
		return slack.OptionGroupsResponse{OptionGroups: []*slack.OptionGroupBlockObject{
			slack.NewOptionGroupBlockElement(chat.Plain("People"), people...),
			slack.NewOptionGroupBlockElement(chat.Plain("Escalation policies"), eps...),
		}}
	case len(eps) > 0:
		return slack.OptionsResponse{Options: eps}
	case len(people) > 0:
		return slack.OptionsResponse{Options: people}
	}
	return slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}
}

// parseTarget reads a target option's value.
func parseTarget(v string) (domain.ResponderTarget, bool) {
	switch {
	case strings.HasPrefix(v, userPrefix):
		t := domain.ResponderTarget{Kind: domain.TargetUser, ID: strings.TrimPrefix(v, userPrefix)}
		return t, t.Validate() == nil
	case strings.HasPrefix(v, policyPrefix):
		t := domain.ResponderTarget{Kind: domain.TargetEscalationPolicy, ID: strings.TrimPrefix(v, policyPrefix)}
		return t, t.Validate() == nil
	}
	return domain.ResponderTarget{}, false
}
