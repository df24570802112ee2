package oncall

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// On-call operations (take the pager, shift import, shift-change
// announcements) own action and callback IDs prefixed "oncall.".
const (
	actionTakeConfirm = "oncall.take.confirm"
	actionTakeCancel  = "oncall.take.cancel"
	viewTakeCustom    = "oncall.take"
	viewTakeConfirm   = "oncall.take.confirm"
)

// takeRequest is an offered override, carried by the Confirm button or
// the confirmation modal.
type takeRequest struct {
	ScheduleID string `json:"s,omitempty"`
	Schedule   string `json:"n"`
	Start      int64  `json:"a,omitempty"` // unix seconds
	End        int64  `json:"b,omitempty"`
	Channel    string `json:"c,omitempty"`
	// FromNow: the start is "now", moved to the moment of confirming.
	FromNow bool `json:"f,omitempty"`
}

func (oc *Feature) onCallOpsClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	if oc.PagerDuty == nil {
		return chat.RespondLater(oc.Slack, place.ResponseURL, chat.Message{Text: chat.NotConfigured})
	}
	if _, ok := oc.onCallOpsDeps(); !ok {
		return chat.RespondLater(oc.Slack, place.ResponseURL, chat.NotYetMessage("oncall"))
	}
	return chat.Response{Then: chat.Once(oc.Clicks, chat.ClickKey(cb, act), func(ctx context.Context) error {
		switch act.ActionID {
		case actionTake1h, actionTake4h, actionTakeShift:
			return oc.offerTake(ctx, place, act.Value, act.ActionID)
		case actionTakeCustom:
			return oc.openTakeCustom(ctx, cb.TriggerID, place, act.Value)
		case actionTakeConfirm:
			var req takeRequest
			if err := chat.DecodeJSON(act.Value, &req); err != nil || req.ScheduleID == "" {
				return chat.TellClicker(ctx, oc.Slack, place, chat.Message{Text: ":thinking_face: That button is broken; run `/toban oncall` again."})
			}
			req.Channel = place.ChannelID
			return oc.take(ctx, place, req)
		case actionShiftsUndo:
			deps, _ := oc.onCallOpsDeps()
			return oc.undoImport(ctx, deps.ops, place, act.Value)
		case actionTakeCancel:
			return oc.Slack.Respond(ctx, cb.ResponseURL, chat.Message{Text: "Cancelled: nothing changed in PagerDuty.", ReplaceOriginal: true})
		}
		return nil
	})}
}

// offerTake works out the override a Take button asks for and shows it
// for confirmation: the schedule, who is replaced, and the exact times.
func (oc *Feature) offerTake(ctx context.Context, place chat.Place, schedule, action string) error {
	actor, ok, err := identity.ActorFor(ctx, oc.Identity, oc.Slack, place)
	if !ok {
		return err
	}
	sched, err := oc.findSchedule(ctx, schedule)
	if err != nil {
		return err
	}
	deps, _ := oc.onCallOpsDeps()
	now := oc.now().Truncate(time.Second)
	req := takeRequest{ScheduleID: sched.ID, Schedule: sched.Name, Start: now.Unix(), FromNow: true}
	switch action {
	case actionTake1h:
		req.End = now.Add(time.Hour).Unix()
	case actionTake4h:
		req.End = now.Add(4 * time.Hour).Unix()
	case actionTakeShift:
		// Until the current shift ends; in a gap, until the next one starts.
		_, shifts, err := deps.ops.ScheduleShifts(ctx, sched.ID, now, now.Add(announceHorizon))
		if err != nil {
			return fmt.Errorf("current shift of %s: %w", sched.ID, err)
		}
		for _, s := range shifts {
			switch {
			case !s.Start.After(now) && s.End.After(now) && s.User.ID == actor.ID:
				return chat.TellClicker(ctx, oc.Slack, place, chat.Message{Text: fmt.Sprintf(":information_source: You are already on call for *%s* until %s.", chat.Escape(sched.Name), chat.DayTime(now, s.End, oc.location()))})
			case !s.Start.After(now) && s.End.After(now):
				req.End = s.End.Unix()
			case s.Start.After(now) && req.End == 0:
				req.End = s.Start.Unix()
			}
		}
		if req.End == 0 {
			return chat.TellClicker(ctx, oc.Slack, place, chat.Message{Text: fmt.Sprintf("Nobody is on call for *%s* this week, so there is no shift to take until its end. Choose a duration.", chat.Escape(sched.Name))})
		}
	}
	msg, err := oc.takeConfirmation(ctx, deps.ops, actor, req)
	if err != nil {
		return err
	}
	confirm := slack.NewButtonBlockElement(actionTakeConfirm, chat.EncodeJSON(req), chat.Plain("Take on-call"))
	confirm.Style = slack.StylePrimary
	msg.Blocks = []slack.Block{
		slack.NewSectionBlock(chat.Mrkdwn(msg.Text), nil, nil),
		slack.NewActionBlock("oncall.take.confirm", confirm, slack.NewButtonBlockElement(actionTakeCancel, "", chat.Plain("Cancel"))),
	}
	return chat.TellClicker(ctx, oc.Slack, place, msg)
}

