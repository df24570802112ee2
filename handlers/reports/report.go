package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/report"
	"github.com/tobanbot/toban/scheduler"
)

// Incident reports own action and callback IDs prefixed "report.".
const (
	viewReportSchedule = "report.schedule"
	actionReportDelete = "report.delete"
	// metadataReport tags a scheduled report's message with its run ID,
	// so that a run claimed just before a crash is found, not re-posted.
	metadataReport = "toban_report"
	// reportTableRows is how many services the Slack table lists; the
	// CSV has them all.
	reportTableRows = 30
)

const reportUsage = "Usage: `/toban report [today|week|month|last-week|last-month|<from> <to>] [service…] [--incidents]`, " +
	"for example `/toban report last-week \"Checkout API\"` or `/toban report 2026-03-01 2026-03-31`. " +
	"Without a period: last week. Without services: the services this channel is subscribed to, else all. " +
	"`--incidents` adds a CSV with one row per incident. `/toban report schedule` posts a report every week; `/toban report schedules` lists them."

func (f *Feature) reportSource() (Source, bool) {
	return f.Source, f.Source != nil
}

// Command answers /toban report with args, the words after it.
func (f *Feature) Command(args []string, in chat.Invocation) chat.Response {
	src, ok := f.reportSource()
	if !ok {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	if len(args) > 0 {
		switch strings.ToLower(args[0]) {
		case "schedule":
			return f.openReportSchedule(in)
		case "schedules":
			return f.listReportSchedules(in)
		case "help":
			return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: reportUsage})}
		}
	}
	withIncidents := false
	var words []string
	for _, w := range args {
		switch strings.ToLower(w) {
		case "--incidents", "—incidents", "-incidents": // Slack may turn -- into an em dash
			withIncidents = true
		default:
			words = append(words, w)
		}
	}
	period, names, err := report.ParseArgs(words, report.LastWeek, f.now(), f.location())
	if err == nil {
		for _, n := range names {
			if strings.HasPrefix(n, "-") || strings.HasPrefix(n, "—") {
				err = domain.Invalid("I don't know the option %s", chat.Truncate(n, 40))
			}
		}
	}
	if err != nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: ":warning: " + chat.Escape(err.Error()) + ".\n" + reportUsage})}
	}
	return chat.Response{
		Ack: chat.Ephemeral(chat.Message{Text: fmt.Sprintf(":hourglass_flowing_sand: Reading PagerDuty for the incident report of %s…", period.Title())}),
		Then: func(ctx context.Context) error {
			services, scope, err := f.reportServices(ctx, in.ChannelID, names, nil)
			if errors.Is(err, domain.ErrInvalid) {
				return f.Slack.Respond(ctx, in.ResponseURL, chat.Message{Text: chat.UserMessage(err) + "\n" + reportUsage})
			}
			if err != nil {
				return err
			}
			r, err := f.buildReport(ctx, src, period, services)
			if err != nil {
				return err
			}
			if _, err := f.Slack.PostMessage(ctx, in.ChannelID, reportMessage(r, scope)); err != nil {
				return fmt.Errorf("post report in %s: %w", in.ChannelID, err)
			}
			return f.uploadReport(ctx, in.ChannelID, r, withIncidents)
		},
	}
}

// reportServices decides what a report covers: the named services, else
// the schedule's, else the channel's subscriptions, else all (nil). scope
// says which, for people.
func (f *Feature) reportServices(ctx context.Context, channelID string, names []string, saved []domain.ReportService) ([]report.Service, string, error) {
	var out []report.Service
	switch {
	case len(names) > 0:
		all, err := f.Services.AllServices(ctx)
		if err != nil {
			return nil, "", err
		}
		if out, err = resolveServices(all, names); err != nil {
			return nil, "", err
		}
	case len(saved) > 0:
		for _, s := range saved {
			out = append(out, report.Service{ID: s.ID, Name: s.Name})
		}
	default:
		subs, err := f.Subscriptions.Subscriptions(ctx, channelID)
		if err != nil {
			return nil, "", fmt.Errorf("subscriptions of %s: %w", channelID, err)
		}
		seen := map[string]bool{}
		for _, s := range subs {
			if !seen[s.ServiceID] {
				seen[s.ServiceID] = true
				out = append(out, report.Service{ID: s.ServiceID, Name: s.ServiceName})
			}
		}
		if len(out) == 0 {
			return nil, "all services", nil
		}
		return out, "the services this channel is subscribed to", nil
	}
	if len(out) > 3 {
		return out, fmt.Sprintf("%d services", len(out)), nil
	}
	var n []string
	for _, s := range out {
		n = append(n, s.Name)
	}
	return out, strings.Join(n, ", "), nil
}

