package reports

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/report"
	"github.com/tobanbot/toban/scheduler"
)

// Scheduled reports: /toban report schedule (a modal), /toban report
// schedules (a list with Delete buttons) and the engine's FireReport.

var reportWeekdays = []struct {
	value string
	day   time.Weekday
}{
	{"mon", time.Monday}, {"tue", time.Tuesday}, {"wed", time.Wednesday}, {"thu", time.Thursday},
	{"fri", time.Friday}, {"sat", time.Saturday}, {"sun", time.Sunday},
}

var clockTime = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

func (f *Feature) reportStore() (Store, bool) {
	return f.Store, f.Store != nil
}

// openReportSchedule opens the schedule modal.
func (f *Feature) openReportSchedule(in chat.Invocation) chat.Response {
	if _, ok := f.reportStore(); !ok {
		return chat.NotYet("report schedule")
	}
	return chat.Response{Then: func(ctx context.Context) error {
		if _, err := f.Slack.OpenView(ctx, in.TriggerID, reportScheduleModal(in.ChannelID, f.location())); err != nil {
			return fmt.Errorf("open report schedule modal: %w", err)
		}
		return nil
	}}
}

func reportScheduleModal(channelID string, loc *time.Location) slack.ModalViewRequest {
	lastWeek := slack.NewOptionBlockObject(report.LastWeek, chat.Plain("Last week (Monday to Sunday)"), nil)
	lastMonth := slack.NewOptionBlockObject(report.LastMonth, chat.Plain("Last month"), nil)
	period := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("Period"), "period", lastWeek, lastMonth)
	period.InitialOption = lastWeek
	services := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, chat.Plain("Search services"), chat.ActionServiceSuggest)
	zero := 0
	services.MinQueryLength = &zero
	servicesBlock := slack.NewInputBlock("services", chat.Plain("Services"),
		chat.Plain("Leave empty for the services this channel is subscribed to when the report runs, else all."), services)
	servicesBlock.Optional = true
	var days []*slack.OptionBlockObject
	for _, d := range reportWeekdays {
		days = append(days, slack.NewOptionBlockObject(d.value, chat.Plain(d.day.String()), nil))
	}
	weekday := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("Day"), "weekday", days...)
	weekday.InitialOption = days[0]
	at := slack.NewTimePickerBlockElement("time")
	at.InitialTime = "09:00"
	incidents := slack.NewCheckboxGroupsBlockElement("options",
		slack.NewOptionBlockObject("incidents", chat.Plain("Also attach a CSV with one row per incident"), nil))
	options := slack.NewInputBlock("options", chat.Plain("Files"), nil, incidents)
	options.Optional = true
	return chat.Modal(viewReportSchedule, "Schedule a report", "Schedule", chat.ModalState{ChannelID: channelID},
		slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf("Post an incident report in <#%s> automatically: count, escalations, MTTA and MTTR per service, with a CSV and a chart.", channelID)), nil, nil),
		slack.NewInputBlock("period", chat.Plain("Report on"), nil, period),
		servicesBlock,
		slack.NewInputBlock("weekday", chat.Plain("Every"), chat.Plain("A last-month report posts on the first such day of each month."), weekday),
		slack.NewInputBlock("time", chat.Plain("At"), chat.Plain("Time in "+loc.String()+"."), at),
		options,
	)
}

// scheduleSubmission validates the modal; field errors are answered in the
// ack and nothing is saved.
func (f *Feature) scheduleSubmission(cb slack.InteractionCallback) chat.Response {
	state, err := chat.DecodeModalState(cb.View.PrivateMetadata)
	if err != nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{"period": chat.UserMessage(err)})}
	}
	values := cb.View.State.Values
	errs := map[string]string{}
	s := domain.ReportSchedule{ChannelID: state.ChannelID, CreatedBy: cb.User.ID,
		Period: values["period"]["period"].SelectedOption.Value}
	if s.Period != report.LastWeek && s.Period != report.LastMonth {
		errs["period"] = "Choose last week or last month."
	}
	for _, o := range values["services"][chat.ActionServiceSuggest].SelectedOptions {
		name := o.Value
		if o.Text != nil && o.Text.Text != "" {
			name = o.Text.Text
		}
		s.Services = append(s.Services, domain.ReportService{ID: o.Value, Name: name})
	}
	if len(s.Services) > 100 {
		errs["services"] = "Choose at most 100 services, or none for all."
	}
	rule := scheduler.Rule{Kind: scheduler.KindWeekly, At: values["time"]["time"].SelectedTime, Location: f.location()}
	for _, d := range reportWeekdays {
		if d.value == values["weekday"]["weekday"].SelectedOption.Value {
			rule.Weekdays = []time.Weekday{d.day}
		}
	}
	if len(rule.Weekdays) == 0 {
		errs["weekday"] = "Choose a day of the week."
	}
	if !clockTime.MatchString(rule.At) {
		errs["time"] = "Choose a time."
	}
	s.WithIncidents = len(values["options"]["options"].SelectedOptions) > 0
	if len(errs) > 0 {
		return chat.Response{Ack: chat.ViewErrors(errs)}
	}
	s.Rule = rule
	// One modal is saved once, even if the envelope comes twice.
	return chat.Response{Then: chat.Once(f.Clicks, "view:"+cb.View.ID, func(ctx context.Context) error {
		return f.scheduleReport(ctx, s, rule)
	})}
}

