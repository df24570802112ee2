package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tobanbot/toban/storage"
)

// remindersRun runs `toban reminders ARGS` in process against the database
// in env and returns the exit code, stdout and stderr.
func remindersRun(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"reminders"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// taskTitles returns "ID=title" of every task, by channel and title.
func taskTitles(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all, err := db.AllTasks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, task := range all {
		got[task.ID] = task.Title + " in " + task.ChannelID
	}
	return got
}

// TestRemindersExportEditImport: export writes each task's id; the edited
// file imports again, updating those tasks in place (no "already posts in"
// refusal) and creating the rows without an id; an unknown id is a per-line
// error that changes nothing; delete removes tasks by ID, all or none.
func TestRemindersExportEditImport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "toban.db")
	env := map[string]string{"TOBAN_DB": path, "TOBAN_TIMEZONE": "Asia/Tokyo"}

	// A file written before the id column existed.
	old := writeFile(t, "old.csv", "title,description,channel,schedule,timezone,grace,escalation\n"+
		"Check backups,,C0OPS,daily 09:00,Asia/Tokyo,15m,none\n"+
		"Rotate keys,,C0SEC,weekly mon 10:00,,,none\n")
	if code, _, stderr := remindersRun(t, env, "import", old); code != 0 {
		t.Fatalf("import of a file without ids = %d:\n%s", code, stderr)
	}
	before := taskTitles(t, path)
	if len(before) != 2 {
		t.Fatalf("tasks = %v, want 2", before)
	}

	code, exported, stderr := remindersRun(t, env, "export", "--format", "csv")
	if code != 0 {
		t.Fatalf("export = %d:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(exported), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "id,title,") {
		t.Fatalf("export:\n%s\nwant a header starting with id,title and two rows", exported)
	}
	var backupsID, keysID string
	for id, title := range before {
		if !strings.Contains(exported, id+",") {
			t.Errorf("export lacks the id %s:\n%s", id, exported)
		}
		if strings.HasPrefix(title, "Check backups") {
			backupsID = id
		} else {
			keysID = id
		}
	}

	t.Run("UnchangedFileImportsAgain", func(t *testing.T) {
		code, stdout, stderr := remindersRun(t, env, "import", writeFile(t, "same.csv", exported))
		if code != 0 || !strings.Contains(stdout, "imported 0 new tasks and updated 2") {
			t.Fatalf("import of the unchanged export = %d:\n%s%s", code, stdout, stderr)
		}
		if got := taskTitles(t, path); len(got) != 2 || got[backupsID] != before[backupsID] {
			t.Errorf("tasks = %v, want %v", got, before)
		}
	})

	edited := strings.Replace(exported, "Check backups", "Check backups and restores", 1) +
		",Water the plants,,C0OPS,daily 17:00,Asia/Tokyo,,none\n"
	t.Run("DryRunChangesNothing", func(t *testing.T) {
		code, stdout, stderr := remindersRun(t, env, "import", "--dry-run", writeFile(t, "edited.csv", edited))
		if code != 0 || !strings.Contains(stdout, "would update  "+backupsID+"  Check backups and restores") ||
			!strings.Contains(stdout, "would import  Water the plants") || !strings.Contains(stdout, "(1 new, 2 updates)") {
			t.Fatalf("dry run = %d:\n%s%s", code, stdout, stderr)
		}
		if got := taskTitles(t, path); got[backupsID] != before[backupsID] || len(got) != 2 {
			t.Errorf("tasks after a dry run = %v, want %v", got, before)
		}
	})

	t.Run("UnknownIDChangesNothing", func(t *testing.T) {
		bad := edited + "t_nosuchtask1,Ghost,,C0OPS,daily 08:00,Asia/Tokyo,,none\n"
		code, stdout, stderr := remindersRun(t, env, "import", writeFile(t, "bad.csv", bad))
		if code != 1 || !strings.Contains(stderr, "nothing imported") ||
			!strings.Contains(stderr, "line 5: id: no task t_nosuchtask1;") || strings.Count(stderr, "line ") != 1 {
			t.Errorf("import with an unknown id = %d:\n%s%s", code, stdout, stderr)
		}
		if got := taskTitles(t, path); got[backupsID] != before[backupsID] || len(got) != 2 {
			t.Errorf("tasks after a refused import = %v, want %v", got, before)
		}
	})

	t.Run("EditedFileUpdatesInPlace", func(t *testing.T) {
		code, stdout, stderr := remindersRun(t, env, "import", writeFile(t, "edited.csv", edited))
		if code != 0 || !strings.Contains(stdout, "imported 1 new tasks and updated 2") {
			t.Fatalf("import of the edited export = %d:\n%s%s", code, stdout, stderr)
		}
		got := taskTitles(t, path)
		if len(got) != 3 || got[backupsID] != "Check backups and restores in C0OPS" || got[keysID] != before[keysID] {
			t.Errorf("tasks = %v; want %s renamed in place, %s unchanged and one new", got, backupsID, keysID)
		}
	})

	t.Run("NewRowWithAnExistingTitleIsRefused", func(t *testing.T) {
		dup := "title,channel,schedule\nRotate keys,C0SEC,daily 09:00\n"
		code, _, stderr := remindersRun(t, env, "import", writeFile(t, "dup.csv", dup))
		if code != 1 || !strings.Contains(stderr, `line 2: a task "Rotate keys" already posts in C0SEC; rename it, or put the existing task's id`) {
			t.Errorf("import of a duplicate = %d:\n%s", code, stderr)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		tests := []struct {
			name       string
			args       []string
			wantCode   int
			wantOut    []string
			wantTasks  int
			wantAbsent string
		}{
			{"NoID", nil, 2, []string{"usage:"}, 3, ""},
			{"UnknownDeletesNothing", []string{backupsID, "t_gone1", "t_gone2"}, 1,
				[]string{"nothing deleted", "  t_gone1: no such task\n", "  t_gone2: no such task\n"}, 3, ""},
			{"DryRun", []string{"--dry-run", backupsID}, 0, []string{"would delete  " + backupsID, "dry run: nothing deleted"}, 3, ""},
			{"DryRunAfterIDs", []string{backupsID, "--dry-run"}, 0, []string{"would delete  " + backupsID, "dry run: nothing deleted"}, 3, ""},
			{"One", []string{backupsID}, 0, []string{"deleted 1 tasks"}, 2, backupsID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, stdout, stderr := remindersRun(t, env, append([]string{"delete"}, tt.args...)...)
				if code != tt.wantCode {
					t.Errorf("exit code = %d, want %d:\n%s%s", code, tt.wantCode, stdout, stderr)
				}
				for _, want := range tt.wantOut {
					if !strings.Contains(stdout+stderr, want) {
						t.Errorf("output lacks %q:\n%s%s", want, stdout, stderr)
					}
				}
				got := taskTitles(t, path)
				if _, present := got[tt.wantAbsent]; len(got) != tt.wantTasks || tt.wantAbsent != "" && present {
					t.Errorf("tasks after = %v; want %d without %q", got, tt.wantTasks, tt.wantAbsent)
				}
			})
		}
	})
}
