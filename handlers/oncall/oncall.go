package oncall

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// Take on-call buttons: the value is the schedule's name.
const (
	actionTake1h     = "oncall.take.1h"
	actionTake4h     = "oncall.take.4h"
	actionTakeShift  = "oncall.take.shift"
	actionTakeCustom = "oncall.take.custom"
	viewFollow       = "oncall.follow"
)

// maxOnCallBlocks keeps the answer under Slack's 50 blocks: Take on-call
// controls are left out past it.
const maxOnCallBlocks = 46

// onCallCommand answers /toban oncall [filter], /toban oncall follow
// [schedule] and /toban oncall unfollow [schedule].
func (oc *Feature) onCallCommand(args []string, in chat.Invocation) chat.Response {
	if len(args) > 0 {
		rest := strings.TrimSpace(strings.Join(args[1:], " "))
		switch strings.ToLower(args[0]) {
		case "follow":
			return oc.followCommand(rest, in)
		case "unfollow":
			return oc.unfollowCommand(rest, in)
		}
	}
	return oc.onCall(strings.Join(args, " "), in.ResponseURL)
}

// onCall answers /toban oncall [filter].
func (oc *Feature) onCall(filter, responseURL string) chat.Response {
	if oc.PagerDuty == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		entries, err := oc.PagerDuty.OnCalls(ctx, filter)
		if err != nil {
			return fmt.Errorf("oncall %q: %w", filter, err)
		}
		return oc.Slack.Respond(ctx, responseURL, oc.onCallMessage(filter, entries))
	}}
}

// onCallMessage renders who is on call now, until when, and who is next,
// per escalation policy and level, with Take on-call buttons for each
// schedule someone is on call from.
func (oc *Feature) onCallMessage(filter string, entries []domain.OnCall) chat.Message {
	loc := oc.location()
	now := oc.now().In(loc)
	levels := chat.OnCallLevels(entries, now)
	if len(levels) == 0 {
		if filter == "" {
			return chat.Message{Text: "Nobody is on call in PagerDuty right now."}
		}
		return chat.Message{Text: fmt.Sprintf("No schedule or escalation policy matching %q has anyone on call right now.", filter)}
	}
	var blocks []slack.Block
	var text strings.Builder
	offered := map[string]bool{} // schedules with Take buttons already
	for i := 0; i < len(levels); {
		policy := levels[i].Policy
		var lines []string
		var takes []slack.Block
		for ; i < len(levels) && levels[i].Policy == policy; i++ {
			l := levels[i]
			lines = append(lines, levelLine(l, now, loc))
			candidates := l.Now
			if len(l.Now) == 0 && l.Next != nil {
				candidates = []domain.OnCall{*l.Next} // a gap now: fill it until the next shift
			}
			for _, e := range candidates {
				if e.ScheduleName == "" || offered[e.ScheduleName] || len(e.ScheduleName) > 1900 {
					continue
				}
				offered[e.ScheduleName] = true
				var holders []string
				until := e.End
				if len(l.Now) == 0 {
					until = e.Start
				}
				for _, h := range l.Now {
					if h.ScheduleName == e.ScheduleName {
						holders = append(holders, chat.Escape(h.User.Name))
					}
				}
				takes = append(takes, takeBlocks(len(offered), e.ScheduleName, holders, until, now, loc)...)
			}
		}
		blocks = append(blocks, slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf("*%s*\n%s", chat.Escape(policy), strings.Join(lines, "\n"))), nil, nil))
		if len(blocks)+len(takes) < maxOnCallBlocks {
			blocks = append(blocks, takes...)
		}
		fmt.Fprintf(&text, "%s: %s\n", policy, strings.Join(lines, "; "))
	}
	blocks = append(blocks, slack.NewContextBlock("", chat.Mrkdwn(fmt.Sprintf("Times in %s.", loc))))
	return chat.Message{Text: strings.TrimRight(text.String(), "\n"), Blocks: blocks}
}

