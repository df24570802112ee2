package incidentchannels

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	goldenfile "github.com/tobanbot/toban/internal/golden"
)

// goldenText compares got with testdata/name (-update rewrites it, as for
// the Block Kit golden files).
func goldenText(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (go test -update creates it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

var t0 = time.Date(2026, 12, 4, 9, 58, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

var (
	alice = domain.Person{ID: "PU1", Name: "Alice Ops"}
	bob   = domain.Person{ID: "PU2", Name: "Bob Ops"}
)

// story is an incident's PagerDuty log and toban's records of it: Bob
// acknowledges, writes a note, escalates, snoozes and reassigns through
// toban; Alice opens the channel, posts a status update and sets the
// priority; a runbook action runs; Alice resolves in PagerDuty's app.
func story() ([]domain.LogEntry, []domain.Activity) {
	log := []domain.LogEntry{
		{ID: "R1", Type: "trigger", At: at(0), Agent: alice, Summary: "Triggered through the website."},
		{ID: "R2", Type: "assign", At: at(0), Agent: alice, Summary: "Assigned to Alice Ops."},
		{ID: "R3", Type: "notify", At: at(time.Second), Summary: "Notified Alice Ops by push."},
		{ID: "R4", Type: "acknowledge", At: at(time.Minute), Agent: bob, Summary: "Acknowledged by Bob Ops."},
		{ID: "R5", Type: "annotate", At: at(2 * time.Minute), Agent: bob, Summary: "Note added by Bob Ops.", Note: "rolling back\nstep 2 of 3"},
		{ID: "R6", Type: "escalate", At: at(3 * time.Minute), Agent: bob, Summary: "Escalated to level 2 by Bob Ops."},
		{ID: "R6a", Type: "assign", At: at(3 * time.Minute), Agent: bob, Summary: "Assigned to Bob Ops."},
		{ID: "R7", Type: "snooze", At: at(4 * time.Minute), Agent: bob, Summary: "Snoozed for 1h0m0s by Bob Ops."},
		{ID: "R8", Type: "assign", At: at(5 * time.Minute), Agent: bob, Summary: "Assigned to Alice Ops by Bob Ops."},
		{ID: "R9", Type: "escalate", At: at(9*time.Minute + 30*time.Second), Summary: "Escalated to level 1."},
		{ID: "R10", Type: "resolve", At: at(10 * time.Minute), Agent: alice, Summary: "Resolved by Alice Ops."},
	}
	acts := []domain.Activity{
		{IncidentID: "Q1", Kind: "channel", SlackUserID: "U1", Detail: "#inc-42-db-down", At: at(30 * time.Second)},
		{IncidentID: "Q1", Kind: "acknowledged", SlackUserID: "U2", PDUserID: "PU2", At: at(time.Minute + 400*time.Millisecond)},
		{IncidentID: "Q1", Kind: "note", SlackUserID: "U2", PDUserID: "PU2", Detail: "rolling back\nstep 2 of 3", At: at(2*time.Minute + time.Second)},
		{IncidentID: "Q1", Kind: "escalated", SlackUserID: "U2", PDUserID: "PU2", Detail: "level 2", At: at(3 * time.Minute)},
		{IncidentID: "Q1", Kind: "snoozed", SlackUserID: "U2", PDUserID: "PU2", Detail: "for 1 h", At: at(4 * time.Minute)},
		{IncidentID: "Q1", Kind: "reassigned", SlackUserID: "U2", PDUserID: "PU2", Detail: "to Alice", At: at(5 * time.Minute)},
		{IncidentID: "Q1", Kind: "status_update", SlackUserID: "U1", PDUserID: "PU1", Detail: "Rolled back; error rate falling.", At: at(6 * time.Minute)},
		{IncidentID: "Q1", Kind: "runbook", Detail: "restart-api succeeded: 3 pods restarted", At: at(7 * time.Minute)},
		{IncidentID: "Q1", Kind: "priority", SlackUserID: "U1", PDUserID: "PU1", Detail: "P1", At: at(8 * time.Minute)},
		{IncidentID: "Q1", Kind: "responders", SlackUserID: "U1", PDUserID: "PU1", Detail: "Carol Ops", At: at(9 * time.Minute)},
	}
	return log, acts
}

func storyTimeline() Timeline {
	log, acts := story()
	entries := Merge(log, acts)
	for i := range entries { // as fillSlackUsers finds them linked
		if entries[i].Who.PDUserID == "PU1" && entries[i].Who.SlackUserID == "" {
			entries[i].Who.SlackUserID = "U1"
		}
	}
	inc := domain.Incident{ID: "Q1", Number: 42, Title: "DB <primary> down", ServiceName: "Checkout API", Status: domain.StatusResolved,
		URL: "https://acme.pagerduty.com/incidents/Q1"}
	return Timeline{Incident: inc, Entries: entries}
}

func TestMerge(t *testing.T) {
	var got []string
	for _, e := range storyTimeline().Entries {
		got = append(got, e.At.Sub(t0).String()+" "+e.Kind+" "+e.Who.SlackUserID+" "+e.Source)
	}
	want := []string{
		"0s triggered U1 pagerduty",
		"30s channel U1 toban",
		"1m0.4s acknowledged U2 pagerduty", // toban's record and PagerDuty's entry: one line, to the millisecond
		"2m1s note U2 pagerduty",           // toban's record, a second after PagerDuty's whole second
		"3m0s escalated U2 pagerduty",      // the assignment with it is not a reassignment
		"4m0s snoozed U2 pagerduty",
		"5m0s reassigned U2 pagerduty",
		"6m0s status_update U1 toban",
		"7m0s runbook  toban",
		"8m0s priority U1 toban",
		"9m0s responders U1 toban",
		"9m30s escalated  pagerduty", // PagerDuty alone (a timeout)
		"10m0s resolved U1 pagerduty",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// An action PagerDuty logs in one second and toban records in the next
// keeps its place after what was done before it in that second.
func TestMergeOrdersAcrossASecond(t *testing.T) {
	log := []domain.LogEntry{
		{ID: "R1", Type: "acknowledge", At: at(0), Agent: bob},
		{ID: "R2", Type: "annotate", At: at(0), Agent: bob, Note: "checking"},
		{ID: "R3", Type: "resolve", At: at(0), Agent: bob},
		{ID: "R4", Type: "unacknowledge", At: at(5 * time.Second)},
	}
	acts := []domain.Activity{
		{Kind: "acknowledged", PDUserID: "PU2", At: at(400 * time.Millisecond)},
		{Kind: "note", PDUserID: "PU2", Detail: "checking", At: at(600 * time.Millisecond)},
		{Kind: "resolved", PDUserID: "PU2", At: at(time.Second + 50*time.Millisecond)},
		// Recorded long after PagerDuty's entry (a late webhook): PagerDuty's time stands.
		{Kind: "unacknowledged", At: at(9 * time.Second)},
	}
	var got []string
	for _, e := range Merge(log, acts) {
		got = append(got, e.At.Sub(t0).String()+" "+e.Kind)
	}
	want := []string{"400ms acknowledged", "600ms note", "1.05s resolved", "5s unacknowledged"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("timeline: %s\nwant:     %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

func TestMergePairsOnlyTheSameAction(t *testing.T) {
	log := []domain.LogEntry{{ID: "R1", Type: "annotate", At: at(0), Agent: bob, Note: "first"}}
	for _, tc := range []struct {
		name string
		act  domain.Activity
		want int
	}{
		{"SameNote", domain.Activity{Kind: "note", PDUserID: "PU2", Detail: "first", At: at(time.Second)}, 1},
		{"OtherText", domain.Activity{Kind: "note", PDUserID: "PU2", Detail: "second", At: at(time.Second)}, 2},
		{"OtherPerson", domain.Activity{Kind: "note", PDUserID: "PU1", Detail: "first", At: at(time.Second)}, 2},
		{"TooFarApart", domain.Activity{Kind: "note", PDUserID: "PU2", Detail: "first", At: at(pairWindow + time.Second)}, 2},
		{"OtherKind", domain.Activity{Kind: "acknowledged", PDUserID: "PU2", At: at(0)}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Merge(log, []domain.Activity{tc.act}); len(got) != tc.want {
				t.Errorf("%d entries, want %d: %+v", len(got), tc.want, got)
			}
		})
	}
}

func TestLogDetail(t *testing.T) {
	for _, tc := range []struct {
		kind string
		e    domain.LogEntry
		want string
	}{
		{KindEscalated, domain.LogEntry{Summary: "Escalated to level 2 by Bob Ops.", Agent: bob}, "level 2"},
		{KindEscalated, domain.LogEntry{Summary: "Escalated to level 1."}, "level 1"},
		{KindReassigned, domain.LogEntry{Summary: "Assigned to Alice Ops by Bob Ops.", Agent: bob}, "to Alice Ops"},
		{KindSnoozed, domain.LogEntry{Summary: "Snoozed for 1h0m0s by Bob Ops.", Agent: bob}, "for 1h0m0s"},
		{KindNote, domain.LogEntry{Summary: "Note added.", Note: "text"}, "text"},
		{KindAcknowledged, domain.LogEntry{Summary: "Acknowledged by Bob Ops.", Agent: bob}, ""},
		{KindPriority, domain.LogEntry{Summary: "Changed"}, ""},
	} {
		if got := logDetail(tc.kind, tc.e); got != tc.want {
			t.Errorf("logDetail(%s, %q) = %q, want %q", tc.kind, tc.e.Summary, got, tc.want)
		}
	}
}

func TestTimelineGolden(t *testing.T) {
	tl := storyTimeline()
	now := at(11 * time.Minute)
	t.Run("Slack", func(t *testing.T) {
		goldenfile.JSON(t, "timeline_slack", tl.SlackMessages(now, time.UTC))
	})
	t.Run("Markdown", func(t *testing.T) {
		var b bytes.Buffer
		if err := tl.WriteMarkdown(&b, time.UTC); err != nil {
			t.Fatal(err)
		}
		goldenText(t, "timeline.golden.md", b.String())
	})
	t.Run("JSON", func(t *testing.T) {
		var b bytes.Buffer
		if err := tl.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		goldenText(t, "timeline.golden.json", b.String())
	})
	t.Run("Empty", func(t *testing.T) {
		var b bytes.Buffer
		if err := (Timeline{Incident: tl.Incident}).WriteJSON(&b); err != nil || !strings.Contains(b.String(), `"entries": []`) {
			t.Errorf("empty timeline JSON = %s, %v; want entries []", b.String(), err)
		}
	})
	t.Run("LongSplitsMessages", func(t *testing.T) {
		long := Timeline{Incident: tl.Incident}
		for i := range 200 {
			long.Entries = append(long.Entries, Entry{At: at(time.Duration(i) * time.Second), Kind: KindNote, Who: Who{SlackUserID: "U2"},
				Detail: strings.Repeat("x", 100)})
		}
		msgs := long.SlackMessages(now, time.UTC)
		lines := 0
		for _, m := range msgs {
			if len(m.Text) > maxMessageText {
				t.Errorf("message of %d chars", len(m.Text))
			}
			lines += strings.Count(m.Text, ":memo:")
		}
		if len(msgs) < 2 || lines != 200 {
			t.Errorf("%d messages with %d lines; want several with all 200", len(msgs), lines)
		}
	})
}
