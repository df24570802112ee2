package main

import (
	"context"
	"strconv"
	"time"

	"github.com/tobanbot/toban/scheduler"
)

// taskReloadInterval is how often the database is compared with the
// scheduler, so that tasks imported with `toban reminders import` while
// the bot runs are scheduled without a restart.
const taskReloadInterval = 30 * time.Second

// reloadTasks keeps the scheduler in step with the tasks table: new and
// changed tasks are upserted, deleted ones removed. It compares one
// signature per task; the scheduler itself never scans.
func (m *Main) reloadTasks(ctx context.Context, every time.Duration, known map[string]string) {
	t := time.NewTicker(every)
	defer t.Stop()
	version, _ := m.db.TasksVersion(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// One aggregate query while nothing changed: an idle toban with
		// 100,000 tasks must not reread them all twice a minute.
		v, err := m.db.TasksVersion(ctx)
		if err != nil || v == version {
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