// takeBlocks offers to take the pager of a schedule from its holders:
// for an hour, four, until the current shift ends (or, in a gap, until
// the next one starts), or a custom range.
func takeBlocks(n int, schedule string, holders []string, until, now time.Time, loc *time.Location) []slack.Block {
	buttons := []slack.BlockElement{
		slack.NewButtonBlockElement(actionTake1h, schedule, chat.Plain("1 hour")),
		slack.NewButtonBlockElement(actionTake4h, schedule, chat.Plain("4 hours")),
	}
	if !until.IsZero() {
		buttons = append(buttons, slack.NewButtonBlockElement(actionTakeShift, schedule, chat.Plain("Until "+chat.FormatTime(now, until.In(loc)))))
	}
	buttons = append(buttons, slack.NewButtonBlockElement(actionTakeCustom, schedule, chat.Plain("Custom…")))
	from := "nobody is on call now"
	if len(holders) > 0 {
		from = "from " + strings.Join(holders, ", ")
	}
	return []slack.Block{
		slack.NewContextBlock("", chat.Mrkdwn(fmt.Sprintf(":raising_hand: Take on-call for *%s* (%s):", chat.Escape(schedule), from))),
		slack.NewActionBlock(fmt.Sprintf("oncall.take.%d", n), buttons...),
	}
}

func levelLine(l *chat.OnCallLevel, now time.Time, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Level %d* — ", l.Level)
	if len(l.Now) == 0 {
		b.WriteString("_nobody right now_")
	}
	for i, e := range l.Now {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(chat.Escape(e.User.Name))
		if e.ScheduleName != "" {
			fmt.Fprintf(&b, " (%s)", chat.Escape(e.ScheduleName))
		}
		if !e.End.IsZero() {
			fmt.Fprintf(&b, " until %s", chat.FormatTime(now, e.End.In(loc)))
		}
	}
	if l.Next != nil {
		fmt.Fprintf(&b, "; next: %s from %s", chat.Escape(l.Next.User.Name), chat.FormatTime(now, l.Next.Start.In(loc)))
	}
	return b.String()
}

// findSchedule resolves what someone typed or a button carried: a
// schedule ID, else a name (ignoring case), else the one schedule whose
// name contains it.
func (oc *Feature) findSchedule(ctx context.Context, query string) (domain.Schedule, error) {
	query = strings.TrimSpace(query)
	list, err := oc.PagerDuty.Schedules(ctx, query)
	if err != nil {
		return domain.Schedule{}, fmt.Errorf("find schedule %q: %w", query, err)
	}
	var exact []domain.Schedule
	for _, s := range list {
		if s.ID == query {
			return s, nil
		}
		if strings.EqualFold(s.Name, query) {
			exact = append(exact, s)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case len(exact) > 1:
		return domain.Schedule{}, domain.Invalid("%d schedules are named %q; use the schedule's ID from PagerDuty.", len(exact), query)
	case len(list) == 1:
		return list[0], nil
	case len(list) == 0:
		return domain.Schedule{}, domain.Invalid("PagerDuty has no schedule matching %q.", query)
	}
	var names []string
	for i, s := range list {
		if i == 10 {
			names = append(names, "…")
			break
		}
		names = append(names, s.Name)
	}
	return domain.Schedule{}, domain.Invalid("Several schedules match %q: %s. Type the whole name.", query, strings.Join(names, ", "))
}

// followCommand answers /toban oncall follow [schedule]: without a name
// it opens a form with schedule type-ahead.
func (oc *Feature) followCommand(query string, in chat.Invocation) chat.Response {
	if oc.PagerDuty == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	if _, ok := oc.onCallOpsDeps(); !ok {
		return chat.NotYet("oncall follow")
	}
	if query != "" {
		return chat.Response{Then: func(ctx context.Context) error {
			sched, err := oc.findSchedule(ctx, query)
			if err != nil {
				return err
			}
			return oc.follow(ctx, chat.Place{UserID: in.UserID, ChannelID: in.ChannelID, ResponseURL: in.ResponseURL}, sched)
		}}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, chat.Plain("Search schedules"), actionScheduleTyped)
		zero := 0
		sel.MinQueryLength = &zero
		v := chat.Modal(viewFollow, "Follow a schedule", "Follow", chat.ModalState{},
			slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf("<#%s> will be told who is on call at each shift change, and warned ahead of gaps in the rota.", in.ChannelID)), nil, nil),
			slack.NewInputBlock("schedule", chat.Plain("Schedule"), nil, sel))
		v.PrivateMetadata = chat.EncodeJSON(chat.ModalState{ChannelID: in.ChannelID})
		if _, err := oc.Slack.OpenView(ctx, in.TriggerID, v); err != nil {
			return fmt.Errorf("open follow modal: %w", err)
		}
		return nil
	}}
}

