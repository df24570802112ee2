package incidents

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// Action IDs of incident card buttons; each button's value is the
// incident ID.
const (
	actionAcknowledge = "incident.acknowledge"
	actionResolve     = "incident.resolve"
	actionEscalate    = "incident.escalate"
	actionAddNote     = "incident.note"
	actionOpenInPD    = "incident.open" // a link button; Slack still reports the click
)

// Activity kinds recorded for incident cards.
const (
	activityAcknowledged = "acknowledged"
	activityResolved     = "resolved"
	activityEscalated    = "escalated"
	activityNote         = "note"
	activityTriggered    = "triggered"
)

// cardView is everything an incident card shows.
type cardView struct {
	Incident   domain.Incident
	Activities []domain.Activity
	// SlackUsers maps PagerDuty user IDs to Slack user IDs, so that people
	// are @mentioned by their Slack name when toban knows it.
	SlackUsers map[string]string
	Location   *time.Location
	Now        time.Time
	// Compact drops the details, for lists of many incidents.
	Compact bool
	// Runbook is the row of runbook actions for the incident's service
	// (nil for none).
	Runbook slack.Block
}

var statusEmoji = map[domain.Status]string{
	domain.StatusTriggered:    ":red_circle:",
	domain.StatusAcknowledged: ":large_yellow_circle:",
	domain.StatusResolved:     ":white_check_mark:",
}

// renderCard builds the incident card. Its buttons depend on the state:
// triggered incidents can be acknowledged, open ones resolved, escalated
// and annotated, resolved ones nothing.
func renderCard(v cardView) chat.Message {
	inc := v.Incident
	loc := v.Location
	if loc == nil {
		loc = time.UTC
	}
	title := fmt.Sprintf("%s [#%d] %s", statusEmoji[inc.Status], inc.Number, inc.Title)
	fallback := fmt.Sprintf("[#%d] %s — %s, %s", inc.Number, inc.Title, inc.ServiceName, inc.Status)

	heading := "*" + chat.Escape(title) + "*"
	if v.Compact && inc.URL != "" {
		// A compact card has no room for the Open in PagerDuty button;
		// its title is the link instead.
		heading = "*<" + inc.URL + "|" + chat.Escape(title) + ">*"
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(chat.Mrkdwn(heading), nil, nil),
	}
	if !v.Compact {
		fields := []*slack.TextBlockObject{
			chat.Mrkdwn("*Service*\n" + chat.Escape(inc.ServiceName)),
			chat.Mrkdwn("*Urgency*\n" + titleCase(inc.Urgency)),
			chat.Mrkdwn("*Status*\n" + titleCase(string(inc.Status))),
			chat.Mrkdwn("*Assigned to*\n" + v.assignees()),
			chat.Mrkdwn("*Created*\n" + chat.SlackTime(v.Now.In(loc), inc.CreatedAt.In(loc))),
		}
		if inc.EscalationPolicyName != "" {
			fields = append(fields, chat.Mrkdwn("*Escalation policy*\n"+chat.Escape(inc.EscalationPolicyName)))
		}
		if inc.Priority.Name != "" {
			fields = append(fields, chat.Mrkdwn("*Priority*\n"+chat.Escape(inc.Priority.Name)))
		}
		if v.snoozed() {
			fields = append(fields, chat.Mrkdwn("*Snoozed until*\n"+chat.SlackTime(v.Now.In(loc), inc.SnoozedUntil.In(loc))))
		}
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	} else {
		prio := ""
		if inc.Priority.Name != "" {
			prio = chat.Escape(inc.Priority.Name) + " · "
		}
		blocks = append(blocks, slack.NewContextBlock("", chat.Mrkdwn(fmt.Sprintf("%s%s · %s · %s · assigned to %s · opened %s",
			prio, chat.Escape(inc.ServiceName), titleCase(inc.Urgency), titleCase(string(inc.Status)), v.assignees(),
			chat.SlackAgo(v.Now.In(loc), inc.CreatedAt.In(loc))))))
	}
	if lines := v.history(); len(lines) > 0 {
		blocks = append(blocks, slack.NewContextBlock("", chat.Mrkdwn(strings.Join(lines, "\n"))))
	}
	if buttons := v.buttons(); len(buttons) > 0 {
		blocks = append(blocks, slack.NewActionBlock("incident/"+inc.ID, buttons...))
	}
	if v.Runbook != nil && !v.Compact {
		blocks = append(blocks, v.Runbook)
	}
	return chat.Message{Text: fallback, Blocks: blocks}
}

