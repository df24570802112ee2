package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlclark/regexp2/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// manifestSchema compiles Slack's own app manifest schema (vendored, see
// testdata/SOURCES.md).
func manifestSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join("testdata", "slack-manifest.schema.1.0.0.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	// Slack's patterns are ECMAScript (JSON Schema's regex dialect) with
	// lookaheads Go's RE2 cannot parse.
	c.UseRegexpEngine(ecmaRegexp)
	if err := c.AddResource("slack-manifest.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("slack-manifest.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return schema
}

// ecmaRegexp compiles JSON Schema patterns as ECMAScript regexps.
func ecmaRegexp(expr string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(expr, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	return ecmaPattern{re}, nil
}

type ecmaPattern struct{ re *regexp2.Regexp }

func (p ecmaPattern) String() string { return p.re.String() }

// MatchString treats a match that fails to run (a backtracking limit) as
// no match, so the manifest is refused rather than waved through.
func (p ecmaPattern) MatchString(s string) bool {
	ok, err := p.re.MatchString(s)
	return ok && err == nil
}

// manifestDoc reads YAML as the JSON value Slack's schema describes.
func manifestDoc(t *testing.T, yamlText []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(yamlText, &v); err != nil {
		t.Fatalf("manifest is not YAML: %v", err)
	}
	// Round-trip through JSON so numbers and maps have the types the
	// validator expects.
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestManifestMatchesSlackSchema: a manifest Slack refuses makes the
// README's first step ("Create New App → From an app manifest") fail.
func TestManifestMatchesSlackSchema(t *testing.T) {
	schema := manifestSchema(t)
	raw, err := os.ReadFile(filepath.Join("..", "..", "manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(manifestDoc(t, raw)); err != nil {
		t.Errorf("manifest.yaml breaks Slack's manifest schema:\n%v", err)
	}

	// The same schema refuses manifests Slack refuses, so a pass above
	// means something.
	broken := []struct{ name, from, to string }{
		{"UnknownSetting", "socket_mode_enabled: true", "socket_mode_enabled: true\n  sockets: 2"},
		{"SlashCommandWithoutDescription", "      description: Incidents, on-call, tasks and reports from PagerDuty\n", ""},
		{"NameTooLong", "  name: toban\n", "  name: " + strings.Repeat("t", 36) + "\n"},
	}
	for _, b := range broken {
		t.Run(b.name, func(t *testing.T) {
			changed := strings.Replace(string(raw), b.from, b.to, 1)
			if changed == string(raw) {
				t.Fatalf("%q not found in manifest.yaml", b.from)
			}
			if err := schema.Validate(manifestDoc(t, []byte(changed))); err == nil {
				t.Errorf("a manifest with %s passed the schema", b.name)
			}
		})
	}
}

// manifestBotScopes are the bot scopes manifest.yaml asks for.
func manifestBotScopes(t testing.TB) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest is not YAML: %v", err)
	}
	if len(m.OAuth.Scopes.Bot) == 0 {
		t.Fatal("manifest.yaml asks for no bot scopes")
	}
	return m.OAuth.Scopes.Bot
}

// TestEveryScopeIsExplained holds README's "Slack scopes, and why" table
// equal to the manifest: a scope asked for without a reason, or a reason
// for a scope no longer asked for, fails.
func TestEveryScopeIsExplained(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, found := strings.Cut(string(readme), "## Slack scopes, and why")
	if !found {
		t.Fatal(`README.md has no "## Slack scopes, and why" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	explained := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, part := range strings.Split(cells[1], ",") {
			part = strings.TrimSpace(part)
			if name, ok := strings.CutPrefix(part, "`"); ok {
				name, _, _ = strings.Cut(name, "`")
				explained[name] = true
			}
		}
	}
	asked := map[string]bool{}
	for _, sc := range manifestBotScopes(t) {
		asked[sc] = true
		if !explained[sc] {
			t.Errorf("manifest.yaml asks for %s but README's scope table does not say why", sc)
		}
	}
	for sc := range explained {
		if !asked[sc] && sc != "connections:write" { // the app-level token's scope, not in the manifest
			t.Errorf("README explains %s but manifest.yaml does not ask for it", sc)
		}
	}
}
