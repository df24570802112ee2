package handlers

// Bulk shift import from a CSV file shared in Slack.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
	"strings"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/shiftfile"
)

// shiftsCommand answers /toban shifts import [dry-run]: the newest CSV
// file the person shared in the channel becomes schedule overrides, all
// or nothing.
func (a *App) shiftsCommand(c Command, in invocation) chat.Response {
	usage := "`/toban shifts import` reads the newest CSV file you shared in this channel (columns schedule, email, start, end, timezone) and creates the shifts as PagerDuty overrides; `/toban shifts import dry-run` only checks it."
	if len(c.Args) == 0 || !strings.EqualFold(c.Args[0], "import") || len(c.Args) > 2 {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: usage})}
	}
	dryRun := len(c.Args) == 2
	if dryRun && !strings.Contains(strings.ToLower(c.Args[1]), "dry") {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: usage})}
	}
	if a.PagerDuty == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	deps, ok := a.onCallOpsDeps()
	files, ok2 := a.Files, a.Files != nil
	if !ok || !ok2 {
		return notYet("shifts")
	}
	return chat.Response{Then: func(ctx context.Context) error {
		place := chat.Place{UserID: in.UserID, ChannelID: in.ChannelID, ResponseURL: in.ResponseURL}
		if _, err := a.actingAs(ctx, in.UserID); err != nil {
			var notLinked *identity.NotLinkedError
			if errors.As(err, &notLinked) {
				return a.tellClicker(ctx, place, identity.NotLinkedMessage(notLinked))
			}
			return err
		}
		f, err := files.NewestFile(ctx, in.ChannelID, in.UserID, ".csv", shiftfile.MaxBytes)
		if errors.Is(err, domain.ErrNotFound) {
			return a.tellClicker(ctx, place, chat.Message{Text: ":mag: I found no CSV file that you shared in this channel. Drag the rota's CSV into the channel, then run `/toban shifts import` again."})
		}
		if err != nil {
			return err
		}
		return a.Slack.Respond(ctx, in.ResponseURL, a.importShifts(ctx, deps.ops, in.ChannelID, in.UserID, f, dryRun))
	}}
}

// importShifts checks every row of f, then creates all its overrides or
// none, and says what happened.
func (a *App) importShifts(ctx context.Context, ops OnCallOps, channelID, userID string, f chat.SharedFile, dryRun bool) chat.Message {
	name := chat.Escape(f.Name)
	rows, problems := shiftfile.Parse(bytes.NewReader(f.Content), a.location())
	var shifts []shiftfile.Shift
	if len(problems) == 0 {
		var err error
		if shifts, problems, err = shiftfile.Resolve(ctx, rows, a.PagerDuty, a.now()); err != nil {
			return chat.Message{Text: fmt.Sprintf(":x: *%s*: nothing was created, because I could not check it: %s", name, chat.UserMessage(err))}
		}
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
		lines = append(lines, "• "+chat.Escape(shiftfile.Describe(s, a.location())))
	}
	if dryRun {
		return chat.Message{Text: limitLines(fmt.Sprintf(":mag: *%s* is valid. Dry run, nothing was created; these %d overrides would be (times in %s):", name, len(shifts), a.location()), lines)}
	}
	created, err := shiftfile.Apply(ctx, shifts, ops)
	if err != nil {
		return chat.Message{Text: fmt.Sprintf(":x: *%s*: PagerDuty refused a shift, so none was kept: %s", name, chat.Escape(err.Error()))}
	}
	a.wakeOnCallOps()
	seen := map[string]bool{}
	var schedules []string
	for _, s := range shifts {
		if !seen[s.Schedule.ID] {
			seen[s.Schedule.ID] = true
			schedules = append(schedules, "*"+chat.Escape(s.Schedule.Name)+"*")
		}
	}
	if _, err := a.Slack.PostMessage(ctx, channelID, chat.Message{Text: fmt.Sprintf(":calendar: <@%s> imported %d on-call shifts from %s into %s.",
		userID, len(created), name, strings.Join(schedules, ", "))}); err != nil {
		a.Log.Warn().Err(err).Msg("shift import not announced")
	}
	return chat.Message{Text: limitLines(fmt.Sprintf(":white_check_mark: *%s*: created %d overrides in PagerDuty (times in %s):", name, len(created), a.location()), lines)}
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
