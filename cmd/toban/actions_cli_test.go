package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestActionsCheckCLI(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(good, "actions:\n  - name: API health\n    services: [API]\n    role: check\n    http: {url: \"https://api.internal/health?i={{ .Incident.ID }}\"}\n  - name: Restart\n    services: [API]\n    role: recover\n    command: [/usr/local/bin/restart-api]\n")
	write(bad, "actions:\n  - name: a\n    services: [API]\n    role: fix\n    http: {url: \"https://h/{{ .Incident.Secret }}\"}\n")
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{"Good", []string{"actions", "check", good}, map[string]string{"TOBAN_ALLOW_COMMANDS": "1"}, 0,
			[]string{"API health (check, http on API, runs on trigger)", "Restart (recover, command on API)", "2 actions, no problems"}, nil},
		{"CommandsNotAllowed", []string{"actions", "check", good}, nil, 1, nil,
			[]string{good + `: line 9: action "Restart": command actions run programs on toban's host and are refused unless TOBAN_ALLOW_COMMANDS=1`}},
		{"EveryProblemOneLineEach", []string{"actions", "check", bad}, nil, 1, nil,
			[]string{bad + `: line 4: action "a": role "fix"`, bad + `: line 5: action "a": http: url: template uses unknown field Secret`}},
		{"MissingFile", []string{"actions", "check", filepath.Join(dir, "nope.yaml")}, nil, 1, nil, []string{"nope.yaml: no such file or directory"}},
		{"Usage", []string{"actions", "lint", good}, nil, 2, nil, []string{"want `check FILE`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			// Slack and PagerDuty tokens are not needed to check a file.
			code := run(tt.args, func(k string) string { return tt.env[k] }, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout:\n%s\nwant %q", stdout.String(), want)
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr:\n%s\nwant %q", stderr.String(), want)
				}
			}
			if tt.wantCode == 1 && strings.Count(stderr.String(), "\n") != len(tt.wantStderr) {
				t.Errorf("stderr has %d lines, want one per problem (%d):\n%s", strings.Count(stderr.String(), "\n"), len(tt.wantStderr), stderr.String())
			}
		})
	}
}
