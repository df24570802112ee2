package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers"
	hrunbook "github.com/tobanbot/toban/handlers/runbook"
	"github.com/tobanbot/toban/runbook"
)

// openRunbook wires TOBAN_ACTIONS: the services it names must exist in
// PagerDuty and TOBAN_RUNBOOK_AS must be a PagerDuty user, or toban does
// not start (every problem named).
func (m *Main) openRunbook(ctx context.Context, app *handlers.App) error {
	cfg := m.Config
	if cfg.Actions == nil {
		return nil
	}
	if m.pd == nil {
		return fmt.Errorf("TOBAN_ACTIONS: runbook actions need PagerDuty: set PAGERDUTY_TOKEN")
	}
	services, err := m.pd.Services(ctx, "", 0)
	if err != nil {
		return fmt.Errorf("TOBAN_ACTIONS: list PagerDuty services: %w", err)
	}
	known := map[string]bool{}
	for _, s := range services {
		known[s.ID] = true
		known[strings.ToLower(s.Name)] = true
	}
	var problems []string
	for _, a := range cfg.Actions.Actions {
		for _, s := range a.Services {
			if !known[s] && !known[strings.ToLower(s)] {
				problems = append(problems, fmt.Sprintf("TOBAN_ACTIONS: line %d: action %q: PagerDuty has no service %q", a.Line, a.Name, s))
			}
		}
	}
	var self domain.Person
	if cfg.RunbookAs != "" {
		if self, err = m.pd.UserByEmail(ctx, cfg.RunbookAs); err != nil {
			problems = append(problems, fmt.Sprintf("TOBAN_RUNBOOK_AS: %v", err))
		}
	}
	if len(problems) > 0 {
		return &ConfigError{Problems: problems}
	}
	feature := &hrunbook.Feature{
		Actions: cfg.Actions, Slack: m.web, Threads: handlers.RunbookThreads(app.Incidents), Runs: m.db, Incidents: m.pd, Activities: m.db,
		Location: cfg.Location, Log: m.Log.With().Str("component", "runbook").Logger(),
	}
	feature.Responder = &runbook.Responder{
		Actions: cfg.Actions, Runner: &runbook.Executor{PagerDuty: m.pd, Now: m.Clock.Now},
		Runs: m.db, Incidents: m.pd, Teller: feature, Now: m.Clock.Now, Self: self,
	}
	app.Runbook = feature
	app.Incidents.Runbook = feature
	m.Log.Info().Int("actions", len(cfg.Actions.Actions)).Bool("acts_by_itself", self.Email != "").Msg("runbook actions loaded")
	return nil
}
