package runbook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/tobanbot/toban/domain"
)

// Status is how a run ended.
type Status string

// The ways a run ends.
const (
	StatusOK      Status = "ok"
	StatusFailed  Status = "failed"
	StatusTimeout Status = "timeout"
	// StatusError means the action could not be run at all (refused
	// template value, unreachable host, PagerDuty not configured).
	StatusError Status = "error"
	// StatusInterrupted is a run cut short by a restart; never re-run.
	StatusInterrupted Status = "interrupted"
)

// Result is what a run did.
type Result struct {
	Status Status
	// Summary is one line for the thread: "HTTP 503, expected 200".
	Summary   string
	Output    []byte
	Truncated bool
	Duration  time.Duration
}

// OK says whether the action succeeded.
func (r Result) OK() bool { return r.Status == StatusOK }

// Invoker runs PagerDuty Automation Actions (the PagerDuty adapter).
type Invoker interface {
	// InvokeAutomationAction starts action id for an incident, as the
	// PagerDuty user with email from ("" for toban's own key).
	InvokeAutomationAction(ctx context.Context, actionID, incidentID, from string) (domain.AutomationInvocation, error)
	// AutomationInvocation reads an invocation's current state.
	AutomationInvocation(ctx context.Context, invocationID string) (domain.AutomationInvocation, error)
}

// Executor runs actions. Its zero value runs HTTP and command actions with
// the real network and processes; PagerDuty actions need PagerDuty.
type Executor struct {
	// Client makes HTTP actions' requests; nil for a client that never
	// follows a redirect to another host and ignores proxy variables.
	Client    *http.Client
	PagerDuty Invoker
	// Now measures durations (toban's clock).
	Now func() time.Time
	// PollInterval is how often a PagerDuty invocation is re-read; 2s.
	PollInterval time.Duration
}

// Run runs a for inc within a's timeout (or ctx, if sooner). from is the
// email of the linked PagerDuty user who asked for the run ("" when toban
// runs it by itself); PagerDuty actions are invoked as them.
func (e *Executor) Run(ctx context.Context, a *Action, inc Incident, from string) Result {
	now := e.Now
	if now == nil {
		panic("runbook.Executor: Now is required")
	}
	start := now()
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	var r Result
	switch {
	case a.HTTP != nil:
		r = e.runHTTP(ctx, a.HTTP, inc)
	case a.Command != nil:
		r = runCommand(ctx, a.Command, inc)
	default:
		r = e.runPagerDuty(ctx, a.PagerDutyAction, inc, from)
	}
	if r.Status != StatusOK && r.Status != StatusError && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		r.Status = StatusTimeout
		r.Summary = fmt.Sprintf("timed out after %s", a.Timeout)
	}
	r.Duration = now().Sub(start)
	return r
}

