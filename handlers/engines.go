package handlers

import (
	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/scheduler"
)

// Engines says how an App's own scheduler engines run: tasks and scheduled
// reports fire on Clock, and each engine reads what already fired from its
// store.
type Engines struct {
	Clock      scheduler.Clock
	TaskRuns   scheduler.Store
	ReportRuns scheduler.Store
	Missed     scheduler.MissedPolicy
	TaskLog    zerolog.Logger
	ReportLog  zerolog.Logger
}

// NewEngines builds the engines that fire a's tasks and reports and gives
// them to a, in one step: the engines call a's task and report features, and
// a schedules on them, so they are made together rather than pointed at
// each other after construction. It returns the engines for their owner's
// loops (Run) and for loading what the database holds at start.
func NewEngines(a *App, e Engines) (tasks, reports *scheduler.Engine) {
	tasks = scheduler.New(e.Clock, e.TaskRuns, a.fireTask, scheduler.Options{MissedPolicy: e.Missed, Logger: e.TaskLog})
	reports = scheduler.New(e.Clock, e.ReportRuns, a.FireReport, scheduler.Options{Logger: e.ReportLog})
	if a.Tasks != nil {
		a.Tasks.Engine = tasks
	}
	if a.Calendar != nil {
		a.Calendar.Engine = tasks
	}
	if a.Report != nil {
		a.Report.Engine = reports
	}
	return tasks, reports
}
