package handlers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tobanbot/toban/internal/blockkit"
)

// TestGoldenFilesPassBlockKit holds every golden Block Kit file to the
// limits Slack enforces: a golden file records what toban sends, so one
// Slack would refuse is a bug frozen in place.
func TestGoldenFilesPassBlockKit(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The golden files of features moved out of handlers, which were here.
	for _, feature := range []string{"home", "incidents", "maintenance", "oncall", "statusupdates", "subscriptions", "tasks"} {
		moved, err := filepath.Glob(filepath.Join(feature, "testdata", "*.golden.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, moved...)
	}
	if len(files) == 0 {
		t.Fatal("no golden files found")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(raw, &obj); err != nil {
				t.Fatalf("golden file is not a JSON object: %v", err)
			}
			if _, isView := obj["type"]; isView {
				if err := blockkit.CheckView(raw); err != nil {
					t.Errorf("Slack would refuse this view: %v", err)
				}
				return
			}
			// Messages are acks ({"text","blocks"}) or handlers.Message
			// values marshalled with Go's field names.
			text, blocks, attachments := field(obj, "text", "Text"), obj["blocks"], obj["attachments"]
			if blocks == nil {
				blocks = obj["Blocks"]
			}
			if blocks == nil && text == "" {
				t.Fatalf("neither a view nor a message: keys %v", keys(obj))
			}
			if err := blockkit.CheckMessage(text, blocks, attachments); err != nil {
				t.Errorf("Slack would refuse this message: %v", err)
			}
		})
	}
}

func field(obj map[string]json.RawMessage, names ...string) string {
	for _, n := range names {
		var s string
		if json.Unmarshal(obj[n], &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

func keys(obj map[string]json.RawMessage) []string {
	out := make([]string, 0, len(obj))
	for k := range obj {
		out = append(out, k)
	}
	return out
}
