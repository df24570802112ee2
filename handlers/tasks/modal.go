package tasks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// The task modal's callback ID and the action IDs of its type-aheads.
const (
	viewTask             = "task.save"
	actionZoneSuggest    = "tz"
	actionScheduleTyped  = chat.ActionScheduleSuggest
	actionServiceSuggest = chat.ActionServiceSuggest
)

// taskForm holds a task modal's state: the task being edited (empty ID
// for a new one) and the channel it was opened in.
type taskForm struct {
	TaskID    string `json:"k,omitempty"`
	ChannelID string `json:"c,omitempty"`
}

var ruleKinds = []struct {
	kind  scheduler.Kind
	label string
}{
	{scheduler.KindDaily, "Every day"},
	{scheduler.KindWeekdays, "Every weekday (Mon–Fri)"},
	{scheduler.KindWeekly, "Every week on chosen days"},
	{scheduler.KindMonthlyDay, "Every month on day N"},
	{scheduler.KindMonthlyLast, "Every month on the last day"},
	{scheduler.KindOnce, "Once"},
	{scheduler.KindCron, "Cron expression (experts)"},
}

var weekdayNames = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// remindCommand opens the task modal for a new task.
func (f *Feature) remindCommand(in chat.Invocation) chat.Response {
	if f.Store == nil {
		return chat.Response{Ack: chat.Ephemeral(NotSetUp)}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		return f.openTaskModal(ctx, in.TriggerID, taskForm{ChannelID: in.ChannelID}, domain.Task{ChannelID: in.ChannelID, GraceMinutes: 15})
	}}
}

func (f *Feature) openTaskModal(ctx context.Context, triggerID string, form taskForm, t domain.Task) error {
	rule := scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00", Location: f.location()}
	if t.Rule.Kind != "" {
		rule = t.Rule
	}
	view := f.taskModalView(form, t, rule)
	if _, err := f.Slack.OpenView(ctx, triggerID, view); err != nil {
		return fmt.Errorf("open task modal: %w", err)
	}
	return nil
}

func taskBlocks(t domain.Task, rule scheduler.Rule, defaultZone *time.Location) []slack.Block {
	input := func(id, label string, el slack.BlockElement, optional bool, hint string) *slack.InputBlock {
		var h *slack.TextBlockObject
		if hint != "" {
			h = chat.Plain(hint)
		}
		b := slack.NewInputBlock(id, chat.Plain(label), h, el)
		b.Optional = optional
		return b
	}
	title := slack.NewPlainTextInputBlockElement(chat.Plain("e.g. Check last night's backups"), "title")
	title.InitialValue, title.MaxLength = t.Title, 200
	desc := slack.NewPlainTextInputBlockElement(chat.Plain("What to do, or a runbook link"), "description")
	desc.Multiline, desc.InitialValue = true, t.Description
	channel := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, chat.Plain("Channel"), "channel")
	channel.InitialConversation = t.ChannelID
	channel.DefaultToCurrentConversation = t.ChannelID == ""

	var kindOpts []*slack.OptionBlockObject
	var kindInitial *slack.OptionBlockObject
	for _, k := range ruleKinds {
		o := slack.NewOptionBlockObject(string(k.kind), chat.Plain(k.label), nil)
		kindOpts = append(kindOpts, o)
		if k.kind == rule.Kind {
			kindInitial = o
		}
	}
	kind := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("How often"), "kind", kindOpts...)
	kind.InitialOption = kindInitial
	at := slack.NewTimePickerBlockElement("at")
	at.InitialTime = rule.At
	date := slack.NewDatePickerBlockElement("date")
	date.InitialDate = rule.Date
	var dayOpts, dayInitial []*slack.OptionBlockObject
	for i, name := range weekdayNames {
		o := slack.NewOptionBlockObject(strconv.Itoa(i), chat.Plain(name), nil)
		dayOpts = append(dayOpts, o)
		for _, d := range rule.Weekdays {
			if int(d) == i {
				dayInitial = append(dayInitial, o)
			}
		}
	}
	days := slack.NewCheckboxGroupsBlockElement("weekdays", dayOpts...)
	days.InitialOptions = dayInitial
	day := slack.NewPlainTextInputBlockElement(chat.Plain("1–31"), "day")
	if rule.Day > 0 {
		day.InitialValue = strconv.Itoa(rule.Day)
	}
	cron := slack.NewPlainTextInputBlockElement(chat.Plain("e.g. 0 9 * * 1-5"), "cron")
	cron.InitialValue = rule.Cron
	zone := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, chat.Plain("Time zone"), actionZoneSuggest)
	zero := 0
	zone.MinQueryLength = &zero
	loc := rule.Location
	if loc == nil {
		loc = defaultZone
	}
	zone.InitialOption = slack.NewOptionBlockObject(loc.String(), chat.Plain(loc.String()), nil)

	var graceOpts []*slack.OptionBlockObject
	var graceInitial *slack.OptionBlockObject
	for _, m := range []int{0, 5, 10, 15, 30, 60, 120, 240} {
		label := fmt.Sprintf("%d minutes", m)
		if m == 0 {
			label = "Never remind"
		}
		o := slack.NewOptionBlockObject(strconv.Itoa(m), chat.Plain(label), nil)
		graceOpts = append(graceOpts, o)
		if m == t.GraceMinutes {
			graceInitial = o
		}
	}
	grace := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("Grace period"), "grace", graceOpts...)
	grace.InitialOption = graceInitial

	none := slack.NewOptionBlockObject(string(domain.EscalateNone), chat.Plain("Only remind in the thread"), nil)
	oncall := slack.NewOptionBlockObject(string(domain.EscalateOnCall), chat.Plain("Mention who is on call on a schedule"), nil)
	incident := slack.NewOptionBlockObject(string(domain.EscalateIncident), chat.Plain("Open a PagerDuty incident on a service (pages the on-call)"), nil)
	esc := slack.NewRadioButtonsBlockElement("escalation", none, oncall, incident)
	esc.InitialOption = none
	switch t.Escalation {
	case domain.EscalateOnCall:
		esc.InitialOption = oncall
	case domain.EscalateIncident:
		esc.InitialOption = incident
	}
	schedule := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, chat.Plain("Search schedules"), actionScheduleTyped)
	schedule.MinQueryLength = &zero
	service := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, chat.Plain("Search services"), actionServiceSuggest)
	service.MinQueryLength = &zero
	switch {
	case t.EscalationTargetID == "": // none chosen yet (a modal being rebuilt)
	case t.Escalation == domain.EscalateOnCall:
		schedule.InitialOption = slack.NewOptionBlockObject(t.EscalationTargetID, chat.Plain(chat.Truncate(t.EscalationTargetName, 75)), nil)
	case t.Escalation == domain.EscalateIncident:
		service.InitialOption = slack.NewOptionBlockObject(t.EscalationTargetID, chat.Plain(chat.Truncate(t.EscalationTargetName, 75)), nil)
	}

	return []slack.Block{
		input("title", "Task", title, false, ""),
		input("description", "Description or runbook link", desc, true, ""),
		input("channel", "Post the card in", channel, false, ""),
		input("kind", "Schedule", kind, false, ""),
		input("at", "At", at, true, "Not needed for cron."),
		input("date", "On (for Once)", date, true, ""),
		input("weekdays", "Days (for every week)", days, true, ""),
		input("day", "Day of the month (for day N)", day, true, "Months without that day use their last day."),
		input("cron", "Cron expression (for experts)", cron, true, "Five fields: minute hour day month weekday."),
		input("tz", "Time zone", zone, false, ""),
		input("grace", "Remind if nobody starts within", grace, false, ""),
		input("escalation", "Then", esc, false, ""),
		input("schedule", "On-call schedule (for mention)", schedule, true, ""),
		input("service", "PagerDuty service (for incident)", service, true, ""),
	}
}

