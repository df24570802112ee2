// Command toban is a Slack Socket Mode bot for operations teams on
// PagerDuty: incident cards with buttons, on-call, scheduled tasks.
//
// It owns configuration, wiring and the command line: it gives every
// feature's ports their concrete adapters (bot, storage, pagerduty, webhook,
// poller) and starts the background loops under leader leases. It may import
// every toban package; nothing imports it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // TOBAN_TIMEZONE must work on images without zoneinfo
)

// version is stamped by the Makefile with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `toban — Slack Socket Mode chat-ops for teams on PagerDuty

Usage:
  toban [run]                          run the bot (the default)
  toban demo [--addr HOST:PORT]        try toban in a browser: the real bot with fake Slack and PagerDuty (default 127.0.0.1:8080)
  toban check                          validate the configuration and try Slack, PagerDuty and the database
  toban reminders import FILE          load scheduled tasks from a YAML or CSV file (all or nothing); rows with an id update that task
  toban reminders export [--format F]  print every scheduled task, with its id, as yaml (default) or csv
  toban reminders delete ID...         delete scheduled tasks by id (all or none)
  toban shifts import FILE [--dry-run] load on-call shifts into PagerDuty schedules as overrides
  toban report [--period P | --since D [--until D]] [--service NAME]... [--format table|csv|json] [--incidents] [--chart FILE]
                                       incident counts, escalations, MTTA and MTTR per service
  toban actions check FILE             check a runbook actions file; one line per problem
  toban incident timeline NUMBER [--format markdown|json]
                                       who did what when on an incident, for a postmortem
  toban db copy --from DB --to DB [--force]
                                       move the data between a SQLite file and PostgreSQL, counts verified
  toban version                        print the version
  toban --help                         this text

Configuration comes from the environment:
`

// run is main without the exit, so that tests can call it.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	command := "run"
	if len(args) > 0 {
		command = args[0]
	}
	// Commands with arguments of their own.
	switch command {
	case "reminders":
		return remindersCLI(args[1:], getenv, stdout, stderr)
	case "shifts":
		return shiftsCLI(args[1:], getenv, stdout, stderr)
	case "report":
		return reportCLI(args[1:], getenv, stdout, stderr)
	case "actions":
		return actionsCLI(args[1:], getenv, stdout, stderr)
	case "incident":
		return incidentCLI(args[1:], getenv, stdout, stderr)
	case "db":
		return dbCLI(args[1:], stdout, stderr)
	case "demo":
		return demoCLI(args[1:], stdout, stderr)
	}
	if len(args) > 1 {
		fmt.Fprintf(stderr, "toban %s takes no arguments\n", command)
		return 2
	}
	switch command {
	case "-h", "--help", "-help", "help":
		printUsage(stdout)
		return 0
	case "version", "--version":
		fmt.Fprintln(stdout, "toban", version)
		return 0
	case "run", "check":
	default:
		fmt.Fprintf(stderr, "toban: unknown command %q\n\n", command)
		printUsage(stderr)
		return 2
	}

	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if command == "check" {
		return check(ctx, cfg, stdout)
	}

	m := NewMain(cfg, stderr)
	if err := m.Open(ctx); err != nil {
		m.Close()
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	err = m.Run(ctx)
	if cerr := m.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		var se *StartupError
		if errors.As(err, &se) {
			fmt.Fprintln(stderr, "toban:", err)
		} else {
			m.Log.Error().Err(err).Msg("toban stopped")
		}
		return 1
	}
	m.Log.Info().Msg("toban stopped")
	return 0
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	for _, e := range envVars {
		def := e.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(w, "  %-26s %s (default: %s)\n", e.Name, e.Meaning, def)
	}
}
