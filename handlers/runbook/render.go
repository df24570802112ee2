// Package runbook is the Slack side of runbook actions: the buttons on an
// incident card, the run results and the "1 auto-recover / 2 escalate"
// choice in the card's thread, and /toban runbook. The runs themselves are
// the runbook package's Responder.
//
// It owns the "runbook." action IDs, the run threads and their rendering. It
// reaches the database, PagerDuty and Slack only through the ports it
// declares. It may import domain, runbook and the toolkit (handlers/chat);
// never storage, pagerduty, bot, webhook, poller, the router (handlers) or
// another feature.
package runbook

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	rb "github.com/tobanbot/toban/runbook"
)

// Action ids of the runbook's buttons; each carries the incident id (and
// the action's name) in its value.
const (
	ActionRun      = "runbook.run"
	ActionPick     = "runbook.pick"
	ActionRecover  = "runbook.recover"
	ActionEscalate = "runbook.escalate"
	ActionStop     = "runbook.stop"
)

// maxButtons is how many actions show as buttons before they fold into a
// "Runbook…" menu: a card's action row stays readable on a phone.
const maxButtons = 3

// outputLines and outputChars bound the excerpt of a run's output shown
// in the thread; the whole output goes in a file.
const (
	outputLines = 15
	outputChars = 2500
)

// CardBlock is the runbook row for an incident card: a button per action
// (or a menu past three), and Stop while a response is under way. Nil
// when the service has no actions or the incident is resolved.
func CardBlock(actions []*rb.Action, inc domain.Incident, running bool) slack.Block {
	if len(actions) == 0 || !inc.Open() {
		return nil
	}
	var elems []slack.BlockElement
	if len(actions) <= maxButtons {
		for _, a := range actions {
			b := slack.NewButtonBlockElement(ActionRun+":"+a.Name, RunValue(inc.ID, a.Name), plain("▶ "+a.Name))
			if a.Confirm {
				b.Confirm = confirmRun(a, inc)
			}
			elems = append(elems, b)
		}
	} else {
		var opts []*slack.OptionBlockObject
		for _, a := range actions {
			opts = append(opts, slack.NewOptionBlockObject(RunValue(inc.ID, a.Name), plain(a.Name), nil))
		}
		elems = append(elems, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Runbook…"), ActionPick, opts...))
	}
	if running {
		stop := slack.NewButtonBlockElement(ActionStop, inc.ID, plain("Stop runbook"))
		stop.Style = slack.StyleDanger
		elems = append(elems, stop)
	}
	return slack.NewActionBlock("runbook:"+inc.ID, elems...)
}

func confirmRun(a *rb.Action, inc domain.Incident) *slack.ConfirmationBlockObject {
	return slack.NewConfirmationBlockObject(plain(clip("Run "+a.Name+"?", 100)),
		mrkdwn(fmt.Sprintf("This runs *%s* (%s) for incident #%d as you.", escape(a.Name), a.Role, inc.Number)),
		plain("Run it"), plain("Cancel"))
}

// RunValue is a run button's value: the incident and the action's name.
func RunValue(incidentID, action string) string { return incidentID + "|" + action }

// ParseRunValue splits a RunValue.
func ParseRunValue(v string) (incidentID, action string, ok bool) {
	incidentID, action, ok = strings.Cut(v, "|")
	return incidentID, action, ok && incidentID != "" && action != ""
}

var statusIcon = map[rb.Status]string{
	rb.StatusOK: ":white_check_mark:", rb.StatusFailed: ":x:", rb.StatusTimeout: ":hourglass:",
	rb.StatusError: ":warning:", rb.StatusInterrupted: ":octagonal_sign:",
}

// ResultBlocks tells how a run ended: status, duration, summary and the
// first lines of output, within Block Kit's limits.
func ResultBlocks(a *rb.Action, res rb.Result) []slack.Block {
	head := fmt.Sprintf("%s *%s* %s in %s — %s", statusIcon[res.Status], escape(a.Name), res.Status,
		res.Duration.Round(10*time.Millisecond), escape(res.Summary))
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(clip(head, 3000)), nil, nil)}
	if excerpt, cut := Excerpt(res.Output); excerpt != "" {
		text := "```" + escape(excerpt) + "```"
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(clip(text, 3000)), nil, nil))
		if cut || res.Truncated {
			note := "First lines only: the whole output is attached."
			if res.Truncated {
				note = "First lines only: the output was cut at 1 MiB; what was kept is attached."
			}
			blocks = append(blocks, slack.NewContextBlock("", mrkdwn(note)))
		}
	}
	return blocks
}

