package runbook

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestLoadExample(t *testing.T) {
	data, err := os.ReadFile("testdata/actions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, problems := Load(data, LoadOptions{AllowCommands: true})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if got, want := len(set.Actions), 3; got != want {
		t.Fatalf("got %d actions, want %d", got, want)
	}
	health, restart, rundeck := set.Actions[0], set.Actions[1], set.Actions[2]
	if health.Kind() != "http" || health.HTTP.Host != "api.internal" || health.HTTP.ExpectStatus != 200 || !health.OnTrigger || health.Timeout != 10*time.Second {
		t.Errorf("API health = %+v, %+v", health, health.HTTP)
	}
	if got := strings.Join(health.Allowed, ","); got != "admins" {
		t.Errorf("default allowed = %q, want admins", got)
	}
	if restart.Kind() != "command" || restart.Command.Path != "/usr/local/bin/restart-api" || len(restart.Command.Args) != 2 ||
		!restart.Confirm || restart.OnTrigger || strings.Join(restart.Allowed, ",") != "@sre" || strings.Join(restart.Command.Env, ",") != "REGION=ap-northeast-1" {
		t.Errorf("Restart API = %+v, %+v", restart, restart.Command)
	}
	if rundeck.Kind() != "pagerduty_action" || rundeck.PagerDutyAction != "PXXXXXX" || rundeck.OnTrigger || rundeck.Timeout != DefaultTimeout {
		t.Errorf("Rundeck restart = %+v", rundeck)
	}
	if got := set.ForService("PSVC9", "api"); len(got) != 2 {
		t.Errorf("ForService(api) = %d actions, want 2", len(got))
	}
	if set.Named("Rundeck restart") != rundeck || set.Named("nope") != nil {
		t.Error("Named does not find actions by name")
	}
}