// follow makes the channel follow sched and says so in the channel, with
// who is on call now.
func (oc *Feature) follow(ctx context.Context, place chat.Place, sched domain.Schedule) error {
	deps, ok := oc.onCallOpsDeps()
	if !ok {
		return domain.Invalid("Following schedules is not available in this version of toban.")
	}
	if err := deps.store.Follow(ctx, domain.Follow{ChannelID: place.ChannelID, ScheduleID: sched.ID, ScheduleName: sched.Name, CreatedBy: place.UserID}); err != nil {
		return err
	}
	oc.wakeOnCallOps()
	now := oc.now()
	current := "Nobody is on call for it right now."
	if _, shifts, err := deps.ops.ScheduleShifts(ctx, sched.ID, now, now.Add(announceHorizon)); err == nil {
		for _, s := range shifts {
			if !s.Start.After(now) && s.End.After(now) {
				current = fmt.Sprintf("On call now: %s %s.", oc.personMention(ctx, s.User), untilText(now, s.End, now.Add(announceHorizon), oc.location()))
			}
		}
	}
	_, err := oc.Slack.PostMessage(ctx, place.ChannelID, chat.Message{Text: fmt.Sprintf(
		":satellite_antenna: <@%s> made this channel follow *%s*: I'll say who is on call at each shift change and warn ahead of gaps. %s `/toban oncall unfollow` stops it.",
		place.UserID, chat.Escape(sched.Name), current)})
	if err != nil {
		return chat.TellClicker(ctx, oc.Slack, place, chat.Message{Text: fmt.Sprintf("This channel now follows *%s*, but I could not post here (is toban in the channel?): %s", chat.Escape(sched.Name), chat.UserMessage(err))})
	}
	return nil
}

// unfollowCommand answers /toban oncall unfollow [schedule].
func (oc *Feature) unfollowCommand(query string, in chat.Invocation) chat.Response {
	if oc.PagerDuty == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	deps, ok := oc.onCallOpsDeps()
	if !ok {
		return chat.NotYet("oncall unfollow")
	}
	return chat.Response{Then: func(ctx context.Context) error {
		follows, err := deps.store.Follows(ctx, in.ChannelID)
		if err != nil {
			return err
		}
		var names []string
		for _, f := range follows {
			if query != "" && f.ScheduleID != query && !strings.EqualFold(f.ScheduleName, query) {
				continue
			}
			if err := deps.store.Unfollow(ctx, in.ChannelID, f.ScheduleID); err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
			names = append(names, "*"+chat.Escape(f.ScheduleName)+"*")
		}
		msg := "This channel follows no schedule. `/toban oncall follow` starts."
		switch {
		case len(names) > 0:
			msg = fmt.Sprintf(":wave: This channel no longer follows %s.", strings.Join(names, ", "))
		case len(follows) > 0:
			var all []string
			for _, f := range follows {
				all = append(all, f.ScheduleName)
			}
			msg = fmt.Sprintf("This channel does not follow %q; it follows %s.", query, strings.Join(all, ", "))
		}
		return oc.Slack.Respond(ctx, in.ResponseURL, chat.Message{Text: msg})
	}}
}

// personMention shows a PagerDuty user as a Slack mention when they have
// linked their account, else by name.
func (oc *Feature) personMention(ctx context.Context, p domain.Person) string {
	if oc.Users != nil && p.ID != "" {
		if id, err := oc.Users.SlackUserFor(ctx, p.ID); err == nil && id != "" {
			return "<@" + id + ">"
		}
	}
	return chat.Escape(p.Name)
}

// actionScheduleTyped is the schedule type-ahead the feature's modals
// show, answered by SuggestSchedules.
const actionScheduleTyped = chat.ActionScheduleSuggest

// ActionScheduleSuggest is the action ID SuggestSchedules answers.
const ActionScheduleSuggest = actionScheduleTyped

// SuggestSchedules answers the schedule type-ahead of any modal: up to
// 100 PagerDuty schedules matching query, by name.
func (oc *Feature) SuggestSchedules(ctx context.Context, query string) chat.Response {
	empty := chat.Response{Ack: slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}}
	if oc.PagerDuty == nil {
		return empty
	}
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	list, err := oc.PagerDuty.Schedules(ctx, query)
	if err != nil {
		oc.Log.Warn().Err(err).Msg("schedules for type-ahead unavailable")
		return empty
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	opts := []*slack.OptionBlockObject{}
	for i, s := range list {
		if i == 100 {
			break
		}
		opts = append(opts, slack.NewOptionBlockObject(s.ID, chat.Plain(chat.Truncate(s.Name, 75)), nil))
	}
	return chat.Response{Ack: slack.OptionsResponse{Options: opts}}
}
