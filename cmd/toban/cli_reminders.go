package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/bot"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/pagerduty"
	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
	"github.com/tobanbot/toban/taskfile"
)

const remindersUsage = `usage:
  toban reminders import [--dry-run] [--as PAGERDUTY_EMAIL] FILE   (FILE: .yaml or .csv; - for stdin)
  toban reminders export [--format yaml|csv]
  toban reminders delete [--dry-run] ID...`

// remindersCLI runs `toban reminders import|export|delete`.
func remindersCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || !slices.Contains([]string{"import", "export", "delete"}, args[0]) {
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
	// An import may be the first thing done with a new database; export
	// and delete only make sense on one that exists.
	open := openExisting
	if args[0] == "import" {
		open = func(ctx context.Context, target string) (*storage.DB, error) { return storage.Open(ctx, target) }
	}
	db, err := open(ctx, cfg.DBPath)
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
	case "delete":
		return deleteTasks(ctx, db, args[1:], stdout, stderr)
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
		rows = append(rows, taskfile.Row{ID: t.ID, Title: t.Title, Description: t.Description, Channel: t.ChannelID, Rule: t.Rule,
			Grace: time.Duration(t.GraceMinutes) * time.Minute, EscalationKind: string(t.Escalation), EscalationTarget: t.EscalationTargetID})
	}
	if err := taskfile.Write(stdout, *format, rows); err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	return 0
}

// importTasks validates the whole file, then every name and task ID it
// refers to, and imports all tasks in one transaction, or none: a row with
// an id updates that task, a row without one creates a task.
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
	now := time.Now()
	rows, problems := taskfile.Parse(in, format, cfg.Location, now)
	create, update := resolveRows(ctx, cfg, db, rows, *as, now, func(line int, msg string) {
		problems = append(problems, taskfile.RowError{Line: line, Msg: msg})
	})
	if len(problems) > 0 {
		// The file's problems and the names and IDs it refers to, by line.
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		fmt.Fprintf(stderr, "toban: %s: nothing imported; fix these and run again:\n", name)
		for _, p := range problems {
			fmt.Fprintln(stderr, " ", p.Error())
		}
		return 1
	}
	verb := map[bool][2]string{true: {"would update", "would import"}, false: {"updating", "importing"}}[*dryRun]
	for _, t := range update {
		fmt.Fprintf(stdout, "%s  %s  %-40s  %s in %s\n", verb[0], t.ID, t.Title, t.Rule.String(), t.ChannelID)
	}
	for _, t := range create {
		fmt.Fprintf(stdout, "%s  %-40s  %s in %s\n", verb[1], t.Title, t.Rule.String(), t.ChannelID)
	}
	if *dryRun {
		fmt.Fprintf(stdout, "dry run: %d tasks valid (%d new, %d updates), nothing imported\n", len(create)+len(update), len(create), len(update))
		return 0
	}
	if err := db.ImportAndUpdateTasks(ctx, create, update); err != nil {
		fmt.Fprintln(stderr, "toban: nothing imported:", err)
		return 1
	}
	fmt.Fprintf(stdout, "imported %d new tasks and updated %d; a running toban schedules them within a minute\n", len(create), len(update))
	return 0
}

// parseInterspersed parses fs's flags wherever they stand among the
// positional arguments, which it returns: people paste IDs first and add
// --dry-run after.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// deleteTasks deletes the tasks named by ID, all of them or, when one is
// unknown, none.
func deleteTasks(ctx context.Context, db *storage.DB, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("delete", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "show what would be deleted, delete nothing")
	ids, err := parseInterspersed(fs, args)
	if err != nil || len(ids) == 0 {
		fmt.Fprintln(stderr, remindersUsage)
		return 2
	}
	all, err := db.AllTasks(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "toban:", err)
		return 1
	}
	byID := make(map[string]domain.Task, len(all))
	for _, t := range all {
		byID[t.ID] = t
	}
	var unknown []string
	for _, id := range ids {
		if _, ok := byID[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		reportUnknownTasks(stderr, unknown)
		return 1
	}
	verb := map[bool]string{true: "would delete", false: "deleting"}[*dryRun]
	for _, id := range ids {
		fmt.Fprintf(stdout, "%s  %s  %s in %s\n", verb, id, byID[id].Title, byID[id].ChannelID)
	}
	if *dryRun {
		fmt.Fprintf(stdout, "dry run: nothing deleted\n")
		return 0
	}
	if err := db.DeleteTasks(ctx, ids); err != nil {
		var u *storage.UnknownTasksError
		if errors.As(err, &u) { // deleted by someone else meanwhile
			reportUnknownTasks(stderr, u.IDs)
			return 1
		}
		fmt.Fprintln(stderr, "toban: nothing deleted:", err)
		return 1
	}
	fmt.Fprintf(stdout, "deleted %d tasks; a running toban stops scheduling them within a minute\n", countDistinct(ids))
	return 0
}

