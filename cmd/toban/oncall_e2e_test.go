package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/internal/pdcontract"
	"github.com/tobanbot/toban/scheduler"
)

var tokyo, _ = time.LoadLocation("Asia/Tokyo")

// tokyoAt is a time on the test calendar, in Tokyo.
func tokyoAt(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, tokyo)
}

// onCallWorld is a workspace whose Slack, PagerDuty and toban all run on
// clock, with TOBAN_TIMEZONE=Asia/Tokyo. Alice (U1/PU1), Bob (U2/PU2) and
// Carol (U3/PU3) are in both with the same emails. Schedule Primary
// (PS1): Alice Nov 21 08:00–18:00, Bob 18:00–02:00, nobody 02:00–06:00
// (a gap), Carol 06:00–14:00, Dave 14:00 for two weeks. Secondary (PS2)
// is Carol's for four weeks. Policy Web Ops: level 1 Primary.
func onCallWorld(t *testing.T, clock *scheduler.FakeClock) *world {
	t.Helper()
	s := slackfake.New(slackfake.Options{Now: clock.Now})
	t.Cleanup(s.Close)
	for _, u := range []slackfake.User{
		{ID: "U1", Name: "alice", RealName: "Alice", Email: "alice@example.com"},
		{ID: "U2", Name: "bob", RealName: "Bob", Email: "bob@example.com"},
		{ID: "U3", Name: "carol", RealName: "Carol", Email: "carol@example.com"},
	} {
		s.AddUser(u)
	}
	s.AddChannel("C1", "ops")
	p := pdfake.New(pdfake.Options{Now: clock.Now})
	t.Cleanup(p.Close)
	// Every request toban sends and every answer the fake gives must fit
	// PagerDuty's published spec.
	p.CheckContract(t, pdcontract.MustLoad(t))
	for _, u := range []pdfake.User{
		{ID: "PU1", Name: "Alice Ops", Email: "alice@example.com"},
		{ID: "PU2", Name: "Bob Ops", Email: "bob@example.com"},
		{ID: "PU3", Name: "Carol Ops", Email: "carol@example.com"},
		{ID: "PU4", Name: "Dave Ops", Email: "dave@example.com"},
	} {
		p.AddUser(u)
	}
	p.AddSchedule(pdfake.Schedule{ID: "PS1", Name: "Primary", TimeZone: "Asia/Tokyo", Shifts: []pdfake.Shift{
		{UserID: "PU1", Start: tokyoAt(21, 8, 0), End: tokyoAt(21, 18, 0)},
		{UserID: "PU2", Start: tokyoAt(21, 18, 0), End: tokyoAt(22, 2, 0)},
		{UserID: "PU3", Start: tokyoAt(22, 6, 0), End: tokyoAt(22, 14, 0)},
		{UserID: "PU4", Start: tokyoAt(22, 14, 0), End: tokyoAt(22, 14, 0).AddDate(0, 0, 14)},
	}})
	p.AddSchedule(pdfake.Schedule{ID: "PS2", Name: "Secondary", TimeZone: "Asia/Tokyo", Shifts: []pdfake.Shift{
		{UserID: "PU3", Start: tokyoAt(21, 0, 0), End: tokyoAt(21, 0, 0).AddDate(0, 0, 28)},
	}})
	p.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEP1", Name: "Web Ops", Levels: []pdfake.EscalationLevel{
		{Targets: []pdfake.Target{{Type: pdfake.TargetSchedule, ID: "PS1"}}},
	}})
	p.AddService(pdfake.Service{ID: "PSVC1", Name: "Checkout API", EscalationPolicyID: "PEP1"})
	p.AddService(pdfake.Service{ID: "PSVC2", Name: "Billing", EscalationPolicyID: "PEP1"})
	return &world{slack: s, pd: p, env: map[string]string{
		"SLACK_APP_TOKEN":        s.AppToken(),
		"SLACK_BOT_TOKEN":        s.BotToken(),
		"SLACK_API_URL":          s.URL(),
		"PAGERDUTY_TOKEN":        p.Token(),
		"PAGERDUTY_API_URL":      p.URL(),
		"PAGERDUTY_EVENTS_URL":   p.URL(),
		"TOBAN_DB":               filepath.Join(t.TempDir(), "toban.db"),
		"TOBAN_HTTP_ADDR":        "127.0.0.1:0",
		"TOBAN_LOG_LEVEL":        "debug",
		"TOBAN_SHUTDOWN_TIMEOUT": "2s",
		"TOBAN_TIMEZONE":         "Asia/Tokyo",
	}}
}

