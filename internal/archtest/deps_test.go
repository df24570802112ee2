package archtest

import (
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/tobanbot/toban"

// tobanLayers is toban's layering: the router and its features under
// handlers/, the chat toolkit beside them, and the adapters. Features never
// import storage, pagerduty, bot, webhook, poller, the router or one
// another; adapters never import each other.
var tobanLayers = Layers{
	Router:   "handlers",
	Toolkit:  []string{"handlers/chat", "handlers/identity"},
	Adapters: []string{"bot", "storage", "pagerduty", "webhook", "poller"},
	Features: []string{"handlers/calendar", "handlers/home", "handlers/incidentactions", "handlers/incidentchannels", "handlers/incidents", "handlers/maintenance", "handlers/oncall", "handlers/oncallgroups", "handlers/reports", "handlers/runbook", "handlers/statusupdates", "handlers/subscriptions", "handlers/tasks"},
}

// importsAllowed lists imports the rules forbid that are still there, each
// with the reason and what removes it. Keep it short; it only shrinks.
var importsAllowed = map[string]string{}

func TestDependencyRules(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	g, err := LoadGraph(root, module)
	if err != nil {
		t.Fatal(err)
	}
	if len(g["handlers/chat"]) == 0 && g["handlers"] == nil {
		t.Fatalf("import graph looks empty: %v", g)
	}
	for _, v := range tobanLayers.Check(g, importsAllowed) {
		t.Errorf("%s", v)
	}
	for _, u := range tobanLayers.Undeclared(g) {
		t.Errorf("%s", u)
	}
	for key := range importsAllowed {
		from, to, _ := strings.Cut(key, " -> ")
		if !contains(g[from], to) {
			t.Errorf("importsAllowed[%q] is no longer needed: remove it", key)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDependencyRulesCatchViolations runs the checker on a synthetic graph
// with one deliberate breach of each rule, so that a checker that silently
// passes everything is seen to fail.
func TestDependencyRulesCatchViolations(t *testing.T) {
	g := Graph{
		"handlers":               {"handlers/incident", "handlers/chat", "storage"},
		"handlers/incident":      {"handlers/chat", "domain", "storage"},         // feature → adapter
		"handlers/oncall":        {"handlers/task"},                              // feature → feature
		"handlers/task":          {"handlers/task/modal", "handlers"},            // own subpackage ok; router not
		"handlers/task/modal":    {"handlers/chat"},                              // fine
		"handlers/chat":          {"domain", "pagerduty"},                        // toolkit → adapter
		"bot":                    {"handlers/chat", "storage", "bot/internal/x"}, // adapter → adapter
		"bot/internal/x":         nil,
		"storage":                {"domain", "handlers/calendar"}, // adapter → feature
		"handlers/calendar":      {"icsfeed"},
		"pagerduty":              {"domain", "report"},
		"cmd/toban":              {"bot", "storage", "pagerduty", "handlers", "handlers/incident"},
		"webhook":                {"domain"},
		"poller":                 {"domain"},
		"handlers/report":        {"report", "scheduler"},
		"handlers/report/render": {"handlers/report"},
	}
	want := []string{
		"bot imports storage: adapters do not import each other",
		"handlers imports storage: the router reaches adapters only through ports",
		"handlers/chat imports pagerduty: the toolkit imports no adapter",
		"handlers/incident imports storage: a feature reaches adapters only through its own ports",
		"handlers/oncall imports handlers/task: features do not import one another; declare an interface",
		"handlers/task imports handlers: a feature does not import the router",
		"storage imports handlers/calendar: adapters do not import features or the router",
	}
	var got []string
	for _, v := range tobanLayers.Check(g, nil) {
		got = append(got, v.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every feature, declared or not, is held to the rules; an undeclared
	// one, or a declared one that is gone, is reported.
	declared := tobanLayers
	declared.Features = []string{"handlers/incident", "handlers/oncall", "handlers/task", "handlers/calendar", "handlers/gone"}
	wantUndeclared := "handlers/gone: declared feature not found\nhandlers/report/render: package under handlers is neither toolkit nor a declared feature\n" +
		"handlers/report: package under handlers is neither toolkit nor a declared feature"
	if got := strings.Join(declared.Undeclared(g), "\n"); got != wantUndeclared {
		t.Errorf("undeclared:\n%s\nwant:\n%s", got, wantUndeclared)
	}
	// An allowlisted import is not reported.
	allowed := map[string]string{"handlers/incident -> storage": "test"}
	for _, v := range tobanLayers.Check(g, allowed) {
		if v.From == "handlers/incident" && v.To == "storage" {
			t.Errorf("allowlisted import reported: %s", v)
		}
	}
}
