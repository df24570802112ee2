package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDemoCLIRefusesBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"demo", "now"}, 2, `unexpected argument "now"`},
		{[]string{"demo", "--port", "1"}, 2, "flag provided but not defined: -port"},
		{[]string{"demo", "--addr", "127.0.0.1:notaport"}, 1, "--addr:"},
		{[]string{"demo", "--log-level", "loud"}, 2, `--log-level must be one of trace, debug, info, warn, error; got "loud"`},
	}
	for _, tt := range tests {
		var out, errs bytes.Buffer
		// Real-looking tokens in the environment must not matter.
		getenv := envOf(map[string]string{"SLACK_APP_TOKEN": "xapp-real", "SLACK_BOT_TOKEN": "xoxb-real"})
		if code := run(tt.args, getenv, &out, &errs); code != tt.code || !strings.Contains(errs.String(), tt.want) {
			t.Errorf("toban %s = %d, stderr %q; want %d and %q", strings.Join(tt.args, " "), code, errs.String(), tt.code, tt.want)
		}
		if strings.Contains(out.String()+errs.String(), "-real") {
			t.Errorf("toban %s printed a token from the environment", strings.Join(tt.args, " "))
		}
	}
}