// resolveServices maps words to services: the longest run of words that is
// a service's full name or ID (any case), else one word found in exactly
// one service's name.
func resolveServices(all []domain.Service, words []string) ([]report.Service, error) {
	var out []report.Service
	seen := map[string]bool{}
	add := func(s domain.Service) {
		if !seen[s.ID] {
			seen[s.ID] = true
			out = append(out, report.Service{ID: s.ID, Name: s.Name})
		}
	}
	for i := 0; i < len(words); {
		matched := false
		for j := len(words); j > i && !matched; j-- {
			phrase := strings.Join(words[i:j], " ")
			for _, s := range all {
				if strings.EqualFold(s.Name, phrase) || s.ID == phrase {
					add(s)
					i, matched = j, true
					break
				}
			}
		}
		if matched {
			continue
		}
		found := domain.MatchServices(all, words[i])
		switch {
		case len(found) == 0:
			return nil, domain.Invalid("No PagerDuty service is called %q.", words[i])
		case len(found) > 1:
			var names []string
			for _, s := range found[:min(len(found), 5)] {
				names = append(names, s.Name)
			}
			return nil, domain.Invalid("%q matches several services (%s). Put the full name in quotes.", words[i], strings.Join(names, ", "))
		}
		add(found[0])
		i++
	}
	return out, nil
}

// buildReport reads the period's incidents and computes the report.
func (f *Feature) buildReport(ctx context.Context, src Source, p report.Period, services []report.Service) (report.Report, error) {
	var ids []string
	for _, s := range services {
		ids = append(ids, s.ID)
	}
	incidents, err := src.ReportIncidents(ctx, p.Since, p.Until, ids)
	if err != nil {
		return report.Report{}, fmt.Errorf("report %s: %w", p.Title(), err)
	}
	return report.Compute(report.Input{Period: p, Generated: f.now(), Incidents: incidents, Services: services}), nil
}

// reportMessage renders the report as a channel message: headline figures,
// the table in a code block (fixed width), and what the figures leave out.
func reportMessage(r report.Report, scope string) chat.Message {
	t := r.Total
	figure := func(s report.Summary, d time.Duration) string {
		if s.N == 0 {
			return "–"
		}
		return report.Human(d)
	}
	headline := fmt.Sprintf("%s · %s · MTTA *%s* (p90 %s) · MTTR *%s* (p90 %s)",
		reportCount(t.Incidents, "incident"), reportCount(t.Escalations, "escalation"), figure(t.TTA, t.TTA.Mean), figure(t.TTA, t.TTA.P90), figure(t.TTR, t.TTR.Mean), figure(t.TTR, t.TTR.P90))
	blocks := []slack.Block{
		slack.NewHeaderBlock(chat.Plain(chat.Truncate("Incident report — "+r.Period.Title(), 150))),
		slack.NewContextBlock("", chat.Mrkdwn(chat.Escape(r.Period.Dates()+" · "+chat.Truncate(scope, 200)))),
	}
	if t.Incidents == 0 {
		blocks = append(blocks, slack.NewSectionBlock(chat.Mrkdwn(":white_check_mark: No incidents in this period."), nil, nil))
	} else {
		blocks = append(blocks, slack.NewSectionBlock(chat.Mrkdwn(headline), nil, nil))
	}
	if t.Incidents > 0 || len(r.Services) > 0 {
		// A section's text holds 3,000 characters: split the table.
		var chunk []string
		size := 0
		flush := func() {
			if len(chunk) > 0 {
				blocks = append(blocks, slack.NewSectionBlock(chat.Mrkdwn("```\n"+chat.Escape(strings.Join(chunk, "\n"))+"\n```"), nil, nil))
				chunk, size = nil, 0
			}
		}
		for _, l := range report.Table(r, reportTableRows) {
			if size+len(chat.Escape(l))+1 > 2800 {
				flush()
			}
			chunk, size = append(chunk, l), size+len(chat.Escape(l))+1
		}
		flush()
	}
	notes := report.Notes(r)
	if t.Incidents > 0 {
		notes = append(notes, "All services and figures are in the CSV below.")
	}
	blocks = append(blocks, slack.NewContextBlock("", chat.Mrkdwn(chat.Escape(strings.Join(notes, " ")))))
	text := fmt.Sprintf("Incident report, %s: %s, MTTA %s, MTTR %s", r.Period.Title(), strings.ReplaceAll(reportCount(t.Incidents, "incident"), "*", ""),
		figure(t.TTA, t.TTA.Mean), figure(t.TTR, t.TTR.Mean))
	return chat.Message{Text: text, Blocks: blocks}
}

// reportCount is "*1* incident", "*3* incidents".
func reportCount(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("*%d* %s", n, noun)
}