func (f *Feature) scheduleReport(ctx context.Context, s domain.ReportSchedule, rule scheduler.Rule) error {
	store, ok := f.reportStore()
	if !ok {
		return domain.ErrNotConfigured
	}
	saved, err := store.SaveReportSchedule(ctx, s)
	if err != nil {
		return err
	}
	when := rule.String()
	if e := f.Engine; e != nil {
		e.Upsert(scheduler.Task{ID: saved.ID, Rule: rule})
		if next, ok := e.NextDue(saved.ID); ok {
			when += ", first on " + chat.FormatTime(f.now().In(f.location()), next.In(f.location()))
		}
	} else {
		when += " (from toban's next start)"
		f.Log.Warn().Str("schedule", saved.ID).Msg("no report engine: the scheduled report starts at the next restart")
	}
	_, err = f.Slack.PostMessage(ctx, s.ChannelID, chat.Message{Text: fmt.Sprintf(
		":calendar: <@%s> scheduled the incident report of *%s* for %s, %s. `/toban report schedules` lists this channel's scheduled reports.",
		s.CreatedBy, periodName(s.Period), chat.Escape(scheduleScope(saved)), chat.Escape(when))})
	return err
}

func periodName(p string) string {
	if p == report.LastMonth {
		return "last month"
	}
	return "last week"
}

func scheduleScope(s domain.ReportSchedule) string {
	if len(s.Services) == 0 {
		return "this channel's subscribed services (else all)"
	}
	var names []string
	for _, sv := range s.Services {
		names = append(names, sv.Name)
	}
	return chat.Truncate(strings.Join(names, ", "), 300)
}

// listReportSchedules shows the channel's scheduled reports with Delete
// buttons.
func (f *Feature) listReportSchedules(in chat.Invocation) chat.Response {
	store, ok := f.reportStore()
	if !ok {
		return chat.NotYet("report schedules")
	}
	return chat.Response{Then: func(ctx context.Context) error {
		list, err := store.ReportSchedulesInChannel(ctx, in.ChannelID)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return f.Slack.Respond(ctx, in.ResponseURL, chat.Message{Text: "No incident report is scheduled in this channel. `/toban report schedule` adds one."})
		}
		blocks := []slack.Block{slack.NewHeaderBlock(chat.Plain("Scheduled incident reports"))}
		for _, s := range list {
			when := s.Rule.String()
			text := fmt.Sprintf("*%s* — %s, %s, set up by <@%s>", periodName(s.Period), chat.Escape(scheduleScope(s)), chat.Escape(when), s.CreatedBy)
			del := slack.NewButtonBlockElement(actionReportDelete, s.ID, chat.Plain("Delete"))
			del.Style = slack.StyleDanger
			del.Confirm = slack.NewConfirmationBlockObject(chat.Plain("Delete scheduled report?"),
				chat.Plain("This report will no longer be posted in this channel."), chat.Plain("Delete"), chat.Plain("Keep"))
			blocks = append(blocks, slack.NewSectionBlock(chat.Mrkdwn(text), nil, slack.NewAccessory(del)))
		}
		return f.Slack.Respond(ctx, in.ResponseURL, chat.Message{Text: fmt.Sprintf("%d scheduled reports", len(list)), Blocks: blocks})
	}}
}

// deleteReportSchedule deletes a schedule; its creator or an admin may.
func (f *Feature) deleteReportSchedule(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	store, ok := f.reportStore()
	if !ok {
		return chat.Response{}
	}
	place := chat.PlaceOf(cb)
	return chat.Response{Then: func(ctx context.Context) error {
		s, err := store.ReportSchedule(ctx, act.Value)
		if errors.Is(err, domain.ErrNotFound) {
			return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: "That scheduled report was already deleted."})
		}
		if err != nil {
			return err
		}
		if s.CreatedBy != cb.User.ID && !f.Admins[cb.User.ID] {
			return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(":no_entry: Only <@%s>, who scheduled it, or a toban admin can delete this report.", s.CreatedBy)})
		}
		if err := store.DeleteReportSchedule(ctx, s.ID); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		if e := f.Engine; e != nil {
			e.Remove(s.ID)
		}
		return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(":wastebasket: Deleted: the report of %s will no longer be posted here.", periodName(s.Period))})
	}}
}
