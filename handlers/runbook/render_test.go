package runbook

import (
	"bytes"
	goldenfile "github.com/tobanbot/toban/internal/golden"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/internal/blockkit"
	rb "github.com/tobanbot/toban/runbook"
)

// golden compares v with testdata/name.golden.json (-update rewrites it).
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, name, v)
}

func actions(t *testing.T, n int) []*rb.Action {
	t.Helper()
	var out []*rb.Action
	for i := range n {
		out = append(out, &rb.Action{Name: []string{"API health", "Restart API", "DB replication lag", "Flush CDN", "Rotate logs"}[i],
			Role: rb.RoleCheck, Services: []string{"API"}, Allowed: []string{rb.AllowAdmins}, Timeout: time.Minute})
	}
	return out
}

var incident = domain.Incident{ID: "PINC1", Number: 42, Title: "API 5xx", ServiceName: "API", Status: domain.StatusTriggered}

func TestCardBlock(t *testing.T) {
	golden(t, "card_buttons", CardBlock(actions(t, 2), incident, false))
	golden(t, "card_menu_running", CardBlock(actions(t, 5), incident, true))
	resolved := incident
	resolved.Status = domain.StatusResolved
	if b := CardBlock(actions(t, 2), resolved, false); b != nil {
		t.Errorf("a resolved incident got runbook buttons: %+v", b)
	}
	if b := CardBlock(nil, incident, false); b != nil {
		t.Errorf("a service without actions got a runbook row: %+v", b)
	}
}

func TestResultBlocks(t *testing.T) {
	a := actions(t, 1)[0]
	golden(t, "result_failed", ResultBlocks(a, rb.Result{Status: rb.StatusFailed, Summary: "HTTP 503, expected 200",
		Output: []byte("database <connection> refused\n"), Duration: 1234 * time.Millisecond}))
	long := strings.Repeat("line of output & more\n", 40)
	golden(t, "result_long", ResultBlocks(a, rb.Result{Status: rb.StatusOK, Summary: "exit status 0", Output: []byte(long), Duration: time.Second}))
	golden(t, "result_truncated", ResultBlocks(a, rb.Result{Status: rb.StatusTimeout, Summary: "timed out after 1m0s",
		Output: []byte(strings.Repeat("x", 5000)), Truncated: true, Duration: time.Minute}))
}

func TestOfferBlocks(t *testing.T) {
	check, recovery := actions(t, 2)[0], actions(t, 2)[1]
	recovery.Role, recovery.Confirm = rb.RoleRecover, true
	golden(t, "offer", OfferBlocks(incident, check, rb.Result{Status: rb.StatusFailed, Summary: "HTTP 503, expected 200"}, recovery))
}

func TestListBlocks(t *testing.T) {
	set := &rb.Set{Actions: actions(t, 3)}
	set.Actions[0].OnTrigger = true
	last := map[string]domain.RunbookRun{"API health": {Action: "API health", Status: "failed", StartedAt: time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)}}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	golden(t, "list", ListBlocks(set, last, tokyo))
	golden(t, "list_empty", ListBlocks(nil, nil, tokyo))
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		name    string
		output  string
		want    string
		wantCut bool
	}{
		{"Empty", "", "", false},
		{"Short", "ok\n", "ok", false},
		{"ManyLines", strings.Repeat("a\n", 20), strings.TrimSuffix(strings.Repeat("a\n", 15), "\n"), true},
		{"LongLine", strings.Repeat("é", 3000), strings.Repeat("é", 2500) + "…", true},
		{"InvalidUTF8", "a\xffb", "a\uFFFDb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut := Excerpt([]byte(tt.output))
			if got != tt.want || cut != tt.wantCut {
				t.Errorf("got %q, %v; want %q, %v", got, cut, tt.want, tt.wantCut)
			}
		})
	}
}

func TestRunValue(t *testing.T) {
	v := RunValue("PINC1", "Restart | API")
	id, name, ok := ParseRunValue(v)
	if !ok || id != "PINC1" || name != "Restart | API" {
		t.Errorf("ParseRunValue(%q) = %q, %q, %v", v, id, name, ok)
	}
	for _, bad := range []string{"", "PINC1", "|x", "PINC1|"} {
		if _, _, ok := ParseRunValue(bad); ok {
			t.Errorf("ParseRunValue(%q) accepted", bad)
		}
	}
}

var _ slack.Block = CardBlock(nil, incident, false)

// TestGoldenFilesPassBlockKit holds every runbook message to the limits
// Slack enforces, as the strict Slack fake does.
func TestGoldenFilesPassBlockKit(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files (%v)", err)
	}
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		blocks := bytes.TrimSpace(raw)
		if blocks[0] == '{' { // one block
			blocks = append(append([]byte("["), blocks...), ']')
		}
		if err := blockkit.CheckMessage("runbook", blocks, nil); err != nil {
			t.Errorf("%s: Slack would refuse it: %v", path, err)
		}
	}
}
