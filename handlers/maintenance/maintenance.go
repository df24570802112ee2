package maintenance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// Maintenance windows own action and callback IDs prefixed "maint.".
const (
	viewMaintNew      = "maint.new"
	viewMaintConfirm  = "maint.confirm"
	actionMaintExtend = "maint.extend"
	actionMaintEnd    = "maint.end"
	maintExtension    = 30 * time.Minute
	maxMaintServices  = 25
	maxMaintLength    = 31 * 24 * time.Hour
)

// actionServiceSuggest is the services type-ahead (the incident feature
// answers it).
const actionServiceSuggest = chat.ActionServiceSuggest

// maintPresets are the duration choices; "custom" uses start and end.
var maintPresets = []struct {
	value string
	d     time.Duration
	label string
}{
	{"30m", 30 * time.Minute, "30 minutes"}, {"1h", time.Hour, "1 hour"}, {"2h", 2 * time.Hour, "2 hours"},
	{"4h", 4 * time.Hour, "4 hours"}, {"custom", 0, "Custom: start and end below"},
}

// maintRequest is a confirmed-to-be window, carried by the confirmation.
type maintRequest struct {
	Services    []maintService `json:"s"`
	Start       int64          `json:"a"`
	End         int64          `json:"b"`
	FromNow     bool           `json:"f,omitempty"`
	Description string         `json:"d,omitempty"`
	Channel     string         `json:"c"`
}

type maintService struct {
	ID   string `json:"i"`
	Name string `json:"n"`
}

// maintenanceCommand answers /toban maintenance [list].
func (mt *Feature) maintenanceCommand(args []string, in chat.Invocation) chat.Response {
	if !mt.available() {
		return chat.NotYet("maintenance")
	}
	switch {
	case len(args) == 1 && strings.EqualFold(args[0], "list"):
		return chat.Response{Then: func(ctx context.Context) error {
			return mt.Slack.Respond(ctx, in.ResponseURL, mt.maintenanceList(ctx))
		}}
	case len(args) > 0:
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: "`/toban maintenance` opens a form to put services into a maintenance window; `/toban maintenance list` shows the active and upcoming ones."})}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		if _, err := mt.Slack.OpenView(ctx, in.TriggerID, mt.maintenanceForm(in.ChannelID)); err != nil {
			return fmt.Errorf("open maintenance modal: %w", err)
		}
		return nil
	}}
}

func (mt *Feature) maintenanceForm(channelID string) slack.ModalViewRequest {
	services := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, chat.Plain("Search services"), actionServiceSuggest)
	zero := 0
	services.MinQueryLength = &zero
	var opts []*slack.OptionBlockObject
	for _, p := range maintPresets {
		opts = append(opts, slack.NewOptionBlockObject(p.value, chat.Plain(p.label), nil))
	}
	duration := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("How long"), "duration", opts...)
	duration.InitialOption = opts[1]
	optional := func(id, label string, el slack.BlockElement) *slack.InputBlock {
		b := slack.NewInputBlock(id, chat.Plain(label), nil, el)
		b.Optional = true
		return b
	}
	desc := slack.NewPlainTextInputBlockElement(chat.Plain("e.g. Database upgrade, ticket OPS-123"), "description")
	desc.MaxLength = 1000
	v := chat.Modal(viewMaintNew, "Maintenance window", "Next", chat.ModalState{},
		slack.NewSectionBlock(chat.Mrkdwn("While a maintenance window lasts, PagerDuty opens *no incidents* for its services and pages nobody. You will see the exact services and times before anything is created."), nil, nil),
		slack.NewInputBlock("services", chat.Plain("Services"), nil, services),
		slack.NewInputBlock("duration", chat.Plain("Duration, starting now"), nil, duration),
		optional("start_date", "Custom start (date)", slack.NewDatePickerBlockElement("date")),
		optional("start_time", fmt.Sprintf("Custom start (time, %s)", mt.location()), slack.NewTimePickerBlockElement("time")),
		optional("end_date", "Custom end (date)", slack.NewDatePickerBlockElement("date")),
		optional("end_time", fmt.Sprintf("Custom end (time, %s)", mt.location()), slack.NewTimePickerBlockElement("time")),
		optional("description", "Description", desc),
	)
	v.PrivateMetadata = chat.EncodeJSON(maintRequest{Channel: channelID})
	return v
}

