package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A mistyped TOBAN_DB must be said, not answered from a database the
// command just created.
func TestCLIRefusesAMissingDatabase(t *testing.T) {
	for _, args := range [][]string{
		{"reminders", "export"},
		{"reminders", "delete", "T1"},
		{"incident", "timeline", "42"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			missing := filepath.Join(t.TempDir(), "typo.db")
			env := envOf(map[string]string{"TOBAN_DB": missing, "PAGERDUTY_TOKEN": "pd-token", "PAGERDUTY_API_URL": "http://127.0.0.1:1/"})
			var out, errs bytes.Buffer
			if code := run(args, env, &out, &errs); code != 1 {
				t.Errorf("exit code = %d, want 1; stderr %q", code, errs.String())
			}
			if want := "no database at " + missing; !strings.Contains(errs.String(), want) {
				t.Errorf("stderr = %q, want it to say %q", errs.String(), want)
			}
			if _, err := os.Stat(missing); !os.IsNotExist(err) {
				t.Errorf("%s was created (stat: %v)", missing, err)
			}
		})
	}
	t.Run("UnknownSubcommand", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "typo.db")
		var out, errs bytes.Buffer
		if code := run([]string{"reminders", "frobnicate"}, envOf(map[string]string{"TOBAN_DB": missing}), &out, &errs); code != 2 || !strings.Contains(errs.String(), "usage:") {
			t.Errorf("reminders frobnicate = %d, stderr %q; want 2 and the usage", code, errs.String())
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Errorf("%s was created (stat: %v)", missing, err)
		}
	})
}
