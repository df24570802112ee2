package runbook

import (
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// LoadOptions says what the running toban permits.
type LoadOptions struct {
	// AllowCommands permits `command` actions (TOBAN_ALLOW_COMMANDS=1).
	AllowCommands bool
}

// actionKeys are the keys an action may have; anything else is a typo that
// would otherwise be ignored silently.
var actionKeys = map[string]bool{
	"name": true, "services": true, "role": true, "confirm": true, "allowed": true,
	"on_trigger": true, "timeout": true, "http": true, "command": true, "env": true,
	"pagerduty_action": true,
}

var httpKeys = map[string]bool{"method": true, "url": true, "expect_status": true, "expect_body": true}

type rawAction struct {
	Name            string            `yaml:"name"`
	Services        []string          `yaml:"services"`
	Role            string            `yaml:"role"`
	Confirm         bool              `yaml:"confirm"`
	Allowed         []string          `yaml:"allowed"`
	OnTrigger       *bool             `yaml:"on_trigger"`
	Timeout         string            `yaml:"timeout"`
	HTTP            *rawHTTP          `yaml:"http"`
	Command         []string          `yaml:"command"`
	Env             map[string]string `yaml:"env"`
	PagerDutyAction string            `yaml:"pagerduty_action"`
}

type rawHTTP struct {
	Method       string `yaml:"method"`
	URL          string `yaml:"url"`
	ExpectStatus int    `yaml:"expect_status"`
	ExpectBody   string `yaml:"expect_body"`
}

var (
	envName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	automationID = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)
	groupHandle  = regexp.MustCompile(`^@[a-z0-9][a-z0-9._-]{0,79}$`)
)

// Load reads an actions file. It returns every problem at once, each with
// its line, and a nil Set when there is any: a half-loaded runbook would
// run some actions and silently not others.
func Load(data []byte, opts LoadOptions) (*Set, []Problem) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, []Problem{{Line: yamlErrorLine(err), Reason: "not valid YAML: " + yamlErrorText(err)}}
	}
	if len(doc.Content) == 0 {
		return nil, []Problem{{Reason: "the file is empty; it needs a top-level actions: list"}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, []Problem{{Line: root.Line, Reason: "the top level must be a mapping with an actions: list"}}
	}
	var list *yaml.Node
	var problems []Problem
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "actions" {
			problems = append(problems, Problem{Line: k.Line, Reason: fmt.Sprintf("unknown key %q (only actions: is allowed at the top)", k.Value)})
			continue
		}
		list = v
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		line := root.Line
		if list != nil {
			line = list.Line
		}
		return nil, append(problems, Problem{Line: line, Reason: "actions: must be a list of actions"})
	}
	set := &Set{}
	names := map[string]int{}
	for _, node := range list.Content {
		a, ps := loadAction(node, opts)
		problems = append(problems, ps...)
		if a == nil {
			continue
		}
		if first, dup := names[a.Name]; dup {
			problems = append(problems, Problem{Line: a.Line, Action: a.Name, Reason: fmt.Sprintf("the name is already used on line %d; names must be unique", first)})
			continue
		}
		names[a.Name] = a.Line
		set.Actions = append(set.Actions, a)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if len(set.Actions) == 0 {
		return nil, []Problem{{Line: list.Line, Reason: "actions: is empty"}}
	}
	return set, nil
}