func (mt *Feature) maintenanceSubmission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	var req maintRequest
	if err := chat.DecodeJSON(cb.View.PrivateMetadata, &req); err != nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): "This form is from an older toban. Close it and start again."})}
	}
	switch cb.View.CallbackID {
	case viewMaintNew:
		req, errs := mt.maintenanceInput(cb.View.State.Values, req.Channel)
		if len(errs) > 0 {
			return chat.Response{Ack: chat.ViewErrors(errs)}
		}
		v := mt.maintenanceConfirmation(req)
		if len(v.PrivateMetadata) > 3000 { // Slack's limit
			return chat.Response{Ack: chat.ViewErrors(map[string]string{"services": "That is too many services for one form; choose fewer."})}
		}
		return chat.Response{Ack: slack.NewUpdateViewSubmissionResponse(&v)}
	case viewMaintConfirm:
		key := "view:" + cb.View.ID + ":" + cb.View.CallbackID
		place := chat.Place{UserID: cb.User.ID, ChannelID: req.Channel}
		return chat.Response{Then: chat.Once(mt.Clicks, key, func(ctx context.Context) error {
			return mt.createMaintenance(ctx, place, req)
		})}
	}
	return chat.Response{}
}

// maintenanceInput validates the form: services, and a preset duration
// from now or a custom start and end in the configured time zone.
func (mt *Feature) maintenanceInput(values map[string]map[string]slack.BlockAction, channelID string) (maintRequest, map[string]string) {
	req := maintRequest{Channel: channelID, Description: strings.TrimSpace(values["description"]["description"].Value)}
	errs := map[string]string{}
	for _, o := range values["services"][actionServiceSuggest].SelectedOptions {
		name := o.Value
		if o.Text != nil && o.Text.Text != "" {
			name = o.Text.Text
		}
		req.Services = append(req.Services, maintService{ID: o.Value, Name: name})
	}
	switch n := len(req.Services); {
	case n == 0:
		errs["services"] = "Choose at least one service."
	case n > maxMaintServices:
		errs["services"] = fmt.Sprintf("Choose at most %d services at once.", maxMaintServices)
	}
	now := mt.now().Truncate(time.Second)
	choice := values["duration"]["duration"].SelectedOption.Value
	for _, p := range maintPresets {
		if p.value == choice && p.d > 0 {
			req.Start, req.End, req.FromNow = now.Unix(), now.Add(p.d).Unix(), true
			return req, errs
		}
	}
	if choice != "custom" {
		errs["duration"] = "Choose how long, or Custom."
		return req, errs
	}
	read := func(dateBlock, timeBlock string) time.Time {
		d, tm := values[dateBlock]["date"].SelectedDate, values[timeBlock]["time"].SelectedTime
		if d == "" {
			errs[dateBlock] = "Choose a date (or a duration instead of Custom)."
		}
		if tm == "" {
			errs[timeBlock] = "Choose a time (or a duration instead of Custom)."
		}
		t, err := time.ParseInLocation("2006-01-02 15:04", d+" "+tm, mt.location())
		if err != nil && d != "" && tm != "" {
			errs[timeBlock] = "That is not a time."
		}
		return t
	}
	start, end := read("start_date", "start_time"), read("end_date", "end_time")
	switch {
	case len(errs) > 0:
	case !end.After(start):
		errs["end_time"] = "The end must be after the start."
	case !end.After(now):
		errs["end_time"] = "That time is already over."
	case start.Before(now.Add(-5 * time.Minute)):
		errs["start_time"] = "The start is in the past; choose a later time, or a duration from now."
	case end.Sub(start) > maxMaintLength:
		errs["end_time"] = "A maintenance window can last at most 31 days here; check the dates."
	}
	if start.Before(now) {
		start, req.FromNow = now, true
	}
	req.Start, req.End = start.Unix(), end.Unix()
	return req, errs
}

