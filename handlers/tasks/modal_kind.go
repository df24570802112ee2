package tasks

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// The task modal shows only the schedule fields its kind of rule needs:
// the kind select dispatches its changes (dispatch_action), and each
// change rebuilds the modal with views.update, keeping what the person
// already typed.

// actionTaskKind is the kind select's action_id (and block_id).
const actionTaskKind = "kind"

// scheduleFields are the blocks of the task modal that only some kinds of
// rule need, and kindFields which ones each kind needs, in addition to the
// kind and the time zone that every kind has.
var (
	scheduleFields = []string{"at", "date", "weekdays", "day", "cron"}
	kindFields     = map[scheduler.Kind][]string{
		scheduler.KindDaily:       {"at"},
		scheduler.KindWeekdays:    {"at"},
		scheduler.KindWeekly:      {"weekdays", "at"},
		scheduler.KindMonthlyDay:  {"day", "at"},
		scheduler.KindMonthlyLast: {"at"},
		scheduler.KindOnce:        {"date", "at"},
		scheduler.KindCron:        {"cron"},
	}
	// scheduleLabels replace the "(for Once)" labels of the modal that
	// shows every field.
	scheduleLabels = map[string]string{"at": "At", "date": "On", "weekdays": "Days", "day": "Day of the month", "cron": "Cron expression"}
)

// taskBlocksFor returns the task modal's blocks with only the schedule
// fields rule.Kind needs, each required, and the kind select dispatching
// its changes. An unknown kind keeps every field, as taskBlocks has them.
func taskBlocksFor(t domain.Task, rule scheduler.Rule, defaultZone *time.Location) []slack.Block {
	all := taskBlocks(t, rule, defaultZone)
	needed, known := kindFields[rule.Kind]
	out := make([]slack.Block, 0, len(all))
	for _, b := range all {
		in, ok := b.(*slack.InputBlock)
		switch {
		case !ok:
		case in.BlockID == actionTaskKind:
			in.DispatchAction = true
		case known && slices.Contains(scheduleFields, in.BlockID):
			if !slices.Contains(needed, in.BlockID) {
				continue
			}
			in.Optional = false
			in.Label = chat.Plain(scheduleLabels[in.BlockID])
			if in.BlockID == "at" {
				in.Hint = nil // "Not needed for cron": cron does not show it
			}
		}
		out = append(out, b)
	}
	return out
}

// taskModalView is the task modal for form, filled in from t and rule.
func (f *Feature) taskModalView(form taskForm, t domain.Task, rule scheduler.Rule) slack.ModalViewRequest {
	view := chat.Modal(viewTask, "Scheduled task", "Save", chat.ModalState{}, taskBlocksFor(t, rule, f.location())...)
	view.PrivateMetadata = chat.EncodeJSON(form)
	if form.TaskID != "" {
		view.Title = chat.Plain("Edit task")
	}
	return view
}

// taskFromState reads what the person has entered in the task modal so
// far, leniently (nothing is validated; a field left empty or unreadable
// stays empty), with the rule of the given kind.
func (f *Feature) taskFromState(values map[string]map[string]slack.BlockAction, kind scheduler.Kind) (domain.Task, scheduler.Rule) {
	t := domain.Task{
		Title:       values["title"]["title"].Value,
		Description: values["description"]["description"].Value,
		ChannelID:   values["channel"]["channel"].SelectedConversation,
		Escalation:  domain.Escalation(values["escalation"]["escalation"].SelectedOption.Value),
		GraceMinutes: func() int {
			if m, err := strconv.Atoi(values["grace"]["grace"].SelectedOption.Value); err == nil {
				return m
			}
			return 15 // the new task's default
		}(),
	}
	switch t.Escalation {
	case domain.EscalateOnCall:
		sel := values["schedule"][actionScheduleTyped].SelectedOption
		t.EscalationTargetID, t.EscalationTargetName = sel.Value, optionText(sel)
	case domain.EscalateIncident:
		sel := values["service"][actionServiceSuggest].SelectedOption
		t.EscalationTargetID, t.EscalationTargetName = sel.Value, optionText(sel)
	}
	rule := scheduler.Rule{
		Kind: kind,
		At:   values["at"]["at"].SelectedTime,
		Date: values["date"]["date"].SelectedDate,
		Cron: strings.TrimSpace(values["cron"]["cron"].Value),
	}
	for _, o := range values["weekdays"]["weekdays"].SelectedOptions {
		if d, err := strconv.Atoi(o.Value); err == nil && d >= 0 && d < 7 {
			rule.Weekdays = append(rule.Weekdays, time.Weekday(d))
		}
	}
	rule.Day, _ = strconv.Atoi(strings.TrimSpace(values["day"]["day"].Value))
	rule.Location = f.location()
	if zone := values["tz"][actionZoneSuggest].SelectedOption.Value; zone != "" {
		if loc, err := time.LoadLocation(zone); err == nil {
			rule.Location = loc
		}
	}
	return t, rule
}

// taskKindClick rebuilds the task modal for the kind of schedule just
// chosen, keeping everything else the person entered.
func (f *Feature) taskKindClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	if cb.View.ID == "" || cb.View.CallbackID != viewTask {
		return chat.Response{}
	}
	var form taskForm
	if err := chat.DecodeJSON(cb.View.PrivateMetadata, &form); err != nil {
		return chat.Response{} // a form from an older toban: its submission says so
	}
	var values map[string]map[string]slack.BlockAction
	if cb.View.State != nil {
		values = cb.View.State.Values
	}
	t, rule := f.taskFromState(values, scheduler.Kind(act.SelectedOption.Value))
	view := f.taskModalView(form, t, rule)
	viewID, hash := cb.View.ID, cb.View.Hash
	return chat.Response{Then: func(ctx context.Context) error {
		return f.updateViewIfUnchanged(ctx, viewID, hash, view)
	}}
}

// updateViewIfUnchanged replaces a modal unless the person changed it since
// the hash: then Slack answers hash_conflict, and the newer change brings
// its own update, so the conflict is no error.
func (f *Feature) updateViewIfUnchanged(ctx context.Context, viewID, hash string, view slack.ModalViewRequest) error {
	if f.Views == nil || hash == "" {
		return f.Slack.UpdateView(ctx, viewID, view)
	}
	err := f.Views.UpdateViewIfUnchanged(ctx, viewID, hash, view)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "hash_conflict" {
		f.Log.Debug().Str("view", viewID).Msg("task modal changed meanwhile; update skipped")
		return nil
	}
	return err
}
