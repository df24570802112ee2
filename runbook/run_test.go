package runbook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// injections are incident titles that try to escape the declared action.
var injections = []string{
	"$(touch %s)",
	"; curl http://evil.example/ #",
	"a\nHost: evil.example",
	"../../admin",
	"..",
	"x@evil.example",
	"https://evil.example/?",
	"--force",
	"`touch %s`",
}

// systemUnderCheck is a loopback HTTP service playing the system a check
// looks at; it records every request it sees.
type systemUnderCheck struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
	// status and body are what it answers.
	status int
	body   string
}

func newSystem(t *testing.T, status int, body string) *systemUnderCheck {
	s := &systemUnderCheck{status: status, body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r)
		s.mu.Unlock()
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://evil.example/", http.StatusFound)
			return
		}
		w.WriteHeader(s.status)
		fmt.Fprint(w, s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *systemUnderCheck) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.seen...)
}

func loadOne(t *testing.T, yaml string) *Action {
	t.Helper()
	set, problems := Load([]byte(yaml), LoadOptions{AllowCommands: true})
	if len(problems) > 0 {
		t.Fatalf("load: %v", problems)
	}
	return set.Actions[0]
}

func executor() *Executor { return &Executor{Now: time.Now} }

func TestRunHTTP(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		expect     string
		wantStatus Status
		wantSum    string
	}{
		{"Healthy", 200, "all ok", "expect_status: 200, expect_body: \"ok\"", StatusOK, "HTTP 200"},
		{"WrongStatus", 503, "down", "expect_status: 200", StatusFailed, "HTTP 503, expected 200"},
		{"Any2xx", 204, "", "", StatusOK, "HTTP 204"},
		{"Not2xx", 500, "", "", StatusFailed, "HTTP 500, expected 2xx"},
		{"BodyMismatch", 200, "degraded", "expect_body: \"^ok$\"", StatusFailed, "body does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := newSystem(t, tt.status, tt.body)
			extra := ""
			if tt.expect != "" {
				extra = ", " + tt.expect
			}
			a := loadOne(t, fmt.Sprintf("actions:\n  - name: a\n    services: [API]\n    role: check\n    http: {url: \"%s/health?incident={{ .Incident.ID }}\"%s}\n", sys.URL, extra))
			got := executor().Run(context.Background(), a, Incident{ID: "PINC1"}, "")
			if got.Status != tt.wantStatus || !strings.Contains(got.Summary, tt.wantSum) {
				t.Errorf("got %s %q, want %s %q", got.Status, got.Summary, tt.wantStatus, tt.wantSum)
			}
			if string(got.Output) != tt.body {
				t.Errorf("output = %q, want %q", got.Output, tt.body)
			}
			reqs := sys.requests()
			if len(reqs) != 1 || reqs[0].URL.Query().Get("incident") != "PINC1" {
				t.Errorf("the service saw %v, want one request for PINC1", reqs)
			}
		})
	}
}

func TestRunHTTPInjection(t *testing.T) {
	sys := newSystem(t, 200, "ok")
	a := loadOne(t, fmt.Sprintf("actions:\n  - name: a\n    services: [API]\n    role: check\n    http: {url: \"%s/check/{{ .Incident.Title }}?svc={{ .Incident.Details.svc }}\"}\n", sys.URL))
	for _, title := range injections {
		got := executor().Run(context.Background(), a, Incident{ID: "P1", Title: title, Details: map[string]string{"svc": title}}, "")
		if got.Status != StatusOK {
			t.Errorf("title %q: %s %s", title, got.Status, got.Summary)
		}
	}
	reqs := sys.requests()
	if len(reqs) != len(injections) {
		t.Fatalf("the service saw %d requests, want %d", len(reqs), len(injections))
	}
	for i, r := range reqs {
		if r.Host != strings.TrimPrefix(sys.URL, "http://") {
			t.Errorf("request %d went to host %q", i, r.Host)
		}
		// The whole title is one escaped path segment under /check/.
		if got, want := r.URL.EscapedPath(), "/check/"+escapeForURL(injections[i]); got != want {
			t.Errorf("request %d path = %q, want %q", i, got, want)
		}
		if got := r.URL.Query().Get("svc"); got != injections[i] {
			t.Errorf("request %d svc = %q, want the title verbatim as one value", i, got)
		}
		if r.Header.Get("Host") != "" || len(r.URL.Query()) != 1 {
			t.Errorf("request %d carries injected parts: %v %v", i, r.Header, r.URL.Query())
		}
	}
}

