package archtest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// wallClockAllowed lists the places outside cmd/ where the machine's clock
// is the right one, each with the reason. Everything else takes time from
// the injected clock (scheduler.Clock, Config.Now, Options.Now), so tests
// can pin the date and the suite never depends on the day it runs.
var wallClockAllowed = map[string]string{
	// The one real clock that production wiring injects everywhere.
	"scheduler/clock.go:realClock.Now": "the production scheduler.Clock",
	// Rows are stamped with the bot's clock (WithClock); the default serves
	// one-shot CLI commands and storage tests that do not pin the date.
	"storage/storage.go:Open": "default stamp clock when no WithClock is given",
	// The bot's clock when Config.Now is not given (SocketState's Since).
	"bot/bot.go:Config.defaults": "default bot clock when no Config.Now is given",

	// Slack's and PagerDuty's limits run in real time whatever toban's
	// clock says: the 3 s ack deadline, per-channel posting rates, Tier 3
	// chat.update, Retry-After and ratelimit-reset.
	"bot/bot.go:Bot.dispatch":                    "stamps an envelope's arrival for the real 3 s ack deadline",
	"bot/work.go:Bot.badMessage":                 "stamps an envelope's arrival for the real 3 s ack deadline",
	"bot/work.go:acker.ack":                      "ack latency metric: real elapsed time",
	"bot/pacing.go:pacer.gate":                   "paces posts at Slack's real per-channel rate",
	"bot/pacing.go:pacer.wait":                   "Retry-After pauses last real seconds",
	"bot/pacing.go:pacer.pause":                  "Retry-After pauses last real seconds",
	"bot/pacing.go:pacer.do":                     "a Retry-After shared with other replicas ends in real time",
	"handlers/incidents/feed.go:Feature.RunFeed": "digests re-rendered at most every 2 real seconds (chat.update is Tier 3)",
	"pagerduty/retry.go:retryAfterHeader":        "ratelimit-reset counts real seconds",
	"pagerduty/retry.go:fitsDeadline":            "a request's context deadline is on the real clock",

	// The fakes stand in for Slack and PagerDuty. Their domain time comes
	// from Options.Now; these are protocol timings that run in real time
	// at the real services too (rate-limit buckets, pings, trigger_id
	// expiry, when a call or an ack arrived).
	"fakes/pdfake/pdfake.go:New":                            "a fake given no clock follows the machine's, like PagerDuty",
	"fakes/pdfake/faults.go:Server.allow":                   "rate-limit token bucket refills in real time",
	"fakes/pdfake/faults.go:Server.record":                  "when a request arrived",
	"fakes/slackfake/envelopes.go:Server.SendEvent":         "event_time of an event Slack sends now",
	"fakes/slackfake/helpers.go:Server.actionTSLocked":      "action_ts of a click made now",
	"fakes/slackfake/socket.go:Server.writeLoop":            "websocket ping write deadline",
	"fakes/slackfake/socket.go:Server.writeItem":            "envelope send time, for ack latency",
	"fakes/slackfake/socket.go:Server.readLoop":             "ack arrival time, for ack latency",
	"fakes/slackfake/views.go:Server.issueTriggerLocked":    "trigger_id expires after 3 real seconds",
	"fakes/slackfake/views.go:Server.registerTriggerLocked": "trigger_id expires after 3 real seconds",
	"fakes/slackfake/views.go:Server.useTriggerLocked":      "trigger_id expires after 3 real seconds",
	"fakes/slackfake/webapi.go:Server.serveAPI":             "when a Web API call arrived, for pacing checks",
}

// TestNoWallClockOutsideCmd fails when code outside cmd/ reads the machine's
// clock where it should take the injected one, and when an allowlist entry
// no longer matches anything (so the list stays short and true).
//
// It is also why the suite does not depend on the day it runs: the
// end-to-end tests pin toban's clock and the fakes' (scheduler.FakeClock,
// Options.Now) and wire Main with it, and this test proves that nothing
// between them reads another clock except the real-time limits listed
// above, which measure durations, never dates. TestEndToEndTakeOnCall
// failed from Nov 22 because the PagerDuty client asked "who is on call
// now" at the machine's date; that read is gone and would fail here.
func TestNoWallClockOutsideCmd(t *testing.T) {
	uses, err := FindWallClockUses(moduleRoot(t), []string{"cmd"})
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range wallClockProblems(uses, wallClockAllowed) {
		t.Error(problem)
	}
}

// wallClockProblems names each use not on the allowlist and each allowlist
// entry that matched nothing.
func wallClockProblems(uses []WallClockUse, allowed map[string]string) []string {
	var problems []string
	seen := map[string]bool{}
	for _, u := range uses {
		if _, ok := allowed[u.Where]; ok {
			seen[u.Where] = true
			continue
		}
		problems = append(problems, fmt.Sprintf("%s: %s reads the machine's clock in %s; take time from the injected clock, or allowlist it in clock_test.go with the reason", u.Pos, u.Call, u.Where))
	}
	for where := range allowed {
		if !seen[where] {
			problems = append(problems, fmt.Sprintf("allowlist entry %q matches no wall-clock read: remove it", where))
		}
	}
	sort.Strings(problems)
	return problems
}

// TestWallClockCheckCatches proves the scanner sees the forms a wall-clock
// read takes (renamed import, method, closure, Since/Until) and ignores
// tests, skipped directories and durations.
func TestWallClockCheckCatches(t *testing.T) {
	root := t.TempDir()
	write := func(rel, src string) {
		t.Helper()
		path := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("feature/a.go", `package feature
import clock "time"
type T struct{}
func (t *T) Stamp() clock.Time { return clock.Now() }
var f = func() { _ = clock.Since(clock.Time{}) }
func Wait() { clock.Sleep(clock.Second) }
`)
	write("feature/b.go", `package feature
import "time"
func Left(d time.Time) time.Duration { return time.Until(d) }
`)
	write("feature/a_test.go", "package feature\nimport \"time\"\nvar _ = time.Now()\n")
	write("cmd/tool/main.go", "package main\nimport \"time\"\nfunc main() { _ = time.Now() }\n")
	uses, err := FindWallClockUses(root, []string{"cmd"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range uses {
		got = append(got, u.Call+" in "+u.Where)
	}
	want := []string{"clock.Now in feature/a.go:T.Stamp", "clock.Since in feature/a.go:", "time.Until in feature/b.go:Left"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("got %q, want %q", got, want)
	}
	problems := wallClockProblems(uses, map[string]string{"feature/b.go:Left": "test", "gone.go:F": "test"})
	if len(problems) != 3 || !strings.Contains(problems[0], "gone.go:F") || !strings.Contains(problems[1], "feature/a.go:T.Stamp") {
		t.Errorf("problems = %q, want the two unlisted uses and the stale entry", problems)
	}
}

// moduleRoot is the directory holding go.mod, found upwards from here.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir || strings.TrimSpace(parent) == "" {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}
