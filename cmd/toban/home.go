package main

import (
	"context"
	"fmt"

	"github.com/tobanbot/toban/bot"
	"github.com/tobanbot/toban/handlers"
	"github.com/tobanbot/toban/handlers/home"
	"github.com/tobanbot/toban/handlers/incidents"
	"github.com/tobanbot/toban/handlers/oncall"
)

// homeSlack is the Web API as the App Home uses it: the adapter, plus the
// time zone of a person's Slack profile (users.info), which only the Home
// needs.
type homeSlack struct{ *bot.WebAPI }

// UserZone is the IANA time zone of the person's Slack profile.
func (s homeSlack) UserZone(ctx context.Context, userID string) (string, error) {
	u, err := s.Client().GetUserInfoContext(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("users.info %s: %w", userID, err)
	}
	return u.TZ, nil
}

// incidentWatchers tells every feature that shows incidents of a change
// the feed applied: the cards of tasks, and the App Home.
type incidentWatchers []incidents.TaskCards

// ShowIncidents tells each watcher.
func (w incidentWatchers) ShowIncidents(ctx context.Context, incidentIDs []string) {
	for _, x := range w {
		x.ShowIncidents(ctx, incidentIDs)
	}
}

// openHome gives app its App Home, woken by changes to what it shows.
func (m *Main) openHome(app *handlers.App) {
	h := &home.Feature{
		Slack: homeSlack{m.web}, Store: m.db, Identity: app.Incidents, Linker: app.Incidents,
		Changes: m.db, Topics: []string{home.Topic, oncall.Topic}, Announce: m.announce,
		Buttons: handlers.HomeButtons(), Location: m.Config.Location, Now: m.Clock.Now, Clock: m.Clock,
		Log: m.Log.With().Str("component", "home").Logger(),
	}
	if m.pd != nil {
		h.PagerDuty = m.pd
	}
	app.Home = h
	app.Incidents.Tasks = incidentWatchers{app.Tasks, h}
}
