package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/bot"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/pagerduty"
	"github.com/tobanbot/toban/storage"
	"github.com/tobanbot/toban/taskfile"
)

const remindersUsage = `usage:
  toban reminders import [--dry-run] [--as PAGERDUTY_EMAIL] FILE   (FILE: .yaml or .csv; - for stdin)
  toban reminders export [--format yaml|csv]`

// remindersCLI runs `toban reminders import|export`.
func remindersCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, remindersUsage)
		return 2
	}
	cfg, err := LoadCLIConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := storage.Open(ctx, cfg.DBPath)
	if err != nil {
		fmt.Fprintln(stderr, "toban: TOBAN_DB:", err)
		return 1
	}
	defer db.Close()
	switch args[0] {
	case "export":
		return exportTasks(ctx, db, args[1:], stdout, stderr)
	case "import":
		return importTasks(ctx, cfg, db, args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, remindersUsage)
	return 2
}

func exportTasks(ctx context.Context, db *storage.DB, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", taskfile.FormatYAML, "yaml or csv")
	if fs.Parse(args) != nil || fs.NArg() > 0 || (*format != taskfile.FormatYAML && *format != taskfile.FormatCSV) {
		fmt.Fprintln(stderr, remindersUsage)
		return 2
	}
	tasks, err := db.AllTasks(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	rows := make([]taskfile.Row, 0, len(tasks))
	for _, t := range tasks {
		rows = append(rows, taskfile.Row{Title: t.Title, Description: t.Description, Channel: t.ChannelID, Rule: t.Rule,
			Grace: time.Duration(t.GraceMinutes) * time.Minute, EscalationKind: string(t.Escalation), EscalationTarget: t.EscalationTargetID})
	}
	if err := taskfile.Write(stdout, *format, rows); err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	return 0
}

// importTasks validates the whole file, then every name it refers to, and
// imports all tasks in one transaction, or none.
func importTasks(ctx context.Context, cfg Config, db *storage.DB, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "validate and show what would be imported, import nothing")
	as := fs.String("as", "", "PagerDuty user email that incidents opened by these tasks are opened as")
	if fs.Parse(args) != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, remindersUsage)
		return 2
	}
	name := fs.Arg(0)
	in, err := openInput(name)
	if err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	defer in.Close()
	format := ""
	if name != "-" {
		switch {
		case strings.HasSuffix(strings.ToLower(name), ".csv"):
			format = taskfile.FormatCSV
		case strings.HasSuffix(strings.ToLower(name), ".yaml"), strings.HasSuffix(strings.ToLower(name), ".yml"):
			format = taskfile.FormatYAML
		}
	}
	rows, problems := taskfile.Parse(in, format, cfg.Location, time.Now())
	var resolveProblems []string
	tasks := resolveRows(ctx, cfg, db, rows, *as, func(line int, msg string) {
		resolveProblems = append(resolveProblems, fmt.Sprintf("line %d: %s", line, msg))
	})
	if len(problems) > 0 || len(resolveProblems) > 0 {
		fmt.Fprintf(stderr, "toban: %s: nothing imported; fix these and run again:\n", name)
		for _, p := range problems {
			fmt.Fprintln(stderr, " ", p.Error())
		}
		for _, p := range resolveProblems {
			fmt.Fprintln(stderr, " ", p)
		}
		return 1
	}
	for _, t := range tasks {
		fmt.Fprintf(stdout, "%s  %-40s  %s in %s\n", map[bool]string{true: "would import", false: "importing"}[*dryRun], t.Title, t.Rule.String(), t.ChannelID)
	}
	if *dryRun {
		fmt.Fprintf(stdout, "dry run: %d tasks valid, nothing imported\n", len(tasks))
		return 0
	}
	if err := db.ImportTasks(ctx, tasks); err != nil {
		fmt.Fprintln(stderr, "toban: nothing imported:", err)
		return 1
	}
	fmt.Fprintf(stdout, "imported %d tasks; a running toban schedules them within a minute\n", len(tasks))
	return 0
}

