package oncall

// Bulk shift import from a CSV file shared in Slack.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
	"github.com/tobanbot/toban/shiftfile"
)

// shiftsCommand answers /toban shifts import [dry-run]: the newest CSV
// file the person shared in the channel becomes schedule overrides, all
// or nothing.
func (oc *Feature) shiftsCommand(args []string, in chat.Invocation) chat.Response {
	usage := "`/toban shifts import` reads the newest CSV file you shared in this channel (columns schedule, email, start, end, timezone) and creates the shifts as PagerDuty overrides; `/toban shifts import dry-run` only checks it."
	if len(args) == 0 || !strings.EqualFold(args[0], "import") || len(args) > 2 {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: usage})}
	}
	dryRun := len(args) == 2
	if dryRun && !strings.Contains(strings.ToLower(args[1]), "dry") {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: usage})}
	}
	if oc.PagerDuty == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	deps, ok := oc.onCallOpsDeps()
	files, ok2 := oc.Files, oc.Files != nil
	if !ok || !ok2 {
		return chat.NotYet("shifts")
	}
	return chat.Response{Then: func(ctx context.Context) error {
		place := chat.Place{UserID: in.UserID, ChannelID: in.ChannelID, ResponseURL: in.ResponseURL}
		if _, err := oc.Identity.ActingAs(ctx, in.UserID); err != nil {
			var notLinked *identity.NotLinkedError
			if errors.As(err, &notLinked) {
				return chat.TellClicker(ctx, oc.Slack, place, identity.NotLinkedMessage(notLinked))
			}
			return err
		}
		f, err := files.NewestFile(ctx, in.ChannelID, in.UserID, ".csv", shiftfile.MaxBytes)
		if errors.Is(err, domain.ErrNotFound) {
			return chat.TellClicker(ctx, oc.Slack, place, chat.Message{Text: ":mag: I found no CSV file that you shared in this channel. Drag the rota's CSV into the channel, then run `/toban shifts import` again."})
		}
		if err != nil {
			return err
		}
		return oc.Slack.Respond(ctx, in.ResponseURL, oc.importShifts(ctx, deps.ops, in.ChannelID, in.UserID, f, dryRun))
	}}
}

// importShifts checks every row of f, then creates all its overrides or
// none, and says what happened.
func (oc *Feature) importShifts(ctx context.Context, ops Ops, channelID, userID string, f chat.SharedFile, dryRun bool) chat.Message {
	name := chat.Escape(f.Name)
	shifts, problems, err := shiftfile.Check(ctx, bytes.NewReader(f.Content), oc.location(), oc.PagerDuty, oc.now())
	if err != nil {
		return chat.Message{Text: fmt.Sprintf(":x: *%s*: nothing was created, because I could not check it: %s", name, chat.UserMessage(err))}
	}
	if len(problems) > 0 {
		lines := make([]string, 0, len(problems))
		for _, p := range problems {
			lines = append(lines, "• "+chat.Escape(p.Error()))
		}
		return chat.Message{Text: limitLines(fmt.Sprintf(":x: *%s*: nothing was created. Fix these rows and share the file again:", name), lines)}
	}
	lines := make([]string, 0, len(shifts))
	for _, s := range shifts {
		lines = append(lines, "• "+chat.Escape(shiftfile.Describe(s, oc.location())))
	}
	if dryRun {
		return chat.Message{Text: limitLines(fmt.Sprintf(":mag: *%s* is valid. Dry run, nothing was created; these %d overrides would be (each in its own time zone):", name, len(shifts)), lines)}
	}
	out := shiftfile.Apply(ctx, shifts, ops)
	if len(out.Created) > 0 {
		oc.wakeOnCallOps()
	}
	if !out.Complete() {
		return oc.partialImport(name, len(shifts), out)
	}
	created := out.Created
	seen := map[string]bool{}
	var schedules []string
	for _, s := range shifts {
		if !seen[s.Schedule.ID] {
			seen[s.Schedule.ID] = true
			schedules = append(schedules, "*"+chat.Escape(s.Schedule.Name)+"*")
		}
	}
	if _, err := oc.Slack.PostMessage(ctx, channelID, chat.Message{Text: fmt.Sprintf(":calendar: <@%s> imported %d on-call shifts from %s into %s.",
		userID, len(created), name, strings.Join(schedules, ", "))}); err != nil {
		oc.Log.Warn().Err(err).Msg("shift import not announced")
	}
	return chat.Message{Text: limitLines(fmt.Sprintf(":white_check_mark: *%s*: created %d overrides in PagerDuty (times in %s):", name, len(created), oc.location()), lines)}
}