// maintenanceConfirmation shows the exact services and times before
// anything is created: a mistyped window silences the wrong thing.
func (mt *Feature) maintenanceConfirmation(req maintRequest) slack.ModalViewRequest {
	loc := mt.location()
	start, end := time.Unix(req.Start, 0).In(loc), time.Unix(req.End, 0).In(loc)
	var services []string
	for _, s := range req.Services {
		services = append(services, fmt.Sprintf("• *%s* (`%s`)", chat.Escape(s.Name), chat.Escape(s.ID)))
	}
	from, submit := "*now* ("+start.Format("Mon Jan 2 15:04")+")", "Start maintenance"
	if !req.FromNow {
		from, submit = "*"+start.Format("Mon Jan 2 15:04")+"*", "Schedule maintenance"
	}
	what := "this service"
	if len(req.Services) > 1 {
		what = fmt.Sprintf("these %d services", len(req.Services))
	}
	text := fmt.Sprintf("*Put %s into maintenance?*\n%s\n\nFrom %s until *%s* (%s), for *%s*.",
		what, strings.Join(services, "\n"), from, end.Format("Mon Jan 2 15:04"), loc, chat.Duration(end.Sub(start)))
	if req.Description != "" {
		text += "\n\n" + chat.Quote(req.Description)
	}
	text += "\n\nMeanwhile PagerDuty opens no incidents for them and pages nobody."
	v := chat.Modal(viewMaintConfirm, "Confirm maintenance", submit, chat.ModalState{}, slack.NewSectionBlock(chat.Mrkdwn(chat.Truncate(text, 2990)), nil, nil))
	v.PrivateMetadata = chat.EncodeJSON(req)
	return v
}

// createMaintenance creates the window as the person (From: their email)
// and posts its card in the channel.
func (mt *Feature) createMaintenance(ctx context.Context, place chat.Place, req maintRequest) error {
	actor, ok, err := identity.ActorFor(ctx, mt.Identity, mt.Slack, place)
	if !ok {
		return err
	}
	now := mt.now().Truncate(time.Second)
	start, end := time.Unix(req.Start, 0), time.Unix(req.End, 0)
	if req.FromNow && start.Before(now) {
		start = now // the times shown were "from now"
	}
	if !end.After(now) {
		return chat.TellClicker(ctx, mt.Slack, place, chat.Message{Text: ":warning: That window would already be over; nothing was created."})
	}
	in := domain.NewMaintenanceWindow{Start: start, End: end, Description: req.Description}
	for _, s := range req.Services {
		in.ServiceIDs = append(in.ServiceIDs, s.ID)
	}
	if in.Description == "" {
		in.Description = "Maintenance by " + actor.Name + " (from Slack)"
	}
	mw, err := mt.Windows.CreateMaintenanceWindow(ctx, in, actor)
	if err != nil {
		return fmt.Errorf("create maintenance window: %w", err)
	}
	card := domain.MaintenanceCard{WindowID: mw.ID, ChannelID: place.ChannelID, Services: mw.Services, Description: req.Description,
		CreatedBy: place.UserID, Start: mw.Start, End: mw.End, State: domain.MaintenanceOpen}
	if len(card.Services) == 0 {
		for _, s := range req.Services {
			card.Services = append(card.Services, domain.Service{ID: s.ID, Name: s.Name})
		}
	}
	// Recorded before it is posted: a click on the card must find it.
	if err := mt.Store.SaveMaintenanceCard(ctx, card); err != nil {
		return fmt.Errorf("record maintenance card %s: %w", mw.ID, err)
	}
	mt.windowsChanged()
	ts, err := mt.Slack.PostMessage(ctx, place.ChannelID, mt.maintenanceCard(card))
	if err != nil {
		return chat.TellClicker(ctx, mt.Slack, place, chat.Message{Text: fmt.Sprintf("The maintenance window was created in PagerDuty (%s), but I could not post its card here: %s", mw.ID, chat.UserMessage(err))})
	}
	if err := mt.Store.SetMaintenanceCardTS(ctx, mw.ID, ts); err != nil {
		return fmt.Errorf("record maintenance card %s: %w", mw.ID, err)
	}
	// Someone may have extended or ended it already, through a list.
	if now, err := mt.Store.MaintenanceCard(ctx, mw.ID); err == nil && (now.State != card.State || !now.End.Equal(card.End)) {
		mt.showMaintenanceCard(ctx, mw.ID)
	}
	return nil
}

func serviceNames(list []domain.Service) string {
	names := make([]string, 0, len(list))
	for _, s := range list {
		names = append(names, "*"+chat.Escape(s.Name)+"*")
	}
	return strings.Join(names, ", ")
}

