package main

import (
	"context"
	"strconv"
	"time"

	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
)

// taskReloadInterval is how often the database is compared with the
// scheduler even without a change notice: a fallback for a notice lost
// with a PostgreSQL connection, and for an older toban writing tasks.
const taskReloadInterval = 30 * time.Second

// reloadTasks keeps the scheduler in step with the tasks table: new and
// changed tasks are upserted, deleted ones removed. Every task write, on
// any replica or by the CLI, announces storage.TopicTasks, and this loop
// reloads on that notice, so a task saved on one replica is armed on the
// others within about 2 s. It compares one signature per task; the
// scheduler itself never scans.
func (m *Main) reloadTasks(ctx context.Context, every time.Duration, known map[string]string) {
	t := time.NewTicker(every)
	defer t.Stop()
	changes, err := m.db.Changes(ctx, storage.TopicTasks)
	if err != nil {
		// The periodic reload still runs; only the 2 s promise is lost.
		m.Log.Warn().Err(err).Msg("task change notices unavailable; reloading periodically only")
	}
	version, _ := m.db.TasksVersion(ctx)
	for {
		noticed := false
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				changes = nil // closed: the DB is closing; wait for ctx
				continue
			}
			noticed = true
		case <-t.C:
		}
		// One aggregate query while nothing changed: an idle toban with
		// 100,000 tasks must not reread them all twice a minute. A notice
		// reloads regardless, since an edit stamped within the same
		// millisecond as the last one leaves the version as it was.
		v, err := m.db.TasksVersion(ctx)
		if err != nil || (v == version && !noticed) {
			continue
		}
		version = v
		tasks, err := m.db.AllTasks(ctx)
		if err != nil {
			if ctx.Err() == nil {
				m.Log.Warn().Err(err).Msg("tasks not reloaded")
			}
			continue
		}
		seen := make(map[string]bool, len(tasks))
		for _, task := range tasks {
			seen[task.ID] = true
			sig := task.Rule + "|" + strconv.FormatBool(task.Paused)
			if known[task.ID] == sig {
				continue
			}
			r, err := scheduler.DecodeRule(task.Rule)
			if err != nil {
				m.Log.Error().Err(err).Str("task", task.ID).Msg("task with an unreadable schedule skipped")
				continue
			}
			m.engine.Upsert(scheduler.Task{ID: task.ID, Rule: r, Paused: task.Paused})
			known[task.ID] = sig
		}
		for id := range known {
			if !seen[id] {
				m.engine.Remove(id)
				delete(known, id)
			}
		}
	}
}