// taskFieldBlocks maps scheduler.FieldError fields to modal blocks.
var taskFieldBlocks = map[string]string{"kind": "kind", "at": "at", "date": "date", "weekdays": "weekdays", "day": "day", "cron": "cron"}

// taskInput validates the task modal into a task; errs holds field errors.
func (f *Feature) taskInput(values map[string]map[string]slack.BlockAction, now time.Time) (domain.Task, scheduler.Rule, map[string]string) {
	errs := map[string]string{}
	t := domain.Task{
		Title:       strings.TrimSpace(values["title"]["title"].Value),
		Description: strings.TrimSpace(values["description"]["description"].Value),
		ChannelID:   values["channel"]["channel"].SelectedConversation,
		Escalation:  domain.Escalation(values["escalation"]["escalation"].SelectedOption.Value),
	}
	if t.Title == "" {
		errs["title"] = "Name the task."
	}
	// Checked here, not only by SaveTask after the modal has closed: a
	// refusal then would lose the form.
	if utf8.RuneCountInString(t.Title) > domain.MaxTaskTitle {
		errs["title"] = fmt.Sprintf("A task's name can be at most %d characters.", domain.MaxTaskTitle)
	}
	if utf8.RuneCountInString(t.Description) > domain.MaxTaskDescription {
		errs["description"] = fmt.Sprintf("The description can be at most %d characters.", domain.MaxTaskDescription)
	}
	if t.ChannelID == "" {
		errs["channel"] = "Choose where the card goes."
	}
	rule := scheduler.Rule{
		Kind: scheduler.Kind(values["kind"]["kind"].SelectedOption.Value),
		At:   values["at"]["at"].SelectedTime,
		Date: values["date"]["date"].SelectedDate,
		Cron: strings.TrimSpace(values["cron"]["cron"].Value),
	}
	for _, o := range values["weekdays"]["weekdays"].SelectedOptions {
		if d, err := strconv.Atoi(o.Value); err == nil && d >= 0 && d < 7 {
			rule.Weekdays = append(rule.Weekdays, time.Weekday(d))
		}
	}
	if s := strings.TrimSpace(values["day"]["day"].Value); s != "" {
		d, err := strconv.Atoi(s)
		if err != nil {
			errs["day"] = "A day of the month is a number from 1 to 31."
		}
		rule.Day = d
	}
	zone := values["tz"][actionZoneSuggest].SelectedOption.Value
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		errs["tz"] = "Choose a time zone from the list."
		loc = f.location()
	}
	rule.Location = loc
	var fe *scheduler.FieldError
	if err := rule.Validate(now); errors.As(err, &fe) {
		if block, ok := taskFieldBlocks[fe.Field]; ok && errs[block] == "" {
			errs[block] = fe.Msg
		}
	} else if err != nil {
		errs["kind"] = err.Error()
	}
	t.Rule = rule
	t.GraceMinutes, t.Escalation, t.EscalationTargetID, t.EscalationTargetName = f.escalationInput(values, errs)
	return t, rule, errs
}

