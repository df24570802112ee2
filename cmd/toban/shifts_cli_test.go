package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/internal/pdcontract"
)

// TestShiftsImportCLI: `toban shifts import` names every bad row in one
// pass, syntax and PagerDuty look-ups together, one line per problem, and
// creates nothing; its dry run shows each shift in its own time zone.
func TestShiftsImportCLI(t *testing.T) {
	pd := pdfake.New(pdfake.Options{}) // the CLI reads the machine's clock, so the fake follows it
	t.Cleanup(pd.Close)
	pd.CheckContract(t, pdcontract.MustLoad(t))
	pd.AddUser(pdfake.User{ID: "PU2", Name: "Bob Ops", Email: "bob@example.com"})
	pd.AddUser(pdfake.User{ID: "PU3", Name: "Carol Ops", Email: "carol@example.com"})
	pd.AddSchedule(pdfake.Schedule{ID: "PS1", Name: "Primary", TimeZone: "Asia/Tokyo"})
	pd.AddSchedule(pdfake.Schedule{ID: "PS2", Name: "Berlin", TimeZone: "Europe/Berlin"})
	env := map[string]string{
		"TOBAN_DB": filepath.Join(t.TempDir(), "toban.db"), "TOBAN_TIMEZONE": "America/New_York",
		"PAGERDUTY_TOKEN": pd.Token(), "PAGERDUTY_API_URL": pd.URL(), "PAGERDUTY_EVENTS_URL": pd.URL(),
	}
	shiftsRun := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"shifts"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	// day is a date well in the future, so that no shift has ended.
	day := time.Now().AddDate(0, 0, 30).UTC().Format("2006-01-02")
	const header = "schedule,email,start,end,timezone\n"

	t.Run("ErrEveryBadRowInOnePass", func(t *testing.T) {
		file := header +
			"Primary,bob@example.com," + day + " 09:00," + day + " 18:00,Asia/Tokyo\n" + // 2: good
			"Primary,bob@example.com,soon," + day + " 18:00,Asia/Tokyo\n" + // 3: syntax
			"Primary,nobody@example.com," + day + " 19:00," + day + " 20:00,Asia/Tokyo\n" + // 4: unknown user
			"Tertiary,carol@example.com," + day + " 09:00," + day + " 18:00,Asia/Tokyo\n" + // 5: unknown schedule
			"Berlin,bob,25:00," + day + " 18:00,\n" // 6: two syntax problems
		code, stdout, stderr := shiftsRun("import", writeFile(t, "rota.csv", file))
		if code != 1 {
			t.Fatalf("exit code = %d, want 1:\n%s%s", code, stdout, stderr)
		}
		want := []string{
			"rota.csv: nothing created",
			`  line 3: start: "soon" is not a time; write 2026-12-01 09:00 or 2026-12-01T09:00:00+09:00.`,
			`  line 4: no PagerDuty user has the email nobody@example.com.`,
			`  line 5: PagerDuty has no schedule named "Tertiary".`,
			`  line 6: "bob" is not an email address.`,
			`  line 6: start: "25:00" is not a time; write 2026-12-01 09:00 or 2026-12-01T09:00:00+09:00.`,
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != len(want) || !strings.Contains(lines[0], want[0]) {
			t.Fatalf("stderr:\n%s\nwant a heading and %d problems", stderr, len(want)-1)
		}
		for i, w := range want[1:] {
			if lines[i+1] != w {
				t.Errorf("problem %d = %q, want %q", i+1, lines[i+1], w)
			}
		}
		if n := len(pd.Overrides("PS1")) + len(pd.Overrides("PS2")); n != 0 {
			t.Errorf("%d overrides created; want none", n)
		}
	})

	t.Run("DryRunShowsEachRowInItsOwnZone", func(t *testing.T) {
		file := header +
			"Primary,bob@example.com," + day + " 09:00," + day + " 18:00,Asia/Tokyo\n" +
			"Berlin,carol@example.com," + day + "T08:00:00Z," + day + "T16:00:00Z,\n" +
			"Berlin,bob@example.com," + day + " 18:00," + day + " 20:00,\n"
		code, stdout, stderr := shiftsRun("import", writeFile(t, "rota.csv", file), "--dry-run")
		if code != 0 {
			t.Fatalf("exit code = %d:\n%s%s", code, stdout, stderr)
		}
		berlin, _ := time.LoadLocation("Europe/Berlin")
		utc8, _ := time.Parse("2006-01-02 15:04", day+" 08:00")
		d := utc8.Format("Mon Jan 2 2006")
		wants := []string{
			fmt.Sprintf("would create  line 2: Primary — Bob Ops (bob@example.com), %s 09:00 → %s 18:00 (Asia/Tokyo)", d, d),
			fmt.Sprintf("would create  line 3: Berlin — Carol Ops (carol@example.com), %s → %s (Europe/Berlin)",
				utc8.In(berlin).Format("Mon Jan 2 2006 15:04"), utc8.Add(8*time.Hour).In(berlin).Format("Mon Jan 2 2006 15:04")),
			fmt.Sprintf("would create  line 4: Berlin — Bob Ops (bob@example.com), %s 18:00 → %s 20:00 (America/New_York)", d, d),
			"dry run: 3 shifts valid (each in its own time zone), nothing created",
		}
		for _, w := range wants {
			if !strings.Contains(stdout, w+"\n") {
				t.Errorf("dry run lacks %q:\n%s", w, stdout)
			}
		}
		if n := len(pd.Overrides("PS1")) + len(pd.Overrides("PS2")); n != 0 {
			t.Errorf("%d overrides after a dry run; want none", n)
		}
	})
}
