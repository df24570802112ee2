package home

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// Caps that keep a Home within Slack's 100 blocks (at most about 75 with
// every list full); what is cut is counted in "…and N more".
const (
	maxIncidents  = 10 // 2 blocks each
	maxPolicies   = 6  // a block each
	maxTakes      = 10 // Take on-call rows, a block each
	maxShiftLines = 10 // lines of one section
	maxTasks      = 10 // 2 blocks each
	maxBlocks     = 100
)

// render builds the Home tab of p. It is a pure function of p, so that an
// unchanged Home renders to the same bytes (and hash) every time.
func render(p page, b Buttons, canLink bool) slack.HomeTabViewRequest {
	var blocks []slack.Block
	add := func(bs ...slack.Block) { blocks = append(blocks, bs...) }
	add(slack.NewHeaderBlock(chat.Plain("toban — the one on duty")),
		slack.NewActionBlock("home.quick",
			chat.RunButton("Trigger incident", "trigger"),
			chat.RunButton("Remind", "remind"),
			chat.RunButton("Maintenance", "maintenance")),
		slack.NewDividerBlock())
	add(incidentBlocks(p, b, canLink)...)
	add(slack.NewDividerBlock())
	add(onCallBlocks(p, b)...)
	add(slack.NewDividerBlock())
	add(taskBlocks(p, b)...)
	add(slack.NewDividerBlock(),
		slack.NewContextBlock("home.help", chat.Mrkdwn("This Home updates by itself. Type `/toban` in any channel toban is in; `/toban help` lists every command.")))
	if len(blocks) > maxBlocks {
		// The caps above make this unreachable; Slack would refuse the
		// whole Home, so cut rather than show nothing.
		blocks = append(blocks[:maxBlocks-1], slack.NewContextBlock("home.cut", chat.Mrkdwn("…and more: this Home is full.")))
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

// viewHash identifies a rendered Home: equal views, equal hashes.
func viewHash(v slack.HomeTabViewRequest) string {
	body, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:16])
}

func header(text string) slack.Block { return slack.NewHeaderBlock(chat.Plain(text)) }

func section(text string) slack.Block {
	return slack.NewSectionBlock(chat.Mrkdwn(chat.Truncate(text, 3000)), nil, nil)
}

func more(blockID string, n int, where string) slack.Block {
	return slack.NewContextBlock(blockID, chat.Mrkdwn(fmt.Sprintf("…and %d more: %s", n, where)))
}

// at shows t to each reader in their own zone, with toban's as fallback.
func (p page) at(t time.Time) string { return chat.SlackTime(p.Now, t.In(p.Now.Location())) }

func incidentBlocks(p page, b Buttons, canLink bool) []slack.Block {
	out := []slack.Block{header("Your open incidents")}
	switch {
	case !p.PagerDuty:
		return append(out, section(chat.NotConfigured))
	case p.NotLinked != nil:
		return append(out, linkBlocks(p.NotLinked, canLink)...)
	case p.IdentityErr != nil:
		return append(out, section(":warning: I could not find out who you are in PagerDuty just now; this Home tries again in a few minutes."))
	case p.IncidentsErr != nil:
		return append(out, section(":warning: PagerDuty did not answer just now; this Home tries again in a few minutes."))
	case len(p.Incidents) == 0:
		return append(out, section(":sunny: Nothing assigned to you is open."))
	}
	for i, inc := range p.Incidents {
		if i == maxIncidents {
			return append(out, more("home.incidents.more", len(p.Incidents)-i, "`/toban incidents mine` lists them all."))
		}
		out = append(out, section(incidentText(p, inc)))
		var btns []slack.BlockElement
		if b.Acknowledge != "" && inc.Status == domain.StatusTriggered {
			ack := slack.NewButtonBlockElement(b.Acknowledge, inc.ID, chat.Plain("Acknowledge"))
			ack.Style = slack.StylePrimary
			btns = append(btns, ack)
		}
		if b.Resolve != "" {
			btns = append(btns, slack.NewButtonBlockElement(b.Resolve, inc.ID, chat.Plain("Resolve")))
		}
		if len(btns) > 0 {
			out = append(out, slack.NewActionBlock("home.incident."+inc.ID, btns...))
		}
	}
	return out
}