// takeConfirmation checks an offered override (not over, no overlap with
// the person's own overrides) and says exactly what it will do.
func (oc *Feature) takeConfirmation(ctx context.Context, ops Ops, actor domain.Person, req takeRequest) (chat.Message, error) {
	start, end, err := oc.checkTake(ctx, ops, actor, req)
	if err != nil {
		return chat.Message{}, err
	}
	loc := oc.location()
	replaced, err := oc.replaced(ctx, ops, req.ScheduleID, actor, start, end)
	if err != nil {
		return chat.Message{}, err
	}
	who := "Nobody is on call then, so you fill the gap."
	if len(replaced) > 0 {
		who = fmt.Sprintf("You (%s) replace %s.", chat.Escape(actor.Name), strings.Join(replaced, " and "))
	}
	from := start.In(loc).Format("Mon Jan 2 15:04")
	if req.FromNow {
		from = "now (" + start.In(loc).Format("15:04") + ")"
	}
	text := fmt.Sprintf("*Take on-call for %s?*\n%s\n*From* %s *until* %s (%s), %s.\nPagerDuty pages you for %s during that time.",
		chat.Escape(req.Schedule), who, from, end.In(loc).Format("Mon Jan 2 15:04"), loc, chat.Duration(end.Sub(start)), chat.Escape(req.Schedule))
	return chat.Message{Text: text}, nil
}

// checkTake refuses a range that is over or that overlaps one of the
// person's own overrides on the schedule, and returns the range to create.
func (oc *Feature) checkTake(ctx context.Context, ops Ops, actor domain.Person, req takeRequest) (time.Time, time.Time, error) {
	now := oc.now().Truncate(time.Second)
	start, end := time.Unix(req.Start, 0), time.Unix(req.End, 0)
	if req.FromNow && start.Before(now) {
		start = now
	}
	switch {
	case !end.After(now):
		return start, end, domain.Invalid("That time is already over (%s); nothing was created.", end.In(oc.location()).Format("Mon Jan 2 15:04"))
	case !end.After(start):
		return start, end, domain.Invalid("The end must be after the start; nothing was created.")
	case start.Before(now.Add(-5 * time.Minute)):
		return start, end, domain.Invalid("On-call cannot be taken in the past (%s); choose a start from now on. Nothing was created.", start.In(oc.location()).Format("Mon Jan 2 15:04"))
	case end.Sub(start) > 31*24*time.Hour:
		return start, end, domain.Invalid("That is more than a month; edit the schedule in PagerDuty instead. Nothing was created.")
	}
	existing, err := ops.Overrides(ctx, req.ScheduleID, start, end)
	if err != nil {
		return start, end, fmt.Errorf("overrides of %s: %w", req.ScheduleID, err)
	}
	for _, o := range existing {
		if o.User.ID == actor.ID && o.Start.Before(end) && o.End.After(start) {
			return start, end, domain.Invalid("You already have an override on %s %s; nothing was created.",
				req.Schedule, chat.SpanText(oc.now(), o.Start, o.End, oc.location()))
		}
	}
	return start.Truncate(time.Second), end, nil
}

