package main

import (
	"context"
	"strconv"
	"time"

	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
)

// taskReloadInterval is how often the database is compared with the
// engines even without a change notice: a fallback for a notice lost with
// a PostgreSQL connection, and for an older toban writing tasks.
const taskReloadInterval = 30 * time.Second

// armed is one schedule as an engine should have it; sig tells a changed
// schedule from an unchanged one without comparing rules field by field.
type armed struct {
	id     string
	rule   scheduler.Rule
	paused bool
}

func (a armed) sig() string { return a.rule.Encode() + "|" + strconv.FormatBool(a.paused) }

// engineSync keeps one scheduler engine in step with one table.
type engineSync struct {
	what   string // for logs: "tasks", "reports"
	topic  string // change notices to react to
	engine *scheduler.Engine
	// version, when set, is a cheap summary of the table: a periodic
	// check that finds it unchanged skips the full read.
	version func(context.Context) (string, error)
	list    func(context.Context) ([]armed, error)
	// known is what the engine was given, by ID, as sig.
	known map[string]string
}

// reloadTasks keeps the task scheduler in step with the tasks table. Every
// task write, on any replica or by the CLI, announces storage.TopicTasks,
// so a task saved on one replica is armed on the others within about 2 s.
func (m *Main) reloadTasks(ctx context.Context, every time.Duration, known map[string]string) {
	m.syncEngine(ctx, every, engineSync{
		what: "tasks", topic: storage.TopicTasks, engine: m.engine, known: known,
		version: m.db.TasksVersion,
		list: func(ctx context.Context) ([]armed, error) {
			tasks, err := m.db.AllTasks(ctx)
			out := make([]armed, len(tasks))
			for i, t := range tasks {
				out[i] = armed{t.ID, t.Rule, t.Paused}
			}
			return out, err
		},
	})
}

// reloadReports keeps the report engine in step with report_schedules on
// every replica, so that whichever replica holds the "reports" lease runs
// schedules saved on any of them.
func (m *Main) reloadReports(ctx context.Context, every time.Duration) {
	m.syncEngine(ctx, every, engineSync{
		what: "reports", topic: storage.TopicReports, engine: m.reports, known: m.knownReports,
		list: func(ctx context.Context) ([]armed, error) {
			schedules, err := m.db.ReportSchedules(ctx)
			out := make([]armed, len(schedules))
			for i, s := range schedules {
				out[i] = armed{id: s.ID, rule: s.Rule}
			}
			return out, err
		},
	})
}

// syncEngine reloads on every change notice of s.topic and every `every`
// (new and changed schedules upserted, deleted ones removed). It compares
// one signature per schedule; the scheduler itself never scans.
func (m *Main) syncEngine(ctx context.Context, every time.Duration, s engineSync) {
	t := time.NewTicker(every)
	defer t.Stop()
	changes, err := m.db.Changes(ctx, s.topic)
	if err != nil {
		// The periodic reload still runs; only the 2 s promise is lost.
		m.Log.Warn().Err(err).Str("topic", s.topic).Msg("change notices unavailable; reloading periodically only")
	}
	version := ""
	if s.version != nil {
		version, _ = s.version(ctx)
	}
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
		if s.version != nil {
			v, err := s.version(ctx)
			if err != nil || (v == version && !noticed) {
				continue
			}
			version = v
		}
		all, err := s.list(ctx)
		if err != nil {
			if ctx.Err() == nil {
				m.Log.Warn().Err(err).Str("what", s.what).Msg("schedules not reloaded")
			}
			continue
		}
		m.apply(s, all)
	}
}

// apply gives the engine what changed between s.known and all.
func (m *Main) apply(s engineSync, all []armed) {
	seen := make(map[string]bool, len(all))
	for _, a := range all {
		seen[a.id] = true
		if s.known[a.id] == a.sig() {
			continue
		}
		s.engine.Upsert(scheduler.Task{ID: a.id, Rule: a.rule, Paused: a.paused})
		s.known[a.id] = a.sig()
	}
	for id := range s.known {
		if !seen[id] {
			s.engine.Remove(id)
			delete(s.known, id)
		}
	}
}
