package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/tobanbot/toban/bot"
	"github.com/tobanbot/toban/handlers"
	"github.com/tobanbot/toban/handlers/oncallgroups"
	"github.com/tobanbot/toban/internal/leader"
	"github.com/tobanbot/toban/storage"
)

// Several replicas may share one PostgreSQL database. Work that claims
// make exactly-once (scheduled tasks and reports, the webhook inbox,
// escalations) runs on every replica; work that would double if two
// replicas did it (the PagerDuty poller, calendar refresh, shift-change
// announcements, card-update retries) runs under a leader lease, on one
// replica at a time. With SQLite there is one process, which simply
// holds every lease.

// holderName names this replica in the leases table: the host and process
// tell an operator which replica it is; the random part keeps two Mains in
// one process (tests) or a restarted process with a reused pid apart.
func holderName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// newElector makes this replica's one Elector, wired to the leader gauges.
func (m *Main) newElector() *leader.Elector {
	e := leader.New(m.db, m.holder, leader.Options{
		TTL: m.LeaseTTL,
		Log: m.Log.With().Str("component", "leader").Logger(),
		OnChange: func(name string, held bool, l storage.Lease) {
			if !held {
				m.metrics.LeaderHeld.WithLabelValues(name).Set(0)
				return
			}
			m.metrics.LeaderHeld.WithLabelValues(name).Set(1)
			if l.TakenOver {
				m.metrics.LeaseTakeovers.WithLabelValues(name).Inc()
			}
		},
	})
	m.metrics.CountLeasesLost(func() uint64 { return e.Stats().Lost })
	return e
}

// singleton is a loop that runs only while this replica holds the lease
// named lease; a replica without it waits, ready to take over.
func (m *Main) singleton(name, lease string, run func(context.Context) error) loop {
	return loop{name, func(ctx context.Context) error { return m.elector.Run(ctx, lease, run) }}
}

// announce sends a handler's change to every replica, for App.Changed.
// A failure only delays the singleton until its own next tick, so it is
// logged, not returned.
func (m *Main) announce(topic string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.db.NotifyChanged(ctx, topic); err != nil {
		m.Log.Warn().Err(err).Str("topic", topic).Msg("change not announced to other replicas")
	}
}

// forwardWakes wakes this replica's on-call runner, calendar refresh and
// on-call user group sync when any replica announced a change they must
// act on; on a replica not holding their leases the wake waits,
// harmlessly, in a buffered channel.
func (m *Main) forwardWakes(ctx context.Context) error {
	oncall, err := m.db.Changes(ctx, handlers.TopicOnCall)
	if err != nil {
		return err
	}
	calendars, err := m.db.Changes(ctx, handlers.TopicCalendars)
	if err != nil {
		return err
	}
	var groups <-chan struct{} // nil (never ready) without the feature
	if g := m.app.OnCallGroups(); g != nil {
		if groups, err = m.db.Changes(ctx, oncallgroups.Topic); err != nil {
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-groups:
			if !ok {
				return nil
			}
			m.app.OnCallGroups().Wake()
		case _, ok := <-oncall:
			if !ok {
				return nil
			}
			m.app.WakeOnCallOps()
		case _, ok := <-calendars:
			if !ok {
				return nil
			}
			m.app.WakeCalendars()
		}
	}
}

// readiness is the JSON body of /readyz.
type readiness struct {
	Ready    bool     `json:"ready"`
	Problems []string `json:"problems,omitempty"`
	Database string   `json:"database"`
	Socket   struct {
		State    string    `json:"state"`
		Since    time.Time `json:"since"`
		Refusals int       `json:"refusals,omitempty"`
		// RetryInSeconds is the pause after the latest refusal.
		RetryInSeconds float64 `json:"retry_in_seconds,omitempty"`
	} `json:"socket"`
	Holder string `json:"holder"`
	// Leases are the singletons this replica runs now.
	Leases []string `json:"leases"`
}

// readyz answers 200 while the database accepts writes and Socket Mode is
// connected or refused: a replica Slack refused (too_many_websockets, the
// app's connections all taken by other replicas) still serves webhooks,
// timers and leases, so taking it out of service would only lose those;
// the body says it was refused. 503 while dialling or without a database.
func (m *Main) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var body readiness
	body.Database = "ok"
	if err := m.db.CheckWritable(ctx); err != nil {
		body.Database = err.Error()
		body.Problems = append(body.Problems, "database: "+err.Error())
	}
	st := m.bot.SocketState()
	body.Socket.State, body.Socket.Since = st.State, st.Since.UTC()
	body.Socket.Refusals, body.Socket.RetryInSeconds = st.Refusals, st.RetryIn.Seconds()
	if !m.bot.Connected() && st.State != bot.SocketRefused {
		body.Problems = append(body.Problems, "slack socket mode: not connected")
	}
	body.Holder, body.Leases = m.elector.Holder(), m.elector.Held()
	body.Ready = len(body.Problems) == 0
	w.Header().Set("Content-Type", "application/json")
	if !body.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(body)
}