// replaced names who the rota has on call in [start, end), other than
// the person taking over.
func (oc *Feature) replaced(ctx context.Context, ops Ops, scheduleID string, actor domain.Person, start, end time.Time) ([]string, error) {
	_, shifts, err := ops.ScheduleShifts(ctx, scheduleID, start, end)
	if err != nil {
		return nil, fmt.Errorf("shifts of %s: %w", scheduleID, err)
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range shifts {
		if s.User.ID == actor.ID || seen[s.User.ID] {
			continue
		}
		seen[s.User.ID] = true
		out = append(out, oc.personMention(ctx, s.User))
	}
	return out, nil
}

// take creates the override as the person and hands the pager over in the
// channel: "@bob takes Primary from @alice until 18:00".
func (oc *Feature) take(ctx context.Context, place chat.Place, req takeRequest) error {
	actor, ok, err := identity.ActorFor(ctx, oc.Identity, oc.Slack, place)
	if !ok {
		return err
	}
	deps, _ := oc.onCallOpsDeps()
	start, end, err := oc.checkTake(ctx, deps.ops, actor, req)
	if err != nil {
		return err
	}
	replaced, err := oc.replaced(ctx, deps.ops, req.ScheduleID, actor, start, end)
	if err != nil {
		return err
	}
	if _, err := deps.ops.CreateOverride(ctx, req.ScheduleID, actor, start, end); err != nil {
		return fmt.Errorf("take %s for %s: %w", req.ScheduleID, actor.ID, err)
	}
	now := oc.now()
	when := "until " + chat.DayTime(now, end, oc.location())
	if start.After(now.Add(time.Minute)) {
		when = chat.SpanText(now, start, end, oc.location())
	}
	from := ""
	if len(replaced) > 0 {
		from = " from " + strings.Join(replaced, " and ")
	}
	oc.wakeOnCallOps()
	handoff := chat.Message{Text: fmt.Sprintf(":pager: <@%s> takes *%s*%s %s.", place.UserID, chat.Escape(req.Schedule), from, when)}
	if req.Channel != "" {
		// The channel saw the hand-off; its follow announcement would repeat it.
		key := shiftKey(req.Channel, req.ScheduleID, start, actor.ID)
		if _, err := deps.store.ClaimAnnouncement(ctx, key); err != nil {
			oc.Log.Warn().Err(err).Msg("hand-off not recorded as announced")
		}
		if _, err := oc.Slack.PostMessage(ctx, req.Channel, handoff); err == nil {
			if place.ResponseURL != "" {
				return oc.Slack.Respond(ctx, place.ResponseURL, chat.Message{Text: ":white_check_mark: Done: " + handoff.Text, ReplaceOriginal: true})
			}
			return nil
		}
		_ = deps.store.ReleaseAnnouncement(ctx, key)
	}
	return chat.TellClicker(ctx, oc.Slack, place, chat.Message{Text: ":white_check_mark: Done in PagerDuty: " + handoff.Text})
}

// openTakeCustom opens the form for a custom range, at once (trigger IDs
// expire in 3 s).
func (oc *Feature) openTakeCustom(ctx context.Context, triggerID string, place chat.Place, schedule string) error {
	loc := oc.location()
	now := oc.now().In(loc)
	end := now.Add(time.Hour)
	picker := func(block, label string, t time.Time, date bool) *slack.InputBlock {
		if date {
			e := slack.NewDatePickerBlockElement("date")
			e.InitialDate = t.Format("2006-01-02")
			return slack.NewInputBlock(block, chat.Plain(label), nil, e)
		}
		e := slack.NewTimePickerBlockElement("time")
		e.InitialTime = t.Format("15:04")
		return slack.NewInputBlock(block, chat.Plain(label), nil, e)
	}
	v := chat.Modal(viewTakeCustom, "Take on-call", "Next", chat.ModalState{},
		slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf("Take on-call for *%s*. Times are in %s.", chat.Escape(schedule), loc)), nil, nil),
		picker("start_date", "From (date)", now, true), picker("start_time", "From (time)", now, false),
		picker("end_date", "Until (date)", end, true), picker("end_time", "Until (time)", end, false))
	v.PrivateMetadata = chat.EncodeJSON(takeRequest{Schedule: schedule, Channel: place.ChannelID})
	if _, err := oc.Slack.OpenView(ctx, triggerID, v); err != nil {
		return fmt.Errorf("open take modal: %w", err)
	}
	return nil
}