// maintenanceCard renders a window's card: what, when, its state, and
// Extend 30 min / End now while it is open.
func (mt *Feature) maintenanceCard(c domain.MaintenanceCard) chat.Message {
	loc := mt.location()
	now := mt.now().In(loc)
	text := fmt.Sprintf(":construction: *Maintenance window* — %s\n%s → %s (%s) · by <@%s>", serviceNames(c.Services),
		chat.FormatTime(now, c.Start.In(loc)), chat.FormatTime(now, c.End.In(loc)), loc, c.CreatedBy)
	if c.Description != "" {
		text += "\n" + chat.Quote(c.Description)
	}
	var state string
	switch {
	case c.State == domain.MaintenanceCancelled:
		state = fmt.Sprintf(":no_entry_sign: Cancelled by <@%s> before it started.", c.EndedBy)
	case c.State == domain.MaintenanceEnded && c.EndedBy != "":
		state = fmt.Sprintf(":white_check_mark: Ended at %s by <@%s>. PagerDuty opens incidents for these services again.", chat.FormatTime(now, c.EndedAt.In(loc)), c.EndedBy)
	case c.State == domain.MaintenanceEnded:
		state = fmt.Sprintf(":white_check_mark: Ended at %s. PagerDuty opens incidents for these services again.", chat.FormatTime(now, c.EndedAt.In(loc)))
	case now.Before(c.Start):
		state = fmt.Sprintf(":calendar: Starts %s.", chat.DayTime(now, c.Start, loc))
	default:
		state = fmt.Sprintf(":mute: Ongoing: no incidents until %s.", chat.DayTime(now, c.End, loc))
	}
	if c.ExtendedBy != "" && c.State == domain.MaintenanceOpen {
		state += fmt.Sprintf(" Extended to %s by <@%s>.", chat.FormatTime(now, c.End.In(loc)), c.ExtendedBy)
	}
	blocks := []slack.Block{slack.NewSectionBlock(chat.Mrkdwn(chat.Truncate(text, 2990)), nil, nil), slack.NewContextBlock("", chat.Mrkdwn(state))}
	if c.State == domain.MaintenanceOpen {
		blocks = append(blocks, slack.NewActionBlock("maint.actions",
			slack.NewButtonBlockElement(actionMaintExtend, c.WindowID, chat.Plain("Extend 30 min")), endButton(c.WindowID)))
	}
	return chat.Message{Text: fmt.Sprintf("Maintenance window for %s: %s", serviceNames(c.Services), state), Blocks: blocks}
}

func endButton(windowID string) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionMaintEnd, windowID, chat.Plain("End now"))
	b.Style = slack.StyleDanger
	b.Confirm = slack.NewConfirmationBlockObject(chat.Plain("End maintenance now?"),
		chat.Plain("PagerDuty will open incidents for these services again at once."), chat.Plain("End now"), chat.Plain("Keep"))
	return b
}

// maintenanceList shows the active and upcoming windows with End now.
func (mt *Feature) maintenanceList(ctx context.Context) chat.Message {
	list, err := mt.Windows.MaintenanceWindows(ctx)
	if err != nil {
		return chat.Message{Text: chat.UserMessage(err)}
	}
	if len(list) == 0 {
		return chat.Message{Text: "No maintenance window is active or scheduled. `/toban maintenance` starts one."}
	}
	loc := mt.location()
	now := mt.now().In(loc)
	blocks := []slack.Block{slack.NewHeaderBlock(chat.Plain("Maintenance windows"))}
	for i, mw := range list {
		if i == 45 {
			blocks = append(blocks, slack.NewContextBlock("", chat.Mrkdwn(fmt.Sprintf("…and %d more in PagerDuty.", len(list)-i))))
			break
		}
		when := fmt.Sprintf("%s → %s", chat.FormatTime(now, mw.Start.In(loc)), chat.FormatTime(now, mw.End.In(loc)))
		status := "upcoming"
		if mw.Ongoing(now) {
			status = "*ongoing*"
		}
		text := fmt.Sprintf("%s — %s, %s", serviceNames(mw.Services), status, when)
		if mw.Description != "" {
			text += "\n" + chat.Quote(chat.Truncate(mw.Description, 300))
		}
		blocks = append(blocks, slack.NewSectionBlock(chat.Mrkdwn(chat.Truncate(text, 2990)), nil, slack.NewAccessory(endButton(mw.ID))))
	}
	blocks = append(blocks, slack.NewContextBlock("", chat.Mrkdwn(fmt.Sprintf("Times in %s.", loc))))
	return chat.Message{Text: fmt.Sprintf("%d maintenance windows", len(list)), Blocks: blocks}
}
