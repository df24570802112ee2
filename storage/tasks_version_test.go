package storage

import (
	"context"
	"testing"
	"time"
)

func TestTasksVersion(t *testing.T) {
	ctx := context.Background()
	db, clock, _ := openTaskDB(t)
	version := func() string {
		t.Helper()
		v, err := db.TasksVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	empty := version()
	a, err := db.SaveTask(ctx, validTask("Check backups"))
	if err != nil {
		t.Fatal(err)
	}
	added := version()
	if added == empty {
		t.Errorf("version unchanged after adding a task: %s", added)
	}
	if again := version(); again != added {
		t.Errorf("version moved without a change: %s then %s", added, again)
	}
	clock.add(time.Minute)
	if err := db.SetTaskPaused(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	paused := version()
	if paused == added {
		t.Errorf("version unchanged after pausing: %s", paused)
	}
	if err := db.DeleteTask(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if deleted := version(); deleted == paused {
		t.Errorf("version unchanged after deleting: %s", deleted)
	}
}