func datePicked(d string) map[string]any {
	return map[string]any{"type": "datepicker", "selected_date": d}
}
func timePicked(t string) map[string]any {
	return map[string]any{"type": "timepicker", "selected_time": t}
}

func TestEndToEndTakeOnCall(t *testing.T) {
	clock := scheduler.NewFakeClock(tokyoAt(21, 10, 0))
	w := onCallWorld(t, clock)
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	alice.Slash(t, "link")
	alice.ExpectEphemeral(t, "is linked to PagerDuty user")

	bob.Slash(t, "oncall")
	answer := bob.ExpectEphemeral(t, "Take on-call for *Primary* (from Alice Ops)")
	answer.ClickAs(t, bob, "1 hour")
	confirm := bob.ExpectEphemeral(t, "Take on-call for Primary?")
	for _, want := range []string{"You (Bob Ops) replace <@U1>.", "*From* now (10:00) *until* Sat Nov 21 11:00 (Asia/Tokyo), 1 h."} {
		if !strings.Contains(confirm.Text(), want) {
			t.Errorf("confirmation lacks %q:\n%s", want, confirm.Text())
		}
	}
	if n := len(w.pd.Overrides("PS1")); n != 0 {
		t.Fatalf("%d overrides before confirming; want none", n)
	}

	t.Run("OneHourOverrideAndHandOff", func(t *testing.T) {
		confirm.ClickAs(t, bob, "Take on-call")
		w.slack.Channel(t, "C1").ExpectMessage("<@U2> takes *Primary* from <@U1> until 11:00.")
		got := w.pd.Overrides("PS1")
		if len(got) != 1 || got[0].UserID != "PU2" {
			t.Fatalf("overrides = %+v, want one for Bob", got)
		}
		// 10:00 and 11:00 in Tokyo are 01:00 and 02:00 UTC.
		if want := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC); !got[0].Start.Equal(want) || !got[0].End.Equal(want.Add(time.Hour)) {
			t.Errorf("override %v..%v, want %v..%v", got[0].Start, got[0].End, want, want.Add(time.Hour))
		}
		confirm.ExpectText("Done")
	})
	t.Run("ErrOverlapCreatesNothing", func(t *testing.T) {
		answer.ClickAs(t, bob, "4 hours")
		bob.ExpectEphemeral(t, "You already have an override on Primary from 10:00 to 11:00 today; nothing was created.")
		if n := len(w.pd.Overrides("PS1")); n != 1 {
			t.Errorf("overrides = %d, want still 1", n)
		}
	})
	t.Run("ErrPastRangeRefused", func(t *testing.T) {
		answer.ClickAs(t, bob, "Custom…")
		id, _ := view(t, w.slack, "U2", callback("oncall.take"))
		ack := w.slack.Submit(t, "U2", id, map[string]map[string]any{
			"start_date": {"date": datePicked("2026-11-21")}, "start_time": {"time": timePicked("07:00")},
			"end_date": {"date": datePicked("2026-11-21")}, "end_time": {"time": timePicked("08:00")},
		})
		if !strings.Contains(string(ack.Payload), `"end_time":"That time is already over."`) {
			t.Errorf("ack = %s, want a field error on the end", ack.Payload)
		}
		if n := len(w.pd.Overrides("PS1")); n != 1 {
			t.Errorf("overrides = %d, want still 1", n)
		}
	})
	t.Run("CustomRangeConfirmedInModal", func(t *testing.T) {
		previous := w.slack.LastView("U2").ID
		answer.ClickAs(t, bob, "Custom…")
		id, _ := view(t, w.slack, "U2", func(v map[string]any) bool {
			return v["callback_id"] == "oncall.take" && v["id"] != previous
		})
		w.slack.Submit(t, "U2", id, map[string]map[string]any{
			"start_date": {"date": datePicked("2026-11-22")}, "start_time": {"time": timePicked("06:00")},
			"end_date": {"date": datePicked("2026-11-22")}, "end_time": {"time": timePicked("09:00")},
		})
		id, v := view(t, w.slack, "U2", func(v map[string]any) bool {
			return v["callback_id"] == "oncall.take.confirm" && v["submit"] != nil
		})
		if text := fmt.Sprint(v["blocks"]); !strings.Contains(text, "You (Bob Ops) replace Carol Ops.") || !strings.Contains(text, "Sun Nov 22 06:00 *until* Sun Nov 22 09:00") {
			t.Errorf("confirmation modal = %s", text)
		}
		w.slack.Submit(t, "U2", id, nil)
		w.slack.Channel(t, "C1").ExpectMessage("<@U2> takes *Primary* from Carol Ops from 06:00 to 09:00 tomorrow.") // Carol has not linked Slack
		got := w.pd.Overrides("PS1")
		if len(got) != 2 || !got[1].Start.Equal(tokyoAt(22, 6, 0)) || !got[1].End.Equal(tokyoAt(22, 9, 0)) {
			t.Errorf("overrides = %+v, want a second one 06:00–09:00 on Nov 22", got)
		}
	})
}

