package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/pagerduty"
	"github.com/tobanbot/toban/shiftfile"
)

const shiftsUsage = `usage:
  toban shifts import FILE [--dry-run]     (FILE: .csv; - for stdin)
  toban shifts remove SCHEDULE/OVERRIDE…   (undo an import PagerDuty half refused)

FILE has a header and one shift per row, e.g.
  schedule,email,start,end,timezone
  Primary,bob@example.com,2026-12-01 09:00,2026-12-01 18:00,Asia/Tokyo
schedule is a name or ID; start and end are RFC 3339, or "2026-12-01 09:00"
in the row's timezone (IANA name or offset), else in TOBAN_TIMEZONE.
Every row is checked first, PagerDuty names and emails included, and every
problem is listed, one per line; if any, nothing is created. --dry-run shows
each shift in its row's time zone (else its schedule's). Shifts
are sent in one request per schedule; if PagerDuty refuses some, the
output says row by row what was created and prints the remove command
that takes the created ones out again.`

// shiftsCLI runs `toban shifts import FILE [--dry-run]`.
func shiftsCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "remove" {
		return shiftsRemoveCLI(args[1:], getenv, stdout, stderr)
	}
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
	cfg, err := LoadCLIConfig(getenv)
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

	shifts, problems, err := shiftfile.Check(ctx, in, cfg.Location, pd, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "toban: %s: nothing created; PagerDuty could not be asked: %v\n", name, err)
		return 1
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
		fmt.Fprintf(stdout, "dry run: %d shifts valid (each in its own time zone), nothing created\n", len(shifts))
		return 0
	}
	out := shiftfile.Apply(ctx, shifts, pd)
	if !out.Complete() {
		fmt.Fprintf(stderr, "toban: %s: PagerDuty refused some shifts; %d of %d were created:\n", name, len(out.Created), len(shifts))
		for _, l := range shiftfile.Report(out, cfg.Location) {
			fmt.Fprintln(stderr, " ", l)
		}
		if len(out.Created) > 0 {
			fmt.Fprintf(stderr, "to remove the %d created overrides (all or nothing), run:\n", len(out.Created))
			fmt.Fprintln(stdout, removeCommand(out.Overrides()))
		}
		return 1
	}
	fmt.Fprintf(stdout, "created %d overrides in PagerDuty\n", len(out.Created))
	return 0
}

// removeCommand is the command line that removes overrides, printed on
// stdout alone so that it can be copied or piped to sh.
func removeCommand(ovs []domain.Override) string {
	var b strings.Builder
	b.WriteString("toban shifts remove")
	for _, o := range ovs {
		b.WriteString(" " + o.ScheduleID + "/" + o.ID)
	}
	return b.String()
}

// shiftsRemoveCLI runs `toban shifts remove SCHEDULE/OVERRIDE…`.
func shiftsRemoveCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var ovs []domain.Override
	for _, a := range args {
		sched, id, ok := strings.Cut(a, "/")
		if !ok || sched == "" || id == "" {
			fmt.Fprintf(stderr, "toban: %q is not SCHEDULE/OVERRIDE\n%s\n", a, shiftsUsage)
			return 2
		}
		ovs = append(ovs, domain.Override{ScheduleID: sched, ID: id})
	}
	if len(ovs) == 0 {
		fmt.Fprintln(stderr, shiftsUsage)
		return 2
	}
	cfg, err := LoadCLIConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	if !cfg.PagerDutyConfigured() {
		fmt.Fprintln(stderr, "toban: shifts remove needs PagerDuty: set PAGERDUTY_TOKEN")
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	pd := pagerduty.New(pagerduty.Config{Token: cfg.PagerDutyToken, APIURL: cfg.PagerDutyAPIURL, EventsURL: cfg.PagerDutyEvents,
		Timeout: cfg.PagerDutyTimeout, Now: time.Now}, metrics.New())
	if left := shiftfile.Remove(ctx, pd, ovs); len(left) > 0 {
		fmt.Fprintf(stderr, "toban: removed %d of %d overrides; these could not be removed: %s\n", len(ovs)-len(left), len(ovs), strings.Join(left, " "))
		return 1
	}
	fmt.Fprintf(stdout, "removed %d overrides from PagerDuty\n", len(ovs))
	return 0
}
