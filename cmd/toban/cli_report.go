package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/pagerduty"
	"github.com/tobanbot/toban/report"
)

const reportCLIUsage = `usage: toban report [--period NAME | --since DATE [--until DATE]] [--service NAME]...
                    [--format table|csv|json] [--incidents] [--chart FILE]

Incident count, escalations, MTTA and MTTR (mean, median, p90 by nearest
rank) per service and in total, from PagerDuty, for spreadsheets and scripts.

  --period NAME    today, week, month, last-week or last-month (default last-week)
  --since DATE     first day, 2026-03-01 (in TOBAN_TIMEZONE), or an RFC 3339 time
  --until DATE     last day, included (default: today), or an RFC 3339 time, excluded
  --service NAME   a service's name or ID; repeat for several (default: all services)
  --format F       table (default), csv or json
  --incidents      csv: one row per incident instead of per service; json: add them
  --chart FILE     also write the PNG chart to FILE

Reads PAGERDUTY_TOKEN, PAGERDUTY_API_URL and TOBAN_TIMEZONE from the
environment; Slack tokens are not needed.`

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// reportCLI runs `toban report …`: it exits 0 with the report on stdout, 2
// on bad arguments (with usage) and 1 when PagerDuty or the configuration
// fails.
func reportCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	periodName := fs.String("period", "", "")
	since := fs.String("since", "", "")
	until := fs.String("until", "", "")
	format := fs.String("format", "table", "")
	incidents := fs.Bool("incidents", false, "")
	chart := fs.String("chart", "", "")
	var services stringList
	fs.Var(&services, "service", "")
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "toban report: "+format+"\n\n%s\n", append(a, reportCLIUsage)...)
		return 2
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, reportCLIUsage)
		return 0
	} else if err != nil {
		return usageErr("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *format != "table" && *format != "csv" && *format != "json" {
		return usageErr("--format must be table, csv or json, not %q", *format)
	}
	cfg, err := LoadCLIConfig(getenv)
	if err = withoutSlackProblems(err); err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	if !cfg.PagerDutyConfigured() {
		fmt.Fprintln(stderr, "toban report: PAGERDUTY_TOKEN is not set: a report reads PagerDuty")
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	period, err := cliPeriod(*periodName, *since, *until, time.Now(), cfg.Location)
	if err != nil {
		return usageErr("%v", err)
	}
	pd := pagerduty.New(pagerduty.Config{Token: cfg.PagerDutyToken, APIURL: cfg.PagerDutyAPIURL,
		EventsURL: cfg.PagerDutyEvents, Timeout: cfg.PagerDutyTimeout, Now: time.Now}, nil)
	// An unknown service is a fact about PagerDuty, not a misuse of the
	// command: no usage text for it.
	chosen, err := cliServices(ctx, pd, services)
	if err != nil {
		fmt.Fprintln(stderr, "toban report:", err)
		return 1
	}
	var ids []string
	for _, s := range chosen {
		ids = append(ids, s.ID)
	}
	list, err := pd.ReportIncidents(ctx, period.Since, period.Until, ids)
	if err != nil {
		fmt.Fprintln(stderr, "toban report:", err)
		return 1
	}
	r := report.Compute(report.Input{Period: period, Generated: time.Now(), Incidents: list, Services: chosen})
	switch {
	case *format == "csv" && *incidents:
		err = report.WriteIncidentsCSV(stdout, r)
	case *format == "csv":
		err = report.WriteCSV(stdout, r)
	case *format == "json":
		err = report.WriteJSON(stdout, r, *incidents)
	default:
		err = report.WriteTable(stdout, r)
	}
	if err == nil && *chart != "" {
		var png []byte
		if png, err = report.Chart(r); err == nil {
			err = os.WriteFile(*chart, png, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "toban report:", err)
		return 1
	}
	return 0
}

// withoutSlackProblems drops the configuration problems of the Slack
// variables: a report does not talk to Slack.
func withoutSlackProblems(err error) error {
	var ce *ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	var left []string
	for _, p := range ce.Problems {
		if !strings.HasPrefix(p, "SLACK_") {
			left = append(left, p)
		}
	}
	if len(left) == 0 {
		return nil
	}
	return &ConfigError{Problems: left}
}

// cliPeriod reads --period or --since/--until. A date names a whole local
// day (so --until is included); an RFC 3339 time is an instant (--until
// excluded).
func cliPeriod(name, since, until string, now time.Time, loc *time.Location) (report.Period, error) {
	switch {
	case name != "" && (since != "" || until != ""):
		return report.Period{}, errors.New("give --period or --since/--until, not both")
	case since == "" && until != "":
		return report.Period{}, errors.New("--until needs --since")
	case since == "":
		if name == "" {
			name = report.LastWeek
		}
		return report.NamedPeriod(name, now, loc)
	}
	from, err := cliTime(since, loc, false)
	if err != nil {
		return report.Period{}, fmt.Errorf("--since: %w", err)
	}
	to := now.In(loc).Format(report.DateLayout)
	if until != "" {
		to = until
	}
	end, err := cliTime(to, loc, true)
	if err != nil {
		return report.Period{}, fmt.Errorf("--until: %w", err)
	}
	switch {
	case !end.After(from):
		return report.Period{}, fmt.Errorf("the period ends (%s) before it starts (%s)", to, since)
	case end.Sub(from) > (report.MaxDays*24+1)*time.Hour:
		return report.Period{}, fmt.Errorf("a report covers at most %d days", report.MaxDays)
	}
	return report.Period{Name: report.Custom, Since: from, Until: end}, nil
}

// cliTime reads a date (its start, or the next day's for an end) or an
// RFC 3339 time.
func cliTime(s string, loc *time.Location, end bool) (time.Time, error) {
	if d, err := time.ParseInLocation(report.DateLayout, s, loc); err == nil {
		if end {
			d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date like 2026-03-31 nor a time like 2026-03-31T09:00:00+09:00", s)
	}
	return t.In(loc), nil
}

// cliServices maps --service values to services: a name (any case) or an
// ID, else a unique part of a name.
func cliServices(ctx context.Context, pd *pagerduty.Client, names []string) ([]report.Service, error) {
	if len(names) == 0 {
		return nil, nil
	}
	all, err := pd.Services(ctx, "", 0)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	var out []report.Service
	for _, n := range names {
		var exact, partial []domain.Service
		for _, s := range all {
			switch {
			case strings.EqualFold(s.Name, n) || s.ID == n:
				exact = append(exact, s)
			case strings.Contains(strings.ToLower(s.Name), strings.ToLower(n)):
				partial = append(partial, s)
			}
		}
		found := exact
		if len(found) == 0 {
			found = partial
		}
		switch len(found) {
		case 0:
			return nil, domain.Invalid("no PagerDuty service is called %q", n)
		case 1:
			out = append(out, report.Service{ID: found[0].ID, Name: found[0].Name})
		default:
			var names []string
			for _, s := range found {
				names = append(names, s.Name)
			}
			return nil, domain.Invalid("%q matches several services: %s", n, strings.Join(names, ", "))
		}
	}
	return out, nil
}
