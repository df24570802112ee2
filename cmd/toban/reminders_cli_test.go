package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRemindersImport(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	clock := scheduler.NewFakeClock(time.Date(2026, 11, 23, 8, 59, 0, 0, tokyo))
	w := incidentWorldAt(t, clock.Now)
	w.env["TOBAN_TIMEZONE"] = "Asia/Tokyo"
	w.startWith(t, func(m *Main) { m.Clock = clock; m.TaskReload = 50 * time.Millisecond })

	t.Run("ErrOneBadRowImportsNothing", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("title,description,channel,schedule,timezone,grace,escalation\n")
		for i := range 50 {
			schedule := "daily 09:00"
			if i == 36 {
				schedule = "fortnightly 09:00" // line 38
			}
			fmt.Fprintf(&b, "Check %02d,,#ops,%s,Asia/Tokyo,15,none\n", i, schedule)
		}
		p := startProcess(t, w.env, "reminders", "import", writeFile(t, "tasks.csv", b.String()))
		if code := p.exitCode(t); code != 1 {
			t.Fatalf("exit code = %d, want 1", code)
		}
		out := p.stderr.String()
		if !strings.Contains(out, "nothing imported") || !strings.Contains(out, "line 38") {
			t.Errorf("output does not name line 38:\n%s", out)
		}
		if strings.Count(out, "line ") != 1 {
			t.Errorf("only the bad row should be reported:\n%s", out)
		}
		exp := startProcess(t, w.env, "reminders", "export", "--format", "csv")
		if code := exp.exitCode(t); code != 0 || strings.Count(exp.stderr.String(), "\n") > 1 {
			t.Errorf("after a failed import, export = %d:\n%s", code, exp.stderr.String())
		}
	})

	t.Run("ImportedTaskRunsInTheLiveBot", func(t *testing.T) {
		file := writeFile(t, "tasks.yaml", `tasks:
  - title: Check disk space
    channel: "#ops"
    schedule: daily 09:00
    timezone: Asia/Tokyo
    grace: 15m
`)
		p := startProcess(t, w.env, "reminders", "import", file)
		if code := p.exitCode(t); code != 0 {
			t.Fatalf("import exit code = %d:\n%s", code, p.stderr.String())
		}
		clock.BlockUntil(1) // the bot picked the task up and waits for 09:00
		clock.Advance(time.Minute)
		w.slack.Channel(t, "C1").ExpectMessage("Check disk space — due")

		exp := startProcess(t, w.env, "reminders", "export")
		if code := exp.exitCode(t); code != 0 || !strings.Contains(exp.stderr.String(), "Check disk space") {
			t.Errorf("export = %d:\n%s", code, exp.stderr.String())
		}
	})
}