// Excerpt returns the first lines of output (at most outputLines lines and
// outputChars characters) and whether anything was left out.
func Excerpt(output []byte) (string, bool) {
	text := strings.TrimRight(strings.ToValidUTF8(string(output), "\uFFFD"), "\n")
	if text == "" {
		return "", false
	}
	lines := strings.Split(text, "\n")
	cut := false
	if len(lines) > outputLines {
		lines, cut = lines[:outputLines], true
	}
	text = strings.Join(lines, "\n")
	if r := []rune(text); len(r) > outputChars {
		text, cut = string(r[:outputChars])+"…", true
	}
	return text, cut
}

// OfferBlocks is the phone menu after a failed check: 1 runs the recovery,
// 2 escalates now.
func OfferBlocks(inc domain.Incident, check *rb.Action, res rb.Result, recovery *rb.Action) []slack.Block {
	text := fmt.Sprintf(":rotating_light: *%s* failed (%s). What now?", escape(check.Name), escape(res.Summary))
	one := slack.NewButtonBlockElement(ActionRecover, inc.ID, plain(clip("1 · Auto-recover: "+recovery.Name, 75)))
	one.Style = slack.StylePrimary
	if recovery.Confirm {
		one.Confirm = slack.NewConfirmationBlockObject(plain("Run "+clip(recovery.Name, 60)+"?"),
			mrkdwn(fmt.Sprintf("This runs *%s* for incident #%d, then *%s* again. A success resolves the incident; a failure escalates it.",
				escape(recovery.Name), inc.Number, escape(check.Name))),
			plain("Run it"), plain("Cancel"))
	}
	two := slack.NewButtonBlockElement(ActionEscalate, inc.ID, plain("2 · Escalate now"))
	two.Style = slack.StyleDanger
	return []slack.Block{
		slack.NewSectionBlock(mrkdwn(clip(text, 3000)), nil, nil),
		slack.NewActionBlock("runbook_offer:"+inc.ID, one, two),
	}
}

// ListBlocks is /toban runbook: every action, what it does and its last
// result.
func ListBlocks(set *rb.Set, last map[string]domain.RunbookRun, loc *time.Location) []slack.Block {
	if set == nil || len(set.Actions) == 0 {
		return []slack.Block{slack.NewSectionBlock(mrkdwn("No runbook actions are declared (TOBAN_ACTIONS)."), nil, nil)}
	}
	blocks := []slack.Block{slack.NewHeaderBlock(plain("Runbook actions"))}
	for i, a := range set.Actions {
		if len(blocks) >= 48 {
			blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("…and %d more; `toban actions check FILE` lists them all.", len(set.Actions)-i))))
			break
		}
		line := fmt.Sprintf("*%s* — %s on %s (%s)", escape(a.Name), a.Role, escape(strings.Join(a.Services, ", ")), a.Kind())
		if a.OnTrigger {
			line += ", runs on trigger"
		}
		result := "never run"
		if r, ok := last[a.Name]; ok {
			result = fmt.Sprintf("last: %s %s (%s)", statusIcon[rb.Status(r.Status)], r.Status, r.StartedAt.In(loc).Format("Jan 2 15:04 MST"))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(clip(line+"\n"+result+" · may run: "+strings.Join(a.Allowed, ", "), 3000)), nil, nil))
	}
	return blocks
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// clip keeps s within n characters.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// escape keeps text from incidents and programs from being read as Slack
// markup.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