func loadAction(node *yaml.Node, opts LoadOptions) (*Action, []Problem) {
	if node.Kind != yaml.MappingNode {
		return nil, []Problem{{Line: node.Line, Reason: "each action must be a mapping (name:, services:, role:, …)"}}
	}
	var problems []Problem
	name := ""
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if k.Value == "name" {
			name = v.Value
		}
	}
	bad := func(line int, format string, args ...any) {
		problems = append(problems, Problem{Line: line, Action: name, Reason: fmt.Sprintf(format, args...)})
	}
	keyLine := map[string]int{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		keyLine[k.Value] = k.Line
		if !actionKeys[k.Value] {
			bad(k.Line, "unknown key %q", k.Value)
		}
		if k.Value == "http" && v.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				if hk := v.Content[j]; !httpKeys[hk.Value] {
					bad(hk.Line, "unknown key %q in http (method, url, expect_status, expect_body)", hk.Value)
				}
			}
		}
	}
	var raw rawAction
	if err := node.Decode(&raw); err != nil {
		bad(node.Line, "%s", yamlErrorText(err))
		return nil, problems
	}
	at := func(key string) int {
		if l, ok := keyLine[key]; ok {
			return l
		}
		return node.Line
	}
	a := &Action{Name: strings.TrimSpace(raw.Name), Confirm: raw.Confirm, Line: node.Line}
	if a.Name == "" {
		bad(node.Line, "name: is required")
	} else if len(a.Name) > 60 {
		bad(at("name"), "name is %d characters; at most 60 fit on a button", len(a.Name))
	}
	for _, s := range raw.Services {
		if s = strings.TrimSpace(s); s != "" {
			a.Services = append(a.Services, s)
		}
	}
	if len(a.Services) == 0 {
		bad(at("services"), "services: needs at least one PagerDuty service name or id")
	}
	switch Role(raw.Role) {
	case RoleCheck, RoleDiagnose, RoleRecover:
		a.Role = Role(raw.Role)
	case "":
		bad(node.Line, "role: is required (check, diagnose or recover)")
	default:
		bad(at("role"), "role %q is not one of check, diagnose, recover", raw.Role)
	}
	a.OnTrigger = a.Role == RoleCheck
	if raw.OnTrigger != nil {
		a.OnTrigger = *raw.OnTrigger
	}
	a.Allowed = []string{AllowAdmins}
	if len(raw.Allowed) > 0 {
		a.Allowed = nil
		for _, who := range raw.Allowed {
			switch {
			case who == AllowAdmins, who == AllowLinked, groupHandle.MatchString(who):
				a.Allowed = append(a.Allowed, who)
			default:
				bad(at("allowed"), "allowed %q is not admins, linked or a user group like @sre", who)
			}
		}
	}
	a.Timeout = DefaultTimeout
	if raw.Timeout != "" {
		d, err := time.ParseDuration(raw.Timeout)
		switch {
		case err != nil:
			bad(at("timeout"), "timeout %q is not a duration like 10s or 2m", raw.Timeout)
		case d <= 0 || d > MaxTimeout:
			bad(at("timeout"), "timeout %s must be more than 0 and at most %s", d, MaxTimeout)
		default:
			a.Timeout = d
		}
	}
	kinds := 0
	if raw.HTTP != nil {
		kinds++
		step, err := loadHTTP(raw.HTTP)
		if err != nil {
			bad(at("http"), "http: %v", err)
		}
		a.HTTP = step
	}
	if raw.Command != nil {
		kinds++
		step, err := loadCommand(raw.Command, raw.Env)
		switch {
		case err != nil:
			bad(at("command"), "command: %v", err)
		case !opts.AllowCommands:
			bad(at("command"), "command actions run programs on toban's host and are refused unless TOBAN_ALLOW_COMMANDS=1")
		}
		a.Command = step
	} else if raw.Env != nil {
		bad(at("env"), "env: is only for command actions")
	}
	if raw.PagerDutyAction != "" {
		kinds++
		if !automationID.MatchString(raw.PagerDutyAction) {
			bad(at("pagerduty_action"), "pagerduty_action %q is not a PagerDuty Automation Action id", raw.PagerDutyAction)
		}
		a.PagerDutyAction = raw.PagerDutyAction
	}
	if kinds != 1 {
		bad(node.Line, "needs exactly one of http:, command: or pagerduty_action: (has %d)", kinds)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return a, nil
}

func loadHTTP(raw *rawHTTP) (*HTTPStep, error) {
	step := &HTTPStep{Method: strings.ToUpper(strings.TrimSpace(raw.Method)), ExpectStatus: raw.ExpectStatus}
	if step.Method == "" {
		step.Method = http.MethodGet
	}
	switch step.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut:
	default:
		return nil, fmt.Errorf("method %q is not GET, HEAD, POST or PUT", raw.Method)
	}
	if raw.URL == "" {
		return nil, fmt.Errorf("url: is required")
	}
	scheme, host, err := literalOrigin(raw.URL)
	if err != nil {
		return nil, err
	}
	step.Scheme, step.Host = scheme, host
	if step.URL, err = parseTemplate("url", raw.URL); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if step.ExpectStatus != 0 && (step.ExpectStatus < 100 || step.ExpectStatus > 599) {
		return nil, fmt.Errorf("expect_status %d is not an HTTP status", step.ExpectStatus)
	}
	if raw.ExpectBody != "" {
		if step.ExpectBody, err = regexp.Compile(raw.ExpectBody); err != nil {
			return nil, fmt.Errorf("expect_body is not a regular expression: %v", err)
		}
	}
	return step, nil
}

func loadCommand(argv []string, env map[string]string) (*CommandStep, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("needs a program and its arguments as a list")
	}
	path := argv[0]
	if strings.Contains(path, "{{") || !filepath.IsAbs(path) {
		return nil, fmt.Errorf("the program %q must be an absolute path written literally", path)
	}
	step := &CommandStep{Path: path}
	for i, arg := range argv[1:] {
		t, err := parseTemplate(fmt.Sprintf("arg%d", i+1), arg)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		step.Args = append(step.Args, t)
	}
	for _, k := range sortedKeys(env) {
		if !envName.MatchString(k) {
			return nil, fmt.Errorf("env name %q is not a variable name", k)
		}
		step.Env = append(step.Env, k+"="+env[k])
	}
	return step, nil
}

// yamlErrorLine finds the line in a yaml error ("yaml: line 3: …").
func yamlErrorLine(err error) int {
	var line int
	if _, scanErr := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &line); scanErr != nil {
		return 0
	}
	return line
}

func yamlErrorText(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "line ") {
		return msg[i+2:]
	}
	if strings.HasPrefix(msg, "unmarshal errors:\n") {
		return strings.TrimSpace(strings.ReplaceAll(strings.TrimPrefix(msg, "unmarshal errors:\n"), "\n", "; "))
	}
	return msg
}
