// Package runbook holds the actions admins declare for incidents (check,
// diagnose, recover) and runs them safely: HTTP requests only to the hosts
// the file names, commands as argv without a shell and with only declared
// environment variables, PagerDuty Automation Actions through an
// Invoker. Templates see only incident fields, escaped for where they go.
//
// It imports domain and the standard library only; the PagerDuty adapter
// is reached through the Invoker interface declared here.
package runbook

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"time"
)

// Role is what an action is for in check → recover → escalate.
type Role string

// The roles an action can have.
const (
	RoleCheck    Role = "check"
	RoleDiagnose Role = "diagnose"
	RoleRecover  Role = "recover"
)

// Who may run an action, besides the values "@group" (a Slack user group
// handle) in Allowed.
const (
	AllowAdmins = "admins"
	AllowLinked = "linked"
)

// Limits that keep a run's cost bounded.
const (
	DefaultTimeout = 30 * time.Second
	MaxTimeout     = 30 * time.Minute
	// MaxOutput is how much of a run's output is kept; the rest is dropped
	// and the result says it was cut.
	MaxOutput = 1 << 20
)

// Action is one declared runbook action. Exactly one of HTTP, Command and
// PagerDutyAction is set.
type Action struct {
	Name     string
	Services []string
	Role     Role
	// Confirm asks the clicker to confirm before the run starts.
	Confirm bool
	// Allowed lists who may run it: AllowAdmins, AllowLinked or "@group".
	Allowed []string
	// OnTrigger runs the action by itself when an incident triggers on one
	// of its services: checks by default, never a recovery unless asked.
	OnTrigger bool
	Timeout   time.Duration

	HTTP    *HTTPStep
	Command *CommandStep
	// PagerDutyAction is the id of a PagerDuty Automation Action.
	PagerDutyAction string

	// Line is where the action starts in its file, for messages.
	Line int
}

// HTTPStep is an HTTP request whose answer decides success.
type HTTPStep struct {
	Method string
	// URL is a template; the scheme and host are literal (Host) and every
	// value put in is URL-escaped.
	URL          *template.Template
	Host         string
	Scheme       string
	ExpectStatus int
	// ExpectBody, when set, must match the response body.
	ExpectBody *regexp.Regexp
}

// CommandStep is a program run with arguments, never through a shell.
type CommandStep struct {
	// Path is the program, an absolute path written literally.
	Path string
	// Args are templates, one per argv element.
	Args []*template.Template
	// Env is the whole environment the program gets.
	Env []string
}

// Kind says which of the three ways the action runs.
func (a *Action) Kind() string {
	switch {
	case a.HTTP != nil:
		return "http"
	case a.Command != nil:
		return "command"
	default:
		return "pagerduty_action"
	}
}

// Set is a loaded actions file.
type Set struct {
	Actions []*Action
}

// ForService returns the actions declared for a service, by its PagerDuty
// id or name (case-insensitive), in file order.
func (s *Set) ForService(id, name string) []*Action {
	if s == nil {
		return nil
	}
	var out []*Action
	for _, a := range s.Actions {
		for _, svc := range a.Services {
			if svc == id || (name != "" && strings.EqualFold(svc, name)) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// Named returns the action called name, or nil.
func (s *Set) Named(name string) *Action {
	if s == nil {
		return nil
	}
	for _, a := range s.Actions {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Problem is one thing wrong in an actions file.
type Problem struct {
	Line   int
	Action string
	Reason string
}

func (p Problem) String() string {
	where := fmt.Sprintf("line %d", p.Line)
	if p.Line <= 0 {
		where = "file"
	}
	if p.Action != "" {
		return fmt.Sprintf("%s: action %q: %s", where, p.Action, p.Reason)
	}
	return where + ": " + p.Reason
}

// Incident is what templates may read about the incident an action runs
// for. Nothing else reaches a template.
type Incident struct {
	ID      string
	Number  int
	Title   string
	Service string
	Urgency string
	Details map[string]string
}

// templateData is the root a template sees: {{ .Incident.ID }}.
type templateData struct{ Incident Incident }

// sampleIncident proves at load that a template reads only known fields.
var sampleIncident = Incident{ID: "PSAMPLE", Number: 1, Title: "sample", Service: "sample", Urgency: "high", Details: map[string]string{}}

// parseTemplate parses one template with no functions beyond text/template's
// builtins and executes it on a sample incident, so that an unknown field
// fails at load rather than during an outage.
func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, cleanTemplateError(err)
	}
	var sb strings.Builder
	if err := t.Execute(&sb, templateData{Incident: sampleIncident}); err != nil {
		return nil, cleanTemplateError(err)
	}
	return t, nil
}

// cleanTemplateError drops text/template's "template: name:1:2: executing …"
// prefix noise down to what an admin can act on.
func cleanTemplateError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "can't evaluate field "); i >= 0 {
		field := strings.Fields(msg[i+len("can't evaluate field "):])
		if len(field) > 0 {
			return fmt.Errorf("template uses unknown field %s (templates may use .Incident.ID, .Number, .Title, .Service, .Urgency and .Details.KEY)", field[0])
		}
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "template: ") {
		return fmt.Errorf("template: %s", msg[i+2:])
	}
	return err
}

// literalOrigin returns the scheme and host of a URL template, refusing one
// whose scheme or host is (partly) a template: the file names the hosts an
// action may reach, and no incident field can change them.
func literalOrigin(raw string) (scheme, host string, err error) {
	prefix := raw
	if i := strings.Index(raw, "{{"); i >= 0 {
		prefix = raw[:i]
	}
	rest, ok := strings.CutPrefix(prefix, "https://")
	scheme = "https"
	if !ok {
		if rest, ok = strings.CutPrefix(prefix, "http://"); !ok {
			return "", "", fmt.Errorf("url must start with https:// or http:// and a literal host")
		}
		scheme = "http"
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		if len(prefix) < len(raw) {
			return "", "", fmt.Errorf("url's host must be written literally, not with a template")
		}
		end = len(rest)
	}
	host = rest[:end]
	u, err := url.Parse(scheme + "://" + host + "/")
	if err != nil || u.Host != host || host == "" || u.User != nil {
		return "", "", fmt.Errorf("url has no valid literal host")
	}
	return scheme, host, nil
}

// sortedKeys is for messages that list a map's keys in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Caller is what toban knows about the person asking to run an action.
type Caller struct {
	Admin bool
	// Linked: their Slack account is linked to a PagerDuty user.
	Linked bool
	// Groups are the handles ("@sre") of the Slack user groups they are in.
	Groups []string
}

// Permits says whether c may run a.
func (a *Action) Permits(c Caller) bool {
	for _, who := range a.Allowed {
		switch {
		case who == AllowAdmins && c.Admin, who == AllowLinked && c.Linked:
			return true
		case strings.HasPrefix(who, "@"):
			for _, g := range c.Groups {
				if strings.EqualFold(g, who) {
					return true
				}
			}
		}
	}
	return false
}

// WhoMayRun names who may run a, for the message to someone refused.
func (a *Action) WhoMayRun() string {
	names := make([]string, 0, len(a.Allowed))
	for _, who := range a.Allowed {
		switch who {
		case AllowAdmins:
			names = append(names, "toban admins")
		case AllowLinked:
			names = append(names, "anyone linked to PagerDuty")
		default:
			names = append(names, "members of "+who)
		}
	}
	return strings.Join(names, ", ")
}