// uploadReport shares the CSV (always), the per-incident CSV (on request)
// and the chart (when there were incidents) in the channel.
func (f *Feature) uploadReport(ctx context.Context, channel string, r report.Report, withIncidents bool) error {
	up := f.Uploader
	if up == nil {
		f.Log.Warn().Msg("this Slack client cannot upload files; the report's CSV and chart were not shared")
		return nil
	}
	name := fmt.Sprintf("incident-report_%s_%s", r.Period.Since.Format(report.DateLayout), r.Period.LastDay().Format(report.DateLayout))
	type file struct {
		name, title string
		write       func() ([]byte, error)
	}
	files := []file{{name + ".csv", "Incident report, " + r.Period.Title() + " (CSV)", func() ([]byte, error) {
		var b bytes.Buffer
		err := report.WriteCSV(&b, r)
		return b.Bytes(), err
	}}}
	if withIncidents {
		files = append(files, file{name + "_incidents.csv", "Incidents, " + r.Period.Title() + " (CSV, one row per incident)", func() ([]byte, error) {
			var b bytes.Buffer
			err := report.WriteIncidentsCSV(&b, r)
			return b.Bytes(), err
		}})
	}
	if r.Total.Incidents > 0 {
		files = append(files, file{name + ".png", "Incident report, " + r.Period.Title() + " (chart)", func() ([]byte, error) { return report.Chart(r) }})
	}
	var errs []error
	for _, f := range files {
		content, err := f.write()
		if err == nil {
			err = up.UploadFile(ctx, channel, f.name, f.title, content)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("share %s: %w", f.name, err))
		}
	}
	return errors.Join(errs...)
}

// Fire posts one due occurrence of a scheduled report, exactly once:
// the run is claimed in the database first, and a claim without a recorded
// message (a crash right after posting) is resolved by finding the message
// through its metadata before posting again. A last-month report posts on
// the first of its weekday in each month only. The period is computed at
// the due time, so a late run still reports the right week.
func (f *Feature) Fire(ctx context.Context, occ scheduler.Occurrence) error {
	store := f.Store
	if store == nil {
		return nil
	}
	s, err := store.ReportSchedule(ctx, occ.TaskID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // deleted since it was scheduled
	}
	if err != nil {
		return fmt.Errorf("fire report %s: %w", occ.TaskID, err)
	}
	if s.Period == report.LastMonth && occ.Due.Day() > 7 {
		return nil
	}
	src, ok := f.reportSource()
	if !ok {
		return fmt.Errorf("fire report %s: %w", s.ID, domain.ErrNotConfigured)
	}
	run, claimed, err := store.ClaimReportRun(ctx, s.ID, occ.Due, s.ChannelID)
	if err != nil {
		return fmt.Errorf("claim report %s at %s: %w", s.ID, occ.Due, err)
	}
	if run.TS != "" {
		return nil
	}
	if !claimed {
		ts, found, err := f.Slack.FindMessage(ctx, run.ChannelID, run.ClaimedAt.Add(-time.Minute), metadataReport, run.ID)
		if err != nil {
			f.Log.Warn().Err(err).Str("run", run.ID).Msg("could not look for an earlier report; posting")
		}
		if found {
			return store.SetReportRunPosted(ctx, run.ID, ts)
		}
	}
	period, err := report.NamedPeriod(s.Period, occ.Due, occ.Due.Location())
	if err != nil {
		return fmt.Errorf("fire report %s: %w", s.ID, err)
	}
	services, scope, err := f.reportServices(ctx, s.ChannelID, nil, s.Services)
	if err != nil {
		return err
	}
	r, err := f.buildReport(ctx, src, period, services)
	if err != nil {
		return err
	}
	msg := reportMessage(r, scope)
	msg.Metadata = &chat.Metadata{EventType: metadataReport, Key: run.ID}
	ts, err := f.Slack.PostMessage(ctx, run.ChannelID, msg)
	if err != nil {
		return fmt.Errorf("post report %s: %w", run.ID, err)
	}
	if err := store.SetReportRunPosted(ctx, run.ID, ts); err != nil {
		return fmt.Errorf("record report %s: %w", run.ID, err)
	}
	if err := f.uploadReport(ctx, run.ChannelID, r, s.WithIncidents); err != nil {
		f.Log.Warn().Err(err).Str("run", run.ID).Msg("scheduled report posted without all its files")
	}
	return nil
}

// Click answers a click on one of the feature's buttons ("report.").
func (f *Feature) Click(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	if act.ActionID == actionReportDelete {
		return f.deleteReportSchedule(cb, act)
	}
	return chat.RespondLater(f.Slack, cb.ResponseURL, chat.Message{Text: ":thinking_face: That button belongs to an older version of toban. Run the command again."})
}

// Submission answers the submission of one of the feature's modals.
func (f *Feature) Submission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	if cb.View.CallbackID == viewReportSchedule {
		return f.scheduleSubmission(cb)
	}
	return chat.Response{}
}