// escapeForURL makes a value safe anywhere in a URL: every reserved
// character is percent-encoded, and "." and ".." cannot name a parent path.
func escapeForURL(v string) string {
	switch v {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.QueryEscape(v)
}

func (e *Executor) runHTTP(ctx context.Context, step *HTTPStep, inc Incident) Result {
	safe := inc
	safe.ID, safe.Title, safe.Service, safe.Urgency = escapeForURL(inc.ID), escapeForURL(inc.Title), escapeForURL(inc.Service), escapeForURL(inc.Urgency)
	safe.Details = make(map[string]string, len(inc.Details))
	for k, v := range inc.Details {
		safe.Details[k] = escapeForURL(v)
	}
	var sb strings.Builder
	if err := step.URL.Execute(&sb, templateData{Incident: safe}); err != nil {
		return Result{Status: StatusError, Summary: "url template: " + err.Error()}
	}
	u, err := url.Parse(sb.String())
	if err != nil || u.Scheme != step.Scheme || u.Host != step.Host || u.User != nil {
		return Result{Status: StatusError, Summary: fmt.Sprintf("refused: the url would not go to %s://%s", step.Scheme, step.Host)}
	}
	req, err := http.NewRequestWithContext(ctx, step.Method, u.String(), nil)
	if err != nil {
		return Result{Status: StatusError, Summary: "request: " + err.Error()}
	}
	req.Header.Set("User-Agent", "toban-runbook")
	resp, err := e.client(step).Do(req)
	if err != nil {
		return Result{Status: StatusFailed, Summary: "request failed: " + redactURL(err.Error(), u)}
	}
	defer resp.Body.Close()
	var out cappedBuffer
	_, _ = io.Copy(&out, resp.Body)
	r := Result{Output: out.buf.Bytes(), Truncated: out.cut}
	want := step.ExpectStatus
	statusOK := resp.StatusCode == want || (want == 0 && resp.StatusCode >= 200 && resp.StatusCode < 300)
	switch {
	case !statusOK && want != 0:
		r.Status, r.Summary = StatusFailed, fmt.Sprintf("HTTP %d, expected %d", resp.StatusCode, want)
	case !statusOK:
		r.Status, r.Summary = StatusFailed, fmt.Sprintf("HTTP %d, expected 2xx", resp.StatusCode)
	case step.ExpectBody != nil && !step.ExpectBody.Match(r.Output):
		r.Status, r.Summary = StatusFailed, fmt.Sprintf("HTTP %d, but the body does not match %q", resp.StatusCode, step.ExpectBody.String())
	default:
		r.Status, r.Summary = StatusOK, fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return r
}

// client is the configured client or one that stays on the declared host:
// no proxy from the environment, no redirect elsewhere.
func (e *Executor) client(step *HTTPStep) *http.Client {
	if e.Client != nil {
		return e.Client
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != step.Host || req.URL.Scheme != step.Scheme {
				return fmt.Errorf("redirect to %s refused: the action may reach only %s", req.URL.Host, step.Host)
			}
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
}

// redactURL keeps a URL's query (which may carry secrets) out of messages.
func redactURL(msg string, u *url.URL) string {
	if u.RawQuery == "" {
		return msg
	}
	return strings.ReplaceAll(msg, u.String(), u.Scheme+"://"+u.Host+u.Path+"?…")
}

func runCommand(ctx context.Context, step *CommandStep, inc Incident) Result {
	args := make([]string, 0, len(step.Args))
	for i, t := range step.Args {
		var sb strings.Builder
		if err := t.Execute(&sb, templateData{Incident: inc}); err != nil {
			return Result{Status: StatusError, Summary: fmt.Sprintf("argument %d: %v", i+1, err)}
		}
		arg := sb.String()
		// A value from the incident must not become an option of the
		// program: "--force" as a title would otherwise change what runs.
		if strings.HasPrefix(arg, "-") && !strings.HasPrefix(t.Root.String(), "-") {
			return Result{Status: StatusError, Summary: fmt.Sprintf("refused: argument %d would start with '-' from an incident field", i+1)}
		}
		if strings.ContainsRune(arg, 0) {
			return Result{Status: StatusError, Summary: fmt.Sprintf("refused: argument %d holds a NUL byte", i+1)}
		}
		args = append(args, arg)
	}
	cmd := exec.Command(step.Path, args...)
	// The whole environment is what the file declares: a non-nil empty
	// slice, because nil would hand over toban's own (with its tokens).
	cmd.Env = append([]string{}, step.Env...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out cappedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return Result{Status: StatusError, Summary: "could not start " + step.Path + ": " + err.Error()}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// The process group, so that children the program started die too.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = <-done
	}
	r := Result{Output: out.buf.Bytes(), Truncated: out.cut}
	var exit *exec.ExitError
	switch {
	case err == nil:
		r.Status, r.Summary = StatusOK, "exit status 0"
	case errors.As(err, &exit):
		r.Status, r.Summary = StatusFailed, exit.Error()
	default:
		r.Status, r.Summary = StatusFailed, err.Error()
	}
	return r
}

// terminalStates end a PagerDuty invocation.
var terminalStates = map[string]Status{"completed": StatusOK, "error": StatusFailed, "aborted": StatusFailed}

func (e *Executor) runPagerDuty(ctx context.Context, actionID string, inc Incident, from string) Result {
	if e.PagerDuty == nil {
		return Result{Status: StatusError, Summary: "PagerDuty is not configured"}
	}
	inv, err := e.PagerDuty.InvokeAutomationAction(ctx, actionID, inc.ID, from)
	if err != nil {
		return Result{Status: StatusError, Summary: "invoke PagerDuty automation action: " + err.Error()}
	}
	interval := e.PollInterval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	for {
		if st, done := terminalStates[inv.State]; done {
			return Result{Status: st, Summary: fmt.Sprintf("PagerDuty invocation %s %s", inv.ID, inv.State)}
		}
		timer := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return Result{Status: StatusFailed, Summary: fmt.Sprintf("PagerDuty invocation %s still %s", inv.ID, inv.State)}
		case <-timer.C:
		}
		if inv, err = e.PagerDuty.AutomationInvocation(ctx, inv.ID); err != nil {
			return Result{Status: StatusFailed, Summary: "read PagerDuty invocation: " + err.Error()}
		}
	}
}

// cappedBuffer keeps the first MaxOutput bytes written and notes the rest
// was cut, never failing the writer (a failing pipe would kill the program
// with SIGPIPE and hide its result).
type cappedBuffer struct {
	buf bytes.Buffer
	cut bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := MaxOutput - c.buf.Len(); room < len(p) {
		c.cut = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return c.buf.Write(p)
}
