package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/pagerduty"
	"github.com/tobanbot/toban/shiftfile"
)

const shiftsUsage = `usage:
  toban shifts import FILE [--dry-run]     (FILE: .csv; - for stdin)

FILE has a header and one shift per row, e.g.
  schedule,email,start,end,timezone
  Primary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo
schedule is a name or ID; start and end are RFC 3339, or "2026-12-01 09:00"
in the row's timezone (IANA name or offset), else in TOBAN_TIMEZONE.
Every row is checked first; if any is wrong, nothing is created.`

// shiftsCLI runs `toban shifts import FILE [--dry-run]`.
func shiftsCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(stderr, shiftsUsage)
		return 2
	}
	dryRun, name := false, ""
	for _, a := range args[1:] {
		switch a {
		case "--dry-run", "-dry-run", "-n":
			dryRun = true
		case "-h", "--help", "-help":
			fmt.Fprintln(stdout, shiftsUsage)
			return 0
		default:
			if name != "" || (len(a) > 1 && a[0] == '-') {
				fmt.Fprintln(stderr, shiftsUsage)
				return 2
			}
			name = a
		}
	}
	if name == "" {
		fmt.Fprintln(stderr, shiftsUsage)
		return 2
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	if !cfg.PagerDutyConfigured() {
		fmt.Fprintln(stderr, "toban: shifts import needs PagerDuty: set PAGERDUTY_TOKEN")
		return 1
	}
	in, err := openInput(name)
	if err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	defer in.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	pd := pagerduty.New(pagerduty.Config{Token: cfg.PagerDutyToken, APIURL: cfg.PagerDutyAPIURL, EventsURL: cfg.PagerDutyEvents,
		Timeout: cfg.PagerDutyTimeout, Now: time.Now}, metrics.New())

	rows, problems := shiftfile.Parse(in, cfg.Location)
	var shifts []shiftfile.Shift
	if len(problems) == 0 {
		if shifts, problems, err = shiftfile.Resolve(ctx, rows, pd, time.Now()); err != nil {
			fmt.Fprintf(stderr, "toban: %s: nothing created; PagerDuty could not be asked: %v\n", name, err)
			return 1
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "toban: %s: nothing created; fix these rows and run again:\n", name)
		for _, p := range problems {
			fmt.Fprintln(stderr, " ", p.Error())
		}
		return 1
	}
	verb := "creating"
	if dryRun {
		verb = "would create"
	}
	for _, s := range shifts {
		fmt.Fprintf(stdout, "%s  %s\n", verb, shiftfile.Describe(s, cfg.Location))
	}
	if dryRun {
		fmt.Fprintf(stdout, "dry run: %d shifts valid (times in %s), nothing created\n", len(shifts), cfg.Location)
		return 0
	}
	created, err := shiftfile.Apply(ctx, shifts, pd)
	if err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	fmt.Fprintf(stdout, "created %d overrides in PagerDuty\n", len(created))
	return 0
}