// resolveRows turns rows into tasks, resolving channel names through Slack
// and escalation targets through PagerDuty; problems are reported by line.
func resolveRows(ctx context.Context, cfg Config, db *storage.DB, rows []taskfile.Row, as string, bad func(int, string)) []domain.Task {
	m := metrics.New()
	api := bot.NewSlackClient(bot.SlackConfig{AppToken: cfg.SlackAppToken, BotToken: cfg.SlackBotToken, APIURL: cfg.SlackAPIURL}, m, zerolog.Nop())
	channels := map[string]string{}
	needNames := false
	for _, r := range rows {
		needNames = needNames || strings.HasPrefix(r.Channel, "#")
	}
	if needNames {
		params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}, Limit: 1000, ExcludeArchived: true}
		for {
			list, cursor, err := api.GetConversationsContext(ctx, params)
			if err != nil {
				bad(0, "could not list Slack channels to resolve #names: "+err.Error())
				break
			}
			for _, c := range list {
				channels["#"+strings.ToLower(c.Name)] = c.ID
			}
			if cursor == "" {
				break
			}
			params.Cursor = cursor
		}
	}
	var pd *pagerduty.Client
	targets := map[string]map[string][2]string{} // kind → name or ID (lower) → ID, name
	for _, r := range rows {
		if r.EscalationKind == taskfile.EscalationNone || r.EscalationKind == "" || pd != nil {
			continue
		}
		if !cfg.PagerDutyConfigured() {
			bad(r.Line, "escalation needs PagerDuty, and PAGERDUTY_TOKEN is not set")
			return nil
		}
		pd = pagerduty.New(pagerduty.Config{Token: cfg.PagerDutyToken, APIURL: cfg.PagerDutyAPIURL, EventsURL: cfg.PagerDutyEvents, Timeout: cfg.PagerDutyTimeout, Now: time.Now}, m)
		targets[taskfile.EscalationOnCall], targets[taskfile.EscalationIncident] = map[string][2]string{}, map[string][2]string{}
		if list, err := pd.Schedules(ctx, ""); err == nil {
			for _, s := range list {
				targets[taskfile.EscalationOnCall][strings.ToLower(s.Name)] = [2]string{s.ID, s.Name}
				targets[taskfile.EscalationOnCall][strings.ToLower(s.ID)] = [2]string{s.ID, s.Name}
			}
		} else {
			bad(0, "could not list PagerDuty schedules: "+err.Error())
		}
		if list, err := pd.Services(ctx, "", 0); err == nil {
			for _, s := range list {
				targets[taskfile.EscalationIncident][strings.ToLower(s.Name)] = [2]string{s.ID, s.Name}
				targets[taskfile.EscalationIncident][strings.ToLower(s.ID)] = [2]string{s.ID, s.Name}
			}
		} else {
			bad(0, "could not list PagerDuty services: "+err.Error())
		}
	}
	existing := map[string]bool{}
	if all, err := db.AllTasks(ctx); err == nil {
		for _, t := range all {
			existing[t.ChannelID+"\x00"+strings.ToLower(t.Title)] = true
		}
	}
	var tasks []domain.Task
	for _, r := range rows {
		t := domain.Task{ID: domain.NewTaskID(), Title: r.Title, Description: r.Description, Rule: r.Rule,
			GraceMinutes: int(r.Grace / time.Minute), Escalation: domain.Escalation(r.EscalationKind), CreatedBy: "import", Source: "import"}
		t.ChannelID = r.Channel
		if strings.HasPrefix(r.Channel, "#") {
			id, ok := channels[r.Channel]
			if !ok && needNames {
				bad(r.Line, fmt.Sprintf("no Slack channel %s that toban can see", r.Channel))
			}
			t.ChannelID = id
		}
		if existing[t.ChannelID+"\x00"+strings.ToLower(t.Title)] {
			bad(r.Line, fmt.Sprintf("a task %q already posts in %s; rename it or delete the old one first", r.Title, r.Channel))
		}
		if t.Escalation == taskfile.EscalationOnCall || t.Escalation == taskfile.EscalationIncident {
			target, ok := targets[string(t.Escalation)][strings.ToLower(r.EscalationTarget)]
			if !ok {
				bad(r.Line, fmt.Sprintf("PagerDuty has no %s %q", map[string]string{taskfile.EscalationOnCall: "schedule", taskfile.EscalationIncident: "service"}[string(t.Escalation)], r.EscalationTarget))
			}
			t.EscalationTargetID, t.EscalationTargetName = target[0], target[1]
		}
		if t.Escalation == taskfile.EscalationIncident {
			if as == "" {
				bad(r.Line, "escalating by incident needs --as EMAIL: the PagerDuty user incidents are opened as")
			} else if pd != nil {
				if p, err := pd.UserByEmail(ctx, as); err != nil {
					bad(r.Line, fmt.Sprintf("--as %s: %v", as, err))
				} else {
					t.CreatorPDEmail = p.Email
				}
			}
		}
		tasks = append(tasks, t)
	}
	return tasks
}