func incidentText(p page, inc domain.Incident) string {
	title := chat.Escape(chat.Truncate(inc.Title, 200))
	name := fmt.Sprintf("#%d %s", inc.Number, title)
	if inc.URL != "" {
		name = fmt.Sprintf("<%s|%s>", inc.URL, name)
	}
	var state string
	switch inc.Status {
	case domain.StatusAcknowledged:
		state = ":large_yellow_circle: Acknowledged"
		if n := len(inc.Acknowledgements); n > 0 {
			a := inc.Acknowledgements[n-1]
			state += fmt.Sprintf(" by %s %s", chat.Escape(a.By.Name), p.at(a.At))
		}
	default:
		state = ":red_circle: Triggered"
		if !inc.CreatedAt.IsZero() {
			state += " " + p.at(inc.CreatedAt)
		}
	}
	line := state
	if inc.ServiceName != "" {
		line = chat.Escape(inc.ServiceName) + " · " + state
	}
	if inc.Urgency != "" {
		line += " · " + chat.Escape(inc.Urgency) + " urgency"
	}
	return fmt.Sprintf("*%s*\n%s", name, line)
}

// linkBlocks is the link prompt of /toban link, with its button.
func linkBlocks(err *identity.NotLinkedError, canLink bool) []slack.Block {
	why := "Your Slack profile shows no email, so I can't find your PagerDuty user."
	if err.Email != "" {
		why = fmt.Sprintf("No PagerDuty user has the email on your Slack profile (%s).", chat.Escape(err.Email))
	}
	text := ":bust_in_silhouette: " + why + " Link your account to see your incidents and shifts here; toban acts in PagerDuty only as the person who clicks.\n" +
		"If your PagerDuty email is the same as Slack's, click *Link account*; otherwise ask an admin to run `/toban link @you your-pagerduty-email`."
	out := []slack.Block{section(text)}
	if canLink {
		out = append(out, slack.NewActionBlock("home.link", slack.NewButtonBlockElement(ActionLink, "link", chat.Plain("Link account"))))
	}
	return out
}

func onCallBlocks(p page, b Buttons) []slack.Block {
	out := []slack.Block{header("On call now")}
	switch {
	case !p.PagerDuty:
		return append(out, section(chat.NotConfigured))
	case p.OnCallErr != nil:
		return append(out, section(":warning: PagerDuty did not answer just now; this Home tries again in a few minutes."))
	}
	levels := chat.OnCallLevels(p.OnCall, p.Now)
	if len(levels) == 0 {
		out = append(out, section("Nobody is on call in PagerDuty right now."))
	}
	offered := map[string]bool{}
	policies, takeRows := 0, 0
	for i := 0; i < len(levels); {
		policy := levels[i].Policy
		if policies == maxPolicies {
			n := 0
			for ; i < len(levels); i++ {
				if i == 0 || levels[i].Policy != levels[i-1].Policy {
					n++
				}
			}
			out = append(out, more("home.oncall.more", n, "`/toban oncall` shows every escalation policy."))
			break
		}
		policies++
		var lines []string
		var takes []string
		for ; i < len(levels) && levels[i].Policy == policy; i++ {
			l := levels[i]
			lines = append(lines, p.levelLine(l))
			takes = append(takes, takeable(p, l, offered)...)
		}
		out = append(out, section(fmt.Sprintf("*%s*\n%s", chat.Escape(policy), strings.Join(lines, "\n"))))
		if b.TakeOnCall == "" || !p.linked() {
			continue
		}
		// One row per schedule: Slack refuses a row whose buttons share
		// an action ID, and each carries the on-call feature's.
		for _, s := range takes {
			if takeRows == maxTakes {
				break
			}
			takeRows++
			btn := slack.NewButtonBlockElement(b.TakeOnCall, s, chat.Plain(chat.Truncate("Take on-call ("+s+")", 75)))
			out = append(out, slack.NewActionBlock(fmt.Sprintf("home.take.%d", takeRows), btn))
		}
	}
	return append(out, shiftBlocks(p)...)
}

// takeable are the schedules of a level whose pager the viewer could take
// now: held by someone else, or nobody (a gap).
func takeable(p page, l *chat.OnCallLevel, offered map[string]bool) []string {
	candidates := l.Now
	if len(l.Now) == 0 && l.Next != nil {
		candidates = []domain.OnCall{*l.Next}
	}
	var out []string
	for _, e := range candidates {
		if e.ScheduleName == "" || offered[e.ScheduleName] || len(e.ScheduleName) > 1900 {
			continue
		}
		mine := false
		for _, h := range l.Now {
			mine = mine || (h.ScheduleName == e.ScheduleName && h.User.ID == p.Person.ID)
		}
		offered[e.ScheduleName] = true
		if !mine {
			out = append(out, e.ScheduleName)
		}
	}
	return out
}

func (p page) levelLine(l *chat.OnCallLevel) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Level %d* — ", l.Level)
	if len(l.Now) == 0 {
		b.WriteString("_nobody right now_")
	}
	for i, e := range l.Now {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.who(e.User))
		if e.ScheduleName != "" {
			fmt.Fprintf(&b, " (%s)", chat.Escape(e.ScheduleName))
		}
		if !e.End.IsZero() {
			fmt.Fprintf(&b, " until %s", p.at(e.End))
		}
	}
	if l.Next != nil {
		fmt.Fprintf(&b, "; next: %s from %s", p.who(l.Next.User), p.at(l.Next.Start))
	}
	return b.String()
}