// reportUnknownTasks says, one line per ID, which tasks do not exist.
func reportUnknownTasks(stderr io.Writer, ids []string) {
	fmt.Fprintln(stderr, "toban: nothing deleted; these tasks do not exist (toban reminders export lists the IDs):")
	for _, id := range ids {
		fmt.Fprintf(stderr, "  %s: no such task\n", id)
	}
}

func countDistinct(ids []string) int {
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	return len(seen)
}

// resolveRows turns rows into tasks to create and tasks to update (the rows
// with an id), resolving channel names through Slack and escalation targets
// through PagerDuty and checking that the IDs exist; problems are reported
// by line (0 for the file as a whole).
func resolveRows(ctx context.Context, cfg Config, db *storage.DB, rows []taskfile.Row, as string, now time.Time, bad func(int, string)) (create, update []domain.Task) {
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
			return nil, nil
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
	updated := map[string]bool{} // the IDs the file updates
	for _, r := range rows {
		if r.ID != "" {
			updated[r.ID] = true
		}
	}
	byID := map[string]domain.Task{}
	existing := map[string]bool{} // channel and title (folded) of the tasks the file leaves alone
	if all, err := db.AllTasks(ctx); err == nil {
		for _, t := range all {
			byID[t.ID] = t
			if !updated[t.ID] {
				existing[t.ChannelID+"\x00"+strings.ToLower(t.Title)] = true
			}
		}
	} else {
		bad(0, "could not read the existing tasks: "+err.Error())
	}
	for _, r := range rows {
		t := domain.Task{ID: r.ID, Title: r.Title, Description: r.Description, Rule: r.Rule,
			GraceMinutes: int(r.Grace / time.Minute), Escalation: domain.Escalation(r.EscalationKind), CreatedBy: "import", Source: "import"}
		old, isUpdate := byID[r.ID]
		switch {
		case r.ID == "":
			t.ID = domain.NewTaskID()
		case !isUpdate:
			bad(r.Line, fmt.Sprintf("id: no task %s; it was deleted, or the file is from another toban. Leave the id empty to create a new task.", r.ID))
		case t.Rule.Encode() != old.Rule.Encode():
			if err := r.Rule.Validate(now); err != nil {
				bad(r.Line, fmt.Sprintf("schedule: %s", ruleProblem(err)))
			}
		}
		t.ChannelID = r.Channel
		if strings.HasPrefix(r.Channel, "#") {
			id, ok := channels[r.Channel]
			if !ok && needNames {
				bad(r.Line, fmt.Sprintf("no Slack channel %s that toban can see", r.Channel))
			}
			t.ChannelID = id
		}
		if existing[t.ChannelID+"\x00"+strings.ToLower(t.Title)] {
			hint := "rename it, or put the existing task's id in the id column to update it"
			bad(r.Line, fmt.Sprintf("a task %q already posts in %s; %s", r.Title, r.Channel, hint))
		}
		if t.Escalation == taskfile.EscalationOnCall || t.Escalation == taskfile.EscalationIncident {
			target, ok := targets[string(t.Escalation)][strings.ToLower(r.EscalationTarget)]
			if !ok {
				bad(r.Line, fmt.Sprintf("PagerDuty has no %s %q", map[string]string{taskfile.EscalationOnCall: "schedule", taskfile.EscalationIncident: "service"}[string(t.Escalation)], r.EscalationTarget))
			}
			t.EscalationTargetID, t.EscalationTargetName = target[0], target[1]
		}
		if t.Escalation == taskfile.EscalationIncident {
			switch {
			case as == "" && isUpdate && old.CreatorPDEmail != "":
				// the update keeps the task's PagerDuty user
			case as == "":
				bad(r.Line, "escalating by incident needs --as EMAIL: the PagerDuty user incidents are opened as")
			case pd != nil:
				if p, err := pd.UserByEmail(ctx, as); err != nil {
					bad(r.Line, fmt.Sprintf("--as %s: %v", as, err))
				} else {
					t.CreatorPDEmail = p.Email
				}
			}
		}
		if isUpdate {
			update = append(update, t)
		} else {
			create = append(create, t)
		}
	}
	return create, update
}

// ruleProblem is a schedule error's sentence without the field prefix.
func ruleProblem(err error) string {
	var fe *scheduler.FieldError
	if errors.As(err, &fe) {
		return fe.Msg
	}
	return err.Error()
}