func optionText(o slack.OptionBlockObject) string {
	if o.Text != nil && o.Text.Text != "" {
		return o.Text.Text
	}
	return o.Value
}

// taskSubmission saves a new or edited task.
func (f *Feature) taskSubmission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	var form taskForm
	if err := chat.DecodeJSON(cb.View.PrivateMetadata, &form); err != nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{"title": "This form is from an older toban; close it and start again."})}
	}
	t, rule, errs := f.taskInput(cb.View.State.Values, f.now())
	if len(errs) > 0 {
		return chat.Response{Ack: chat.ViewErrors(errs)}
	}
	t.ID, t.CreatedBy, t.Source = form.TaskID, cb.User.ID, "slack"
	if t.Escalation == domain.EscalateIncident {
		// The incident is opened as the task's author; they must be linked.
		ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
		defer cancel()
		person, err := f.Identity.ActingAs(ctx, cb.User.ID)
		if err != nil {
			return chat.Response{Ack: chat.ViewErrors(map[string]string{"escalation": "The incident is opened as you, and I can't find your PagerDuty user. Run `/toban link` first."})}
		}
		t.CreatorPDEmail = person.Email
	}
	return chat.Response{Then: func(ctx context.Context) error {
		if form.TaskID != "" {
			old, err := f.Store.Task(ctx, form.TaskID)
			if err != nil {
				return err
			}
			if old.CreatedBy != cb.User.ID && !f.Admins[cb.User.ID] {
				return domain.Invalid("Only the task's author or an admin can change it.")
			}
			t.CreatedBy, t.Source, t.ExternalID, t.Paused = old.CreatedBy, old.Source, old.ExternalID, old.Paused
		}
		saved, err := f.Store.SaveTask(ctx, t)
		if err != nil {
			return err
		}
		f.scheduleTask(saved)
		next := "never again"
		if due, ok := f.Engine.NextDue(saved.ID); ok {
			next = chat.FormatTime(f.now().In(rule.Location), due.In(rule.Location))
		}
		msg := chat.Message{Text: fmt.Sprintf(":calendar: <@%s> scheduled *%s* %s. Next card: %s.", cb.User.ID, chat.Escape(saved.Title), rule.String(), next)}
		_, err = f.Slack.PostMessage(ctx, saved.ChannelID, msg)
		return err
	}}
}

// scheduleTask tells the engine about a task's current rule.
func (f *Feature) scheduleTask(t domain.Task) {
	f.Engine.Upsert(scheduler.Task{ID: t.ID, Rule: t.Rule, Paused: t.Paused})
}

// escalationInput reads the grace period and the escalation (kind and
// target) shared by the task and calendar modals, adding field errors.
func (f *Feature) escalationInput(values map[string]map[string]slack.BlockAction, errs map[string]string) (grace int, kind domain.Escalation, targetID, targetName string) {
	grace, err := strconv.Atoi(values["grace"]["grace"].SelectedOption.Value)
	if err != nil || grace < 0 || grace > domain.MaxGraceMinutes {
		errs["grace"] = "Choose a grace period."
	}
	switch kind = domain.Escalation(values["escalation"]["escalation"].SelectedOption.Value); kind {
	case domain.EscalateNone, "":
		kind = domain.EscalateNone
	case domain.EscalateOnCall:
		sel := values["schedule"][actionScheduleTyped].SelectedOption
		targetID, targetName = sel.Value, optionText(sel)
		if sel.Value == "" {
			errs["schedule"] = "Choose the schedule whose on-call to mention."
		}
	case domain.EscalateIncident:
		sel := values["service"][actionServiceSuggest].SelectedOption
		targetID, targetName = sel.Value, optionText(sel)
		if sel.Value == "" {
			errs["service"] = "Choose the service to open the incident on."
		}
	default:
		errs["escalation"] = "Choose what happens when nobody starts a task."
	}
	if kind != domain.EscalateNone && f.PagerDuty == nil {
		errs["escalation"] = "PagerDuty is not configured, so only thread reminders are possible."
	}
	return grace, kind, targetID, targetName
}