// who names a PagerDuty user, "you" for the viewer.
func (p page) who(u domain.Person) string {
	if p.linked() && u.ID == p.Person.ID {
		return "*you*"
	}
	return chat.Escape(u.Name)
}

// shiftBlocks lists the viewer's own shifts of the coming week.
func shiftBlocks(p page) []slack.Block {
	out := []slack.Block{header("Your shifts this week")}
	if !p.linked() {
		return append(out, section("Link your account (above) to see your shifts here."))
	}
	seen := map[string]bool{}
	var mine []domain.OnCall
	for _, e := range p.OnCall {
		if e.User.ID != p.Person.ID || (!e.End.IsZero() && !e.End.After(p.Now)) {
			continue
		}
		key := fmt.Sprintf("%s|%s|%d|%d", e.ScheduleName, e.EscalationPolicyName, e.Start.Unix(), e.End.Unix())
		if e.ScheduleName != "" {
			key = fmt.Sprintf("%s|%d|%d", e.ScheduleName, e.Start.Unix(), e.End.Unix())
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		mine = append(mine, e)
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].Start.Before(mine[j].Start) })
	if len(mine) == 0 {
		return append(out, section("You have no on-call shifts in the next 7 days."))
	}
	var lines []string
	for i, e := range mine {
		if i == maxShiftLines {
			lines = append(lines, fmt.Sprintf("…and %d more: PagerDuty shows them all.", len(mine)-i))
			break
		}
		what := chat.Escape(e.ScheduleName)
		if what == "" {
			what = fmt.Sprintf("%s, level %d", chat.Escape(e.EscalationPolicyName), e.Level)
		}
		var when string
		switch {
		case e.Start.IsZero() && e.End.IsZero():
			when = "always"
		case !e.Start.After(p.Now):
			when = "*now*, until " + p.at(e.End)
		default:
			when = p.at(e.Start) + " until " + p.at(e.End)
		}
		lines = append(lines, fmt.Sprintf("• *%s*: %s", what, when))
	}
	return append(out, section(strings.Join(lines, "\n")))
}

var taskEmoji = map[string]string{
	domain.OccClaimed: ":calendar:", domain.OccPosted: ":calendar:", domain.OccStarted: ":hammer_and_wrench:",
	domain.OccDone: ":white_check_mark:", domain.OccSkipped: ":fast_forward:",
}

// taskBlocks lists the viewer's tasks of the day, with Start and Done.
func taskBlocks(p page, b Buttons) []slack.Block {
	out := []slack.Block{header("Your tasks today")}
	switch {
	case p.TasksErr != nil:
		return append(out, section(":warning: I could not read your tasks just now; this Home tries again in a few minutes."))
	case len(p.Tasks) == 0:
		return append(out, section("No tasks of yours are due today. `/toban remind` schedules one."))
	}
	for i, t := range p.Tasks {
		if i == maxTasks {
			return append(out, more("home.tasks.more", len(p.Tasks)-i, "`/toban reminders` in their channels lists them."))
		}
		emoji := taskEmoji[t.State]
		if emoji == "" {
			emoji = ":clock3:"
		}
		text := fmt.Sprintf("%s *%s* — due %s in <#%s>", emoji, chat.Escape(chat.Truncate(t.Title, 200)), p.at(t.Due), t.ChannelID)
		switch t.State {
		case domain.OccStarted:
			text += fmt.Sprintf("\nStarted by <@%s>", t.StartedBy)
		case domain.OccDone:
			text += fmt.Sprintf("\nDone by <@%s>", t.DoneBy)
		case domain.OccSkipped:
			text += "\nSkipped"
		case "":
			text += "\nIts card is posted at the due time."
		}
		out = append(out, section(text))
		var btns []slack.BlockElement
		if b.TaskStart != "" && (t.State == domain.OccPosted || t.State == domain.OccClaimed) {
			btns = append(btns, slack.NewButtonBlockElement(b.TaskStart, t.Occurrence, chat.Plain("Start")))
		}
		if b.TaskDone != "" && (t.State == domain.OccPosted || t.State == domain.OccClaimed || t.State == domain.OccStarted) {
			done := slack.NewButtonBlockElement(b.TaskDone, t.Occurrence, chat.Plain("Done"))
			done.Style = slack.StylePrimary
			btns = append(btns, done)
		}
		if t.Occurrence != "" && len(btns) > 0 {
			out = append(out, slack.NewActionBlock(fmt.Sprintf("home.task.%d", i), btns...))
		}
	}
	return out
}