// actionShiftsUndo removes the overrides a half-refused import created;
// its value is undoValue's encoding.
const actionShiftsUndo = "oncall.shifts.undo"

// partialImport says row by row what a half-refused import created and
// what not, with a button that removes the created overrides so that the
// import stays all or nothing.
func (oc *Feature) partialImport(name string, total int, out shiftfile.Outcome) chat.Message {
	heading := fmt.Sprintf(":warning: *%s*: PagerDuty refused some shifts; %d of %d were created (times in %s):", name, len(out.Created), total, oc.location())
	var lines []string
	for _, l := range shiftfile.Report(out, oc.location()) {
		lines = append(lines, "• "+chat.Escape(l))
	}
	text := limitLines(heading, lines)
	msg := chat.Message{Text: text}
	for len(text) > 0 && len(msg.Blocks) < 40 {
		chunk := text
		if len(chunk) > 2900 {
			cut := strings.LastIndex(chunk[:2900], "\n")
			if cut <= 0 {
				cut = 2900
			}
			chunk = chunk[:cut]
		}
		msg.Blocks = append(msg.Blocks, slack.NewSectionBlock(chat.Mrkdwn(chunk), nil, nil))
		text = strings.TrimPrefix(text[len(chunk):], "\n")
	}
	if len(out.Created) == 0 {
		return msg
	}
	value := undoValue(out.Overrides())
	if len(value) > 2000 {
		msg.Blocks = append(msg.Blocks, slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf(
			"Too many to remove with a button: run `toban shifts remove` with the %d created overrides (the CLI prints them with `toban shifts import`), or delete them in PagerDuty.", len(out.Created))), nil, nil))
		return msg
	}
	btn := slack.NewButtonBlockElement(actionShiftsUndo, value, chat.Plain(fmt.Sprintf("Remove the %d created overrides", len(out.Created))))
	btn.Style = slack.StyleDanger
	msg.Blocks = append(msg.Blocks, slack.NewActionBlock("oncall.shifts.undo", btn))
	return msg
}

// undoValue encodes overrides as "SCHEDULE:ID,ID;SCHEDULE:ID".
func undoValue(ovs []domain.Override) string {
	var b strings.Builder
	last := ""
	for _, o := range ovs {
		switch {
		case o.ScheduleID != last:
			if b.Len() > 0 {
				b.WriteString(";")
			}
			b.WriteString(o.ScheduleID + ":" + o.ID)
			last = o.ScheduleID
		default:
			b.WriteString("," + o.ID)
		}
	}
	return b.String()
}

// parseUndoValue reads undoValue's encoding.
func parseUndoValue(v string) ([]domain.Override, bool) {
	var out []domain.Override
	for _, group := range strings.Split(v, ";") {
		sched, ids, ok := strings.Cut(group, ":")
		if !ok || sched == "" {
			return nil, false
		}
		for _, id := range strings.Split(ids, ",") {
			if id == "" {
				return nil, false
			}
			out = append(out, domain.Override{ScheduleID: sched, ID: id})
		}
	}
	return out, len(out) > 0
}

// undoImport removes the overrides of a half-refused import.
func (oc *Feature) undoImport(ctx context.Context, ops Ops, place chat.Place, value string) error {
	ovs, ok := parseUndoValue(value)
	if !ok {
		return chat.TellClicker(ctx, oc.Slack, place, chat.Message{Text: ":thinking_face: That button is broken; remove the overrides in PagerDuty."})
	}
	if _, ok, err := identity.ActorFor(ctx, oc.Identity, oc.Slack, place); !ok {
		return err
	}
	left := shiftfile.Remove(ctx, ops, ovs)
	oc.wakeOnCallOps()
	if len(left) > 0 {
		return chat.TellClicker(ctx, oc.Slack, place, chat.Message{Text: fmt.Sprintf(":warning: Removed %d of %d overrides; these could not be removed (remove them in PagerDuty): %s",
			len(ovs)-len(left), len(ovs), strings.Join(left, ", "))})
	}
	return oc.Slack.Respond(ctx, place.ResponseURL, chat.Message{Text: fmt.Sprintf(
		":leftwards_arrow_with_hook: Removed the %d overrides the import had created: the schedules are as before.", len(ovs)), ReplaceOriginal: true})
}

// limitLines joins a heading and lines, keeping the text well under
// Slack's 40,000 characters.
func limitLines(heading string, lines []string) string {
	var b strings.Builder
	b.WriteString(heading)
	for i, l := range lines {
		if b.Len()+len(l) > 30000 {
			fmt.Fprintf(&b, "\n…and %d more.", len(lines)-i)
			break
		}
		b.WriteString("\n" + l)
	}
	return b.String()
}