func TestRunHTTPRedirectElsewhereRefused(t *testing.T) {
	sys := newSystem(t, 200, "ok")
	a := loadOne(t, fmt.Sprintf("actions:\n  - name: a\n    services: [API]\n    role: check\n    http: {url: \"%s/redirect\"}\n", sys.URL))
	got := executor().Run(context.Background(), a, Incident{ID: "P1"}, "")
	if got.Status != StatusFailed || !strings.Contains(got.Summary, "redirect to evil.example refused") {
		t.Errorf("got %s %q, want the redirect refused", got.Status, got.Summary)
	}
}

func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	t.Run("ArgvNotShell", func(t *testing.T) {
		a := loadOne(t, "actions:\n  - name: a\n    services: [API]\n    role: recover\n    command: [/bin/echo, \"title:\", \"{{ .Incident.Title }}\"]\n")
		for _, inj := range injections {
			title := inj
			if strings.Contains(inj, "%s") {
				title = fmt.Sprintf(inj, marker)
			}
			got := executor().Run(context.Background(), a, Incident{ID: "P1", Title: title}, "")
			if strings.HasPrefix(title, "-") {
				if got.Status != StatusError || !strings.Contains(got.Summary, "would start with '-'") {
					t.Errorf("title %q: got %s %q, want refused", title, got.Status, got.Summary)
				}
				continue
			}
			if got.Status != StatusOK || string(got.Output) != "title: "+title+"\n" {
				t.Errorf("title %q: got %s %q, want it echoed as one argument", title, got.Status, got.Output)
			}
		}
		if _, err := os.Stat(marker); !os.IsNotExist(err) {
			t.Fatalf("%s exists: an injection ran", marker)
		}
	})
	t.Run("OnlyDeclaredEnvironment", func(t *testing.T) {
		t.Setenv("SLACK_BOT_TOKEN", "xoxb-secret")
		a := loadOne(t, "actions:\n  - name: a\n    services: [API]\n    role: diagnose\n    command: [/usr/bin/env]\n    env: {REGION: tokyo, B: two}\n")
		got := executor().Run(context.Background(), a, Incident{ID: "P1"}, "")
		if got.Status != StatusOK || string(got.Output) != "B=two\nREGION=tokyo\n" {
			t.Errorf("got %s %q, want only the declared variables", got.Status, got.Output)
		}
	})
	t.Run("ExitStatus", func(t *testing.T) {
		a := loadOne(t, "actions:\n  - name: a\n    services: [API]\n    role: recover\n    command: [/bin/sh, -c, \"echo restarting; exit 3\"]\n")
		got := executor().Run(context.Background(), a, Incident{ID: "P1"}, "")
		if got.Status != StatusFailed || got.Summary != "exit status 3" || string(got.Output) != "restarting\n" {
			t.Errorf("got %s %q %q", got.Status, got.Summary, got.Output)
		}
	})
	t.Run("TimeoutKillsProcessGroup", func(t *testing.T) {
		// The grandchild holds the output pipe: only killing the group
		// lets the run end at the timeout.
		a := loadOne(t, "actions:\n  - name: a\n    services: [API]\n    role: recover\n    timeout: 300ms\n    command: [/bin/sh, -c, \"sleep 30 & sleep 30\"]\n")
		done := make(chan Result, 1)
		go func() { done <- executor().Run(context.Background(), a, Incident{ID: "P1"}, "") }()
		select {
		case got := <-done:
			if got.Status != StatusTimeout || got.Summary != "timed out after 300ms" {
				t.Errorf("got %s %q, want timeout", got.Status, got.Summary)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the run outlived its timeout: the process group was not killed")
		}
	})
	t.Run("OutputCapped", func(t *testing.T) {
		a := loadOne(t, "actions:\n  - name: a\n    services: [API]\n    role: diagnose\n    command: [/usr/bin/head, -c, \"3000000\", /dev/zero]\n")
		got := executor().Run(context.Background(), a, Incident{ID: "P1"}, "")
		if got.Status != StatusOK || len(got.Output) != MaxOutput || !got.Truncated {
			t.Errorf("got %s, %d bytes, truncated %v; want ok, %d bytes, truncated", got.Status, len(got.Output), got.Truncated, MaxOutput)
		}
	})
	t.Run("MissingProgram", func(t *testing.T) {
		a := loadOne(t, "actions:\n  - name: a\n    services: [API]\n    role: recover\n    command: [/nonexistent/restart]\n")
		got := executor().Run(context.Background(), a, Incident{ID: "P1"}, "")
		if got.Status != StatusError || !strings.Contains(got.Summary, "could not start /nonexistent/restart") {
			t.Errorf("got %s %q", got.Status, got.Summary)
		}
	})
}