func TestLoadProblems(t *testing.T) {
	const ok = "    services: [API]\n    role: check\n    http: {url: \"https://h.example/x\"}\n"
	tests := []struct {
		name string
		yaml string
		opts LoadOptions
		want []string
	}{
		{"NotYAML", "actions: [", LoadOptions{}, []string{"line 1: not valid YAML"}},
		{"Empty", "", LoadOptions{}, []string{"file: the file is empty"}},
		{"NoList", "actions: 3\n", LoadOptions{}, []string{"line 1: actions: must be a list"}},
		{"TopLevelTypo", "action:\n  - name: x\n", LoadOptions{}, []string{`line 1: unknown key "action"`}},
		{"UnknownKey", "actions:\n  - name: a\n" + ok + "    retries: 3\n", LoadOptions{}, []string{`line 6: action "a": unknown key "retries"`}},
		{"UnknownHTTPKey", "actions:\n  - name: a\n    services: [API]\n    role: check\n    http:\n      url: \"https://h.example/\"\n      headers: {}\n", LoadOptions{}, []string{`line 7: action "a": unknown key "headers" in http`}},
		{"NoName", "actions:\n  - services: [API]\n    role: check\n    http: {url: \"https://h.example/x\"}\n", LoadOptions{}, []string{"line 2: name: is required"}},
		{"NoKind", "actions:\n  - name: a\n    services: [API]\n    role: check\n", LoadOptions{}, []string{`line 2: action "a": needs exactly one of http:, command: or pagerduty_action: (has 0)`}},
		{"TwoKinds", "actions:\n  - name: a\n" + ok + "    pagerduty_action: P1\n", LoadOptions{}, []string{"(has 2)"}},
		{"BadRole", "actions:\n  - name: a\n    services: [API]\n    role: fix\n    pagerduty_action: P1\n", LoadOptions{}, []string{`line 4: action "a": role "fix" is not one of`}},
		{"NoServices", "actions:\n  - name: a\n    role: check\n    pagerduty_action: P1\n", LoadOptions{}, []string{"services: needs at least one"}},
		{"UnknownField", "actions:\n  - name: a\n    services: [API]\n    role: check\n    http: {url: \"https://h.example/{{ .Incident.Secret }}\"}\n", LoadOptions{}, []string{"template uses unknown field Secret"}},
		{"RootField", "actions:\n  - name: a\n    services: [API]\n    role: check\n    http: {url: \"https://h.example/{{ .Env }}\"}\n", LoadOptions{}, []string{"template uses unknown field Env"}},
		{"TemplatedHost", "actions:\n  - name: a\n    services: [API]\n    role: check\n    http: {url: \"https://{{ .Incident.Service }}.internal/\"}\n", LoadOptions{}, []string{"host must be written literally"}},
		{"UserInURL", "actions:\n  - name: a\n    services: [API]\n    role: check\n    http: {url: \"https://u@h.example/\"}\n", LoadOptions{}, []string{"no valid literal host"}},
		{"NotHTTP", "actions:\n  - name: a\n    services: [API]\n    role: check\n    http: {url: \"file:///etc/passwd\"}\n", LoadOptions{}, []string{"must start with https://"}},
		{"BadMethod", "actions:\n  - name: a\n    services: [API]\n    role: check\n    http: {method: DELETE, url: \"https://h.example/\"}\n", LoadOptions{}, []string{`method "DELETE"`}},
		{"BadRegexp", "actions:\n  - name: a\n    services: [API]\n    role: check\n    http: {url: \"https://h.example/\", expect_body: \"(\"}\n", LoadOptions{}, []string{"expect_body is not a regular expression"}},
		{"CommandsOff", "actions:\n  - name: a\n    services: [API]\n    role: recover\n    command: [/bin/true]\n", LoadOptions{}, []string{"TOBAN_ALLOW_COMMANDS=1"}},
		{"RelativeProgram", "actions:\n  - name: a\n    services: [API]\n    role: recover\n    command: [restart]\n", LoadOptions{AllowCommands: true}, []string{"must be an absolute path"}},
		{"TemplatedProgram", "actions:\n  - name: a\n    services: [API]\n    role: recover\n    command: [\"/bin/{{ .Incident.Title }}\"]\n", LoadOptions{AllowCommands: true}, []string{"must be an absolute path written literally"}},
		{"BadEnv", "actions:\n  - name: a\n    services: [API]\n    role: recover\n    command: [/bin/true]\n    env: {\"A-B\": x}\n", LoadOptions{AllowCommands: true}, []string{`env name "A-B"`}},
		{"EnvWithoutCommand", "actions:\n  - name: a\n" + ok + "    env: {A: b}\n", LoadOptions{}, []string{"env: is only for command actions"}},
		{"BadTimeout", "actions:\n  - name: a\n" + ok + "    timeout: soon\n", LoadOptions{}, []string{`line 6: action "a": timeout "soon"`}},
		{"LongTimeout", "actions:\n  - name: a\n" + ok + "    timeout: 2h\n", LoadOptions{}, []string{"at most 30m0s"}},
		{"BadAllowed", "actions:\n  - name: a\n" + ok + "    allowed: [everyone]\n", LoadOptions{}, []string{`allowed "everyone"`}},
		{"BadAutomationID", "actions:\n  - name: a\n    services: [API]\n    role: recover\n    pagerduty_action: \"../x\"\n", LoadOptions{}, []string{"not a PagerDuty Automation Action id"}},
		{"Duplicate", "actions:\n  - name: a\n" + ok + "  - name: a\n" + ok, LoadOptions{}, []string{`line 6: action "a": the name is already used on line 2`}},
		{"EveryProblemAtOnce", "actions:\n  - name: a\n    role: fix\n    pagerduty_action: P1\n  - name: b\n    services: [API]\n    role: check\n", LoadOptions{}, []string{"services: needs", "role \"fix\"", `action "b": needs exactly one`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, problems := Load([]byte(tt.yaml), tt.opts)
			if set != nil {
				t.Fatalf("loaded a set despite problems %v", problems)
			}
			var lines []string
			for _, p := range problems {
				lines = append(lines, p.String())
			}
			got := strings.Join(lines, "\n")
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("problems:\n%s\nwant one containing %q", got, want)
				}
			}
			if len(problems) < len(tt.want) {
				t.Errorf("got %d problems, want at least %d", len(problems), len(tt.want))
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	data, err := os.ReadFile("testdata/actions.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("actions:\n  - name: a\n    http: {url: \"https://h/{{\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, problems := Load(data, LoadOptions{AllowCommands: true})
		if (set == nil) == (len(problems) == 0) {
			t.Fatalf("set %v with problems %v: exactly one must be given", set, problems)
		}
		for _, p := range problems {
			if p.Reason == "" {
				t.Fatalf("problem without a reason: %+v", p)
			}
		}
	})
}

func TestPermits(t *testing.T) {
	tests := []struct {
		allowed []string
		caller  Caller
		want    bool
	}{
		{[]string{AllowAdmins}, Caller{Admin: true}, true},
		{[]string{AllowAdmins}, Caller{Linked: true, Groups: []string{"@sre"}}, false},
		{[]string{"@sre"}, Caller{Groups: []string{"@dev", "@SRE"}}, true},
		{[]string{"@sre"}, Caller{Admin: true}, false},
		{[]string{AllowLinked}, Caller{Linked: true}, true},
		{[]string{AllowLinked, "@sre"}, Caller{}, false},
	}
	for _, tt := range tests {
		a := &Action{Allowed: tt.allowed}
		if got := a.Permits(tt.caller); got != tt.want {
			t.Errorf("%v permits %+v = %v, want %v", tt.allowed, tt.caller, got, tt.want)
		}
	}
	a := &Action{Allowed: []string{AllowAdmins, "@sre", AllowLinked}}
	if got, want := a.WhoMayRun(), "toban admins, members of @sre, anyone linked to PagerDuty"; got != want {
		t.Errorf("WhoMayRun = %q, want %q", got, want)
	}
}
