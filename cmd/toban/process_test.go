package main

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test start this test binary as the real toban process:
// with TOBAN_BE_MAIN=1 it runs main() instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("TOBAN_BE_MAIN") == "1" {
		main()
		return
	}
	code := m.Run()
	stopPostgres()
	os.Exit(code)
}

// process is toban running as a separate OS process.
type process struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
}

func startProcess(t *testing.T, env map[string]string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = []string{"TOBAN_BE_MAIN=1", "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	cmd.Stdout = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("toban's output:\n%s", p.stderr.String())
		}
	})
	return p
}

// exitCode waits for the process to end.
func (p *process) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		t.Fatal("toban did not exit")
		return -1
	}
}

func TestProcessSIGTERMFinishesInFlightWork(t *testing.T) {
	w := newWorld(t)
	w.env["TOBAN_SHUTDOWN_TIMEOUT"] = "10s"
	w.env["TOBAN_LOG_LEVEL"] = "info"
	p := startProcess(t, w.env)
	waitConnections(t, w.slack, 1)

	// PagerDuty is slow, so the answer is still being worked on at SIGTERM.
	w.pd.SetDelay(700 * time.Millisecond)
	alice := w.slack.User("U1").In("C1")
	alice.Slash(t, "oncall")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}
	// The in-flight answer was delivered before the process exited.
	var found bool
	for _, m := range alice.Ephemerals() {
		found = found || strings.Contains(m.Text, "Web Ops")
	}
	if !found {
		t.Errorf("the on-call answer in flight at SIGTERM was not delivered; ephemerals: %+v", alice.Ephemerals())
	}
	if !strings.Contains(p.stderr.String(), "in-flight work finished") {
		t.Errorf("log does not say in-flight work finished")
	}
}

func TestProcessRejectedTokensExitNonZero(t *testing.T) {
	tests := []struct {
		name    string
		set     map[string]string
		prepare func(w *world)
		want    string
	}{
		{"AppToken", map[string]string{"SLACK_APP_TOKEN": "xapp-revoked"}, nil,
			"SLACK_APP_TOKEN was rejected by Slack (invalid_auth)"},
		{"BotToken", nil, func(w *world) { w.slack.FailNext("auth.test", "token_revoked", 1) },
			"SLACK_BOT_TOKEN was rejected by Slack (token_revoked)"},
		{"MissingToken", map[string]string{"SLACK_BOT_TOKEN": ""}, nil,
			"SLACK_BOT_TOKEN: is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			for k, v := range tt.set {
				w.env[k] = v
			}
			if tt.prepare != nil {
				tt.prepare(w)
			}
			p := startProcess(t, w.env)
			if code := p.exitCode(t); code == 0 {
				t.Fatalf("exit code = 0, want non-zero")
			}
			if out := p.stderr.String(); !strings.Contains(out, tt.want) {
				t.Errorf("output does not contain %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestProcessCheck(t *testing.T) {
	w := newWorld(t)
	p := startProcess(t, w.env, "check")
	if code := p.exitCode(t); code != 0 {
		t.Fatalf("toban check exit code = %d, want 0:\n%s", code, p.stderr.String())
	}
	out := p.stderr.String()
	for _, want := range []string{"✓ SLACK_BOT_TOKEN", "✓ SLACK_APP_TOKEN", "✓ PAGERDUTY_TOKEN", "✓ TOBAN_DB"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	t.Run("PagerDutyDown", func(t *testing.T) {
		w.pd.FailNext(1, 401)
		p := startProcess(t, w.env, "check")
		if code := p.exitCode(t); code != 1 {
			t.Errorf("exit code = %d, want 1", code)
		}
		if out := p.stderr.String(); !strings.Contains(out, "✗ PAGERDUTY_TOKEN") {
			t.Errorf("check output does not flag PagerDuty:\n%s", out)
		}
	})
}