// shiftsCSV is a rota of n one-hour shifts on schedule from start,
// alternating Bob and Carol; bad (1-based row, 0 for none) names someone
// PagerDuty does not know.
func shiftsCSV(schedule string, start time.Time, n, bad int) string {
	var b strings.Builder
	b.WriteString("schedule,email,start,end,timezone\n")
	for i := range n {
		email := []string{"bob@example.com", "carol@example.com"}[i%2]
		if i+1 == bad {
			email = "nobody@example.com"
		}
		s := start.Add(time.Duration(i) * time.Hour).In(tokyo)
		fmt.Fprintf(&b, "%s,%s,%s,%s,Asia/Tokyo\n", schedule, email, s.Format("2006-01-02 15:04"), s.Add(time.Hour).Format("2006-01-02 15:04"))
	}
	return b.String()
}

func TestEndToEndShiftImport(t *testing.T) {
	clock := scheduler.NewFakeClock(time.Now().Truncate(time.Minute))
	w := onCallWorld(t, clock)
	w.startWith(t, func(m *Main) { m.Clock = clock })
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)

	t.Run("CommandLine", func(t *testing.T) {
		t.Run("ErrOneBadRowCreatesNothing", func(t *testing.T) {
			p := startProcess(t, w.env, "shifts", "import", writeFile(t, "bad.csv", shiftsCSV("Primary", start, 50, 37)))
			if code := p.exitCode(t); code != 1 {
				t.Fatalf("exit code = %d, want 1", code)
			}
			out := p.stderr.String()
			if !strings.Contains(out, "nothing created") || !strings.Contains(out, "line 38: no PagerDuty user has the email nobody@example.com.") {
				t.Errorf("output does not name line 38:\n%s", out)
			}
			if strings.Count(out, "line ") != 1 {
				t.Errorf("only the bad row should be reported:\n%s", out)
			}
			if n := len(w.pd.Overrides("PS1")); n != 0 {
				t.Errorf("%d overrides created; want none", n)
			}
		})
		good := writeFile(t, "good.csv", shiftsCSV("Primary", start, 50, 0))
		t.Run("DryRunCreatesNothing", func(t *testing.T) {
			p := startProcess(t, w.env, "shifts", "import", good, "--dry-run")
			if code := p.exitCode(t); code != 0 {
				t.Fatalf("exit code = %d:\n%s", code, p.stderr.String())
			}
			if out := p.stderr.String(); strings.Count(out, "would create") != 50 || !strings.Contains(out, "dry run: 50 shifts valid") {
				t.Errorf("plan:\n%s", out)
			}
			if n := len(w.pd.Overrides("PS1")); n != 0 {
				t.Errorf("%d overrides after a dry run; want none", n)
			}
		})
		t.Run("AllCreated", func(t *testing.T) {
			p := startProcess(t, w.env, "shifts", "import", good)
			if code := p.exitCode(t); code != 0 {
				t.Fatalf("exit code = %d:\n%s", code, p.stderr.String())
			}
			got := w.pd.Overrides("PS1")
			if len(got) != 50 {
				t.Fatalf("overrides = %d, want 50", len(got))
			}
			if got[0].UserID != "PU2" || !got[0].Start.Equal(start) || got[49].UserID != "PU3" || !got[49].End.Equal(start.Add(50*time.Hour)) {
				t.Errorf("first %+v, last %+v", got[0], got[49])
			}
		})
	})

	t.Run("Slack", func(t *testing.T) {
		alice := w.slack.User("U1").In("C1")
		t.Run("ErrNoFile", func(t *testing.T) {
			alice.Slash(t, "shifts import")
			alice.ExpectEphemeral(t, "I found no CSV file that you shared in this channel")
		})
		t.Run("ErrOneBadRowCreatesNothing", func(t *testing.T) {
			alice.ShareFile(t, "rota.csv", []byte(shiftsCSV("Secondary", start, 50, 12)))
			alice.Slash(t, "shifts import")
			answer := alice.ExpectEphemeral(t, "*rota.csv*: nothing was created")
			if !strings.Contains(answer.Text(), "line 13: no PagerDuty user has the email nobody@example.com.") || strings.Count(answer.Text(), "line ") != 1 {
				t.Errorf("answer does not name only line 13:\n%s", answer.Text())
			}
			if n := len(w.pd.Overrides("PS2")); n != 0 {
				t.Errorf("%d overrides created; want none", n)
			}
		})
		t.Run("ErrSyntaxAndLookupsInOnePass", func(t *testing.T) {
			rota := strings.Replace(shiftsCSV("Secondary", start, 50, 30), "Secondary,bob@example.com,", "Secondary,bob@example.com,soon,", 1)
			alice.ShareFile(t, "rota-2.csv", []byte(rota))
			alice.Slash(t, "shifts import")
			answer := alice.ExpectEphemeral(t, "*rota-2.csv*: nothing was created")
			text := answer.Text()
			if !strings.Contains(text, "line 2: the row has 6 values but the header 5 columns") ||
				!strings.Contains(text, "line 31: no PagerDuty user has the email nobody@example.com.") {
				t.Errorf("answer does not name both line 2 (syntax) and line 31 (PagerDuty):\n%s", text)
			}
			if n := len(w.pd.Overrides("PS2")); n != 0 {
				t.Errorf("%d overrides created; want none", n)
			}
		})
		alice.ShareFile(t, "rota-fixed.csv", []byte(shiftsCSV("Secondary", start, 50, 0)))
		t.Run("DryRunCreatesNothing", func(t *testing.T) {
			alice.Slash(t, "shifts import dry-run")
			answer := alice.ExpectEphemeral(t, "*rota-fixed.csv* is valid. Dry run, nothing was created; these 50 overrides would be")
			if strings.Count(answer.Text(), "• line ") != 50 {
				t.Errorf("plan does not list 50 shifts:\n%s", answer.Text())
			}
			if n := len(w.pd.Overrides("PS2")); n != 0 {
				t.Errorf("%d overrides after a dry run; want none", n)
			}
		})
		t.Run("AllCreated", func(t *testing.T) {
			alice.Slash(t, "shifts import")
			alice.ExpectEphemeral(t, "*rota-fixed.csv*: created 50 overrides in PagerDuty")
			w.slack.Channel(t, "C1").ExpectMessage("<@U1> imported 50 on-call shifts from rota-fixed.csv into *Secondary*.")
			if n := len(w.pd.Overrides("PS2")); n != 50 {
				t.Errorf("overrides = %d, want 50", n)
			}
		})
	})
}

