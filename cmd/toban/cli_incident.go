package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/incidentchannels"
	"github.com/tobanbot/toban/pagerduty"
)

const incidentCLIUsage = `usage: toban incident timeline NUMBER [--format markdown|json]

Prints who did what when on PagerDuty incident NUMBER, for a postmortem:
PagerDuty's log (acknowledgements, escalations, reassignments, notes,
snoozes, resolve…) merged with what people did through toban (status
updates, runbook results, the incident channel), as posted in the
incident's channel when it is resolved.

  --format F   markdown (default) or json (fields documented in README)

Reads PAGERDUTY_TOKEN, PAGERDUTY_API_URL, TOBAN_DB and TOBAN_TIMEZONE from
the environment; Slack tokens are not needed.`

// incidentCLI runs `toban incident timeline NUMBER`: it exits 0 with the
// timeline on stdout, 2 on bad arguments (with usage) and 1 when
// PagerDuty, the database or the configuration fails, one line each.
func incidentCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "toban incident: "+format+"\n\n%s\n", append(a, incidentCLIUsage)...)
		return 2
	}
	if len(args) == 0 {
		return usageErr("want a subcommand: timeline")
	}
	if args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, incidentCLIUsage)
		return 0
	}
	if args[0] != "timeline" {
		return usageErr("unknown subcommand %q; want timeline", args[0])
	}
	fs := flag.NewFlagSet("incident timeline", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "markdown", "")
	// Flags may come before or after NUMBER.
	var positional []string
	for rest := args[1:]; ; {
		if err := fs.Parse(rest); errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, incidentCLIUsage)
			return 0
		} else if err != nil {
			return usageErr("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return usageErr("want one incident NUMBER, got %d arguments", len(positional))
	}
	number, err := strconv.Atoi(strings.TrimPrefix(positional[0], "#"))
	if err != nil || number < 1 {
		return usageErr("NUMBER must be an incident number such as 42, got %q", positional[0])
	}
	if *format != "markdown" && *format != "json" {
		return usageErr("--format must be markdown or json, not %q", *format)
	}
	cfg, err := LoadCLIConfig(getenv)
	if err = withoutSlackProblems(err); err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	if !cfg.PagerDutyConfigured() {
		fmt.Fprintln(stderr, "toban incident timeline: PAGERDUTY_TOKEN is not set: a timeline reads PagerDuty's log")
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	db, err := openExisting(ctx, cfg.DBPath)
	if err != nil {
		fmt.Fprintln(stderr, "toban incident timeline: TOBAN_DB:", err)
		return 1
	}
	defer db.Close()
	pd := pagerduty.New(pagerduty.Config{Token: cfg.PagerDutyToken, APIURL: cfg.PagerDutyAPIURL,
		EventsURL: cfg.PagerDutyEvents, Timeout: cfg.PagerDutyTimeout, Now: time.Now}, nil)
	f := &incidentchannels.Feature{PagerDuty: pd, Records: db, Log: zerolog.Nop()}
	tl, err := f.Timeline(ctx, strconv.Itoa(number))
	if errors.Is(err, domain.ErrNotFound) {
		fmt.Fprintf(stderr, "toban incident timeline: PagerDuty has no incident #%d (or this token cannot see it)\n", number)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "toban incident timeline:", err)
		return 1
	}
	if *format == "json" {
		err = tl.WriteJSON(stdout)
	} else {
		err = tl.WriteMarkdown(stdout, cfg.Location)
	}
	if err != nil {
		fmt.Fprintln(stderr, "toban incident timeline:", err)
		return 1
	}
	return 0
}