func (oc *Feature) onCallOpsSubmission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	var req takeRequest
	if err := chat.DecodeJSON(cb.View.PrivateMetadata, &req); err != nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): "This form is from an older toban. Close it and start again."})}
	}
	place := chat.Place{UserID: cb.User.ID, ChannelID: req.Channel}
	once := func(then func(ctx context.Context) error) func(ctx context.Context) error {
		return chat.Once(oc.Clicks, "view:"+cb.View.ID+":"+cb.View.CallbackID, then)
	}
	switch cb.View.CallbackID {
	case viewFollow:
		var state chat.ModalState
		_ = chat.DecodeJSON(cb.View.PrivateMetadata, &state)
		id := cb.View.State.Values["schedule"][actionScheduleTyped].SelectedOption.Value
		if id == "" {
			return chat.Response{Ack: chat.ViewErrors(map[string]string{"schedule": "Choose a schedule."})}
		}
		return chat.Response{Then: once(func(ctx context.Context) error {
			sched, err := oc.findSchedule(ctx, id)
			if err != nil {
				return err
			}
			return oc.follow(ctx, chat.Place{UserID: cb.User.ID, ChannelID: state.ChannelID}, sched)
		})}
	case viewTakeCustom:
		start, end, errs := oc.takeRange(cb.View.State.Values)
		if len(errs) > 0 {
			return chat.Response{Ack: chat.ViewErrors(errs)}
		}
		req.Start, req.End, req.FromNow = start.Unix(), end.Unix(), !start.After(oc.now())
		viewID := cb.View.ID
		checking := chat.Modal(viewTakeConfirm, "Take on-call", "", chat.ModalState{},
			slack.NewSectionBlock(chat.Mrkdwn(":hourglass_flowing_sand: Checking the schedule in PagerDuty…"), nil, nil))
		return chat.Response{Ack: slack.NewUpdateViewSubmissionResponse(&checking), Then: once(func(ctx context.Context) error {
			return oc.confirmTakeView(ctx, viewID, place, req)
		})}
	case viewTakeConfirm:
		return chat.Response{Then: once(func(ctx context.Context) error { return oc.take(ctx, place, req) })}
	}
	return chat.Response{}
}

// takeRange reads the custom range form in the configured time zone.
func (oc *Feature) takeRange(values map[string]map[string]slack.BlockAction) (time.Time, time.Time, map[string]string) {
	errs := map[string]string{}
	read := func(dateBlock, timeBlock string) time.Time {
		d, tm := values[dateBlock]["date"].SelectedDate, values[timeBlock]["time"].SelectedTime
		t, err := time.ParseInLocation("2006-01-02 15:04", d+" "+tm, oc.location())
		if err != nil {
			errs[timeBlock] = "Choose a date and a time."
		}
		return t
	}
	start, end := read("start_date", "start_time"), read("end_date", "end_time")
	now := oc.now()
	switch {
	case len(errs) > 0:
	case !end.After(start):
		errs["end_time"] = "The end must be after the start."
	case !end.After(now):
		errs["end_time"] = "That time is already over."
	case start.Before(now.Add(-5 * time.Minute)):
		errs["start_time"] = "On-call cannot be taken in the past; choose a start from now on."
	}
	return start, end, errs
}

// confirmTakeView replaces the checking modal with the confirmation, or
// with why the range cannot be taken.
func (oc *Feature) confirmTakeView(ctx context.Context, viewID string, place chat.Place, req takeRequest) error {
	show := func(submit, text string, r takeRequest) error {
		v := chat.Modal(viewTakeConfirm, "Take on-call", submit, chat.ModalState{}, slack.NewSectionBlock(chat.Mrkdwn(text), nil, nil))
		v.PrivateMetadata = chat.EncodeJSON(r)
		return oc.Slack.UpdateView(ctx, viewID, v)
	}
	actor, err := oc.Identity.ActingAs(ctx, place.UserID)
	var notLinked *identity.NotLinkedError
	if errors.As(err, &notLinked) {
		return show("", identity.NotLinkedMessage(notLinked).Text, req)
	}
	if err != nil {
		return err
	}
	sched, err := oc.findSchedule(ctx, req.Schedule)
	if err == nil {
		req.ScheduleID, req.Schedule = sched.ID, sched.Name
		deps, _ := oc.onCallOpsDeps()
		var msg chat.Message
		if msg, err = oc.takeConfirmation(ctx, deps.ops, actor, req); err == nil {
			return show("Take on-call", msg.Text, req)
		}
	}
	if errors.Is(err, domain.ErrInvalid) {
		return show("", chat.UserMessage(err), req)
	}
	if uerr := show("", chat.UserMessage(err), req); uerr != nil {
		oc.Log.Warn().Err(uerr).Msg("take modal not updated")
	}
	return err
}