func TestEndToEndMaintenanceWindow(t *testing.T) {
	clock := scheduler.NewFakeClock(tokyoAt(21, 10, 0))
	w := onCallWorld(t, clock)
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	// create fills in the form, checks the confirmation and confirms.
	create := func(t *testing.T, duration, description string, wantConfirm ...string) *slackfake.Card {
		t.Helper()
		alice.Slash(t, "maintenance")
		ack := alice.ExpectModal(t, "Maintenance window").
			Choose("Services", "Checkout API", "Billing").
			Choose("Duration, starting now", duration).
			Type("Description", description).
			Submit()
		for _, want := range wantConfirm {
			if !strings.Contains(string(ack.Payload), jsonText(want)) {
				t.Errorf("confirmation lacks %q: %s", want, ack.Payload)
			}
		}
		if n := len(w.pd.MaintenanceWindows()); n != 0 && len(wantConfirm) > 0 {
			t.Errorf("%d windows before confirming", n)
		}
		alice.ExpectModal(t, "Confirm maintenance").Submit()
		return w.slack.Channel(t, "C1").ExpectMessage(description)
	}

	t.Run("EndsByItself", func(t *testing.T) {
		card := create(t, "30 minutes", "Cache flush", "• *Checkout API* (`PSVC1`)", "• *Billing* (`PSVC2`)",
			"From *now* (Sat Nov 21 10:00) until *Sat Nov 21 10:30* (Asia/Tokyo), for *30 min*.")
		card.ExpectText("Ongoing: no incidents until 10:30")
		mws := w.pd.MaintenanceWindows()
		if len(mws) != 1 || mws[0].CreatedBy != "alice@example.com" || strings.Join(mws[0].ServiceIDs, ",") != "PSVC1,PSVC2" ||
			!mws[0].Start.Equal(tokyoAt(21, 10, 0)) || !mws[0].End.Equal(tokyoAt(21, 10, 30)) {
			t.Fatalf("windows = %+v", mws)
		}
		clock.BlockUntil(1) // the runner sleeps until 10:30
		clock.Advance(31 * time.Minute)
		w.slack.Channel(t, "C1").ExpectMessage("The maintenance window for *Checkout API*, *Billing* has ended")
		card.ExpectText("Ended at 10:30.")
		if got := card.Buttons(); len(got) != 0 {
			t.Errorf("buttons after the end = %q", got)
		}
	})

	t.Run("ExtendThenEndNow", func(t *testing.T) {
		card := create(t, "1 hour", "DB upgrade")
		card.ExpectText("no incidents until 11:31")
		id := w.pd.MaintenanceWindows()[1].ID

		card.ClickAs(t, bob, "Extend 30 min")
		card.ExpectText("Extended to 12:01 by <@U2>.")
		if mw := w.pd.MaintenanceWindows()[1]; mw.ID != id || !mw.End.Equal(tokyoAt(21, 12, 1)) {
			t.Errorf("after extend: %+v, want the end at 12:01", mw)
		}

		clock.Advance(10 * time.Minute)
		card.ClickAs(t, bob, "End now")
		card.ExpectText("Ended at 10:41 by <@U2>.")
		card.ExpectReply("<@U2> ended the maintenance window for *Checkout API*, *Billing*")
		if mw := w.pd.MaintenanceWindows()[1]; !mw.End.Equal(tokyoAt(21, 10, 41)) {
			t.Errorf("after end now: %+v, want the end at 10:41", mw)
		}
		if got := card.Buttons(); len(got) != 0 {
			t.Errorf("buttons after end now = %q", got)
		}
	})

	t.Run("ListWithEndNow", func(t *testing.T) {
		create(t, "2 hours", "Network change")
		bob.Slash(t, "maintenance list")
		list := bob.ExpectEphemeral(t, "Maintenance windows")
		if !strings.Contains(list.Text(), "*ongoing*, 10:41 → 12:41") || strings.Contains(list.Text(), "DB upgrade") {
			t.Errorf("list = %s", list.Text())
		}
		list.ClickAs(t, bob, "End now")
		bob.ExpectEphemeral(t, "<@U2> ended the maintenance window")
		w.slack.Channel(t, "C1").ExpectMessage("Network change").ExpectText("Ended at 10:41 by <@U2>.")
	})
}

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) string {
	return strings.NewReplacer(`"`, `\"`, "<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(s)
}

func TestEndToEndShiftAnnouncements(t *testing.T) {
	clock := scheduler.NewFakeClock(tokyoAt(21, 17, 55))
	w := onCallWorld(t, clock)
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	for _, p := range []*slackfake.Person{alice, bob} {
		p.Slash(t, "link")
		p.ExpectEphemeral(t, "is linked to PagerDuty user")
	}

	alice.Slash(t, "oncall follow primary")
	w.slack.Channel(t, "C1").ExpectMessage("<@U1> made this channel follow *Primary*").ExpectText("On call now: <@U1> until 18:00.")

	t.Run("GapWarnedOnce", func(t *testing.T) {
		w.slack.Channel(t, "C1").ExpectMessage("nobody is on call for *Primary* from 02:00 to 06:00 tomorrow.")
	})
	t.Run("ShiftChangeAnnouncedOnce", func(t *testing.T) {
		clock.BlockUntil(1) // the runner sleeps until 18:00
		clock.Advance(5 * time.Minute)
		w.slack.Channel(t, "C1").ExpectMessage("Now on call for *Primary*: <@U2> until 02:00 tomorrow.")
		for range 2 { // two re-reads of the rota later, still once
			clock.BlockUntil(1)
			clock.Advance(10 * time.Minute)
		}
		clock.BlockUntil(1)
		if n := countMessages(w.slack, "C1", "Now on call for *Primary*"); n != 1 {
			t.Errorf("shift change announced %d times, want 1", n)
		}
		if n := countMessages(w.slack, "C1", "nobody is on call for *Primary*"); n != 1 {
			t.Errorf("gap warned %d times, want 1", n)
		}
	})
	t.Run("Unfollow", func(t *testing.T) {
		alice.Slash(t, "oncall unfollow")
		alice.ExpectEphemeral(t, "This channel no longer follows *Primary*.")
	})
}