// snoozed reports whether the card should say until when the incident is
// snoozed: an acknowledged incident whose snooze has not ended yet.
func (v cardView) snoozed() bool {
	inc := v.Incident
	return inc.Status == domain.StatusAcknowledged && !inc.SnoozedUntil.IsZero() && inc.SnoozedUntil.After(v.Now)
}

// moreHistory is how the card's history words what people did from the
// "More actions…" menu (handlers/incidentactions records them): the
// activity's Detail goes in %s.
var moreHistory = map[string]string{
	domain.ActivityReassigned: "Reassigned %s",
	domain.ActivitySnoozed:    "Snoozed %s",
	domain.ActivityPriority:   "Priority set to %s",
	domain.ActivityResponders: "%s asked to help",
}

func (v cardView) person(p domain.Person) string {
	if id, ok := v.SlackUsers[p.ID]; ok && id != "" {
		return "<@" + id + ">"
	}
	if p.Name != "" {
		return chat.Escape(p.Name)
	}
	return "someone"
}

func (v cardView) assignees() string {
	if len(v.Incident.Assignees) == 0 {
		return "nobody"
	}
	names := make([]string, len(v.Incident.Assignees))
	for i, p := range v.Incident.Assignees {
		names[i] = v.person(p)
	}
	return strings.Join(names, ", ")
}

// history says who did what, oldest first: PagerDuty's acknowledgements
// (whoever made them, in Slack or on a phone), toban's escalations, and
// the resolution.
func (v cardView) history() []string {
	loc := v.Location
	if loc == nil {
		loc = time.UTC
	}
	now := v.Now.In(loc)
	type line struct {
		at   time.Time
		text string
	}
	var lines []line
	for _, a := range v.Incident.Acknowledgements {
		lines = append(lines, line{a.At, fmt.Sprintf("Acknowledged by %s %s", v.person(a.By), chat.SlackTime(now, a.At.In(loc)))})
	}
	for _, a := range v.Activities {
		what, more := moreHistory[a.Kind]
		if a.Kind != activityEscalated && !more {
			continue
		}
		if !more {
			what = "Escalated to %s"
		}
		who := "someone"
		if a.SlackUserID != "" {
			who = "<@" + a.SlackUserID + ">"
		}
		lines = append(lines, line{a.At, fmt.Sprintf(what+" by %s %s", chat.Escape(a.Detail), who, chat.SlackTime(now, a.At.In(loc)))})
	}
	if v.Incident.Status == domain.StatusResolved {
		at := v.Incident.LastStatusChangeAt
		lines = append(lines, line{at, fmt.Sprintf("Resolved by %s %s", v.person(v.Incident.LastStatusChangeBy), chat.SlackTime(now, at.In(loc)))})
	}
	for i := 1; i < len(lines); i++ { // insertion sort: a handful of lines
		for j := i; j > 0 && lines[j].at.Before(lines[j-1].at); j-- {
			lines[j], lines[j-1] = lines[j-1], lines[j]
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.text
	}
	return out
}

func (v cardView) buttons() []slack.BlockElement {
	inc := v.Incident
	var b []slack.BlockElement
	button := func(action, label string, style slack.Style) {
		e := slack.NewButtonBlockElement(action, inc.ID, chat.Plain(label))
		e.Style = style
		b = append(b, e)
	}
	if inc.Status == domain.StatusTriggered {
		button(actionAcknowledge, "Acknowledge", slack.StylePrimary)
	}
	if inc.Open() {
		button(actionResolve, "Resolve", slack.StyleDefault)
		button(actionEscalate, "Escalate", slack.StyleDefault)
		button(actionAddNote, "Add note", slack.StyleDefault)
	}
	if inc.Open() && !v.Compact {
		b = append(b, moreMenu(inc))
	}
	if inc.URL != "" && !v.Compact {
		e := slack.NewButtonBlockElement(actionOpenInPD, inc.ID, chat.Plain("Open in PagerDuty"))
		e.URL = inc.URL
		b = append(b, e)
	}
	return b
}

func titleCase(s string) string {
	if s == "" {
		return "–"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
