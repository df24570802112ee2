// Package metrics defines toban's Prometheus metrics. Each Registry is
// independent so that tests can run several bots in one process.
//
// It owns the metric definitions and imports no toban package; the adapters
// (bot, pagerduty, webhook) and cmd/toban import it.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every metric toban exports.
type Registry struct {
	reg *prometheus.Registry

	// EnvelopesReceived counts Socket Mode envelopes by type.
	EnvelopesReceived *prometheus.CounterVec
	// EnvelopesAcked counts acks sent, by envelope type.
	EnvelopesAcked *prometheus.CounterVec
	// AckLatency is the time from receiving an envelope to acking it.
	AckLatency *prometheus.HistogramVec
	// EventsDeduplicated counts events_api redeliveries that were dropped.
	EventsDeduplicated prometheus.Counter
	// EnvelopesRedelivered counts slash and interactive envelopes that came
	// again with the same envelope_id and were answered without rerunning
	// their handler.
	EnvelopesRedelivered prometheus.Counter
	// HandlerErrors counts handler failures by envelope type.
	HandlerErrors *prometheus.CounterVec
	// HandlerPanics counts recovered handler panics by envelope type.
	HandlerPanics *prometheus.CounterVec
	// Reconnects counts Socket Mode connections after the first.
	Reconnects prometheus.Counter
	// Connected is 1 while the Socket Mode websocket is up.
	Connected prometheus.Gauge
	// WorkQueued is the number of follow-up jobs waiting for a worker.
	WorkQueued prometheus.Gauge
	// SlackCalls counts Slack Web API calls by method and result.
	SlackCalls *prometheus.CounterVec
	// PagerDutyCalls counts PagerDuty API calls by result.
	PagerDutyCalls *prometheus.CounterVec
	// LeaderHeld is 1 for each singleton lease this replica holds, by
	// lease name, so a dashboard shows which replica runs what.
	LeaderHeld *prometheus.GaugeVec
	// LeaseTakeovers counts tenures begun by taking a lease whose holder
	// let it expire unreleased (it died, stalled or lost the database).
	LeaseTakeovers *prometheus.CounterVec
	// ClaimsTaken counts the work this replica claimed, by kind ("inbox"
	// for webhook and poller events, "task" for task occurrences).
	ClaimsTaken *prometheus.CounterVec
	// ClaimsRetaken counts claims this replica took over from one that
	// never finished them (it died or stalled), by kind.
	ClaimsRetaken *prometheus.CounterVec
}

// New creates the metrics and registers them, with Go runtime and process
// collectors, on a fresh registry.
func New() *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		EnvelopesReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toban_envelopes_received_total", Help: "Socket Mode envelopes received, by type.",
		}, []string{"type"}),
		EnvelopesAcked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toban_envelopes_acked_total", Help: "Socket Mode envelopes acknowledged, by type.",
		}, []string{"type"}),
		AckLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "toban_ack_latency_seconds",
			Help:    "Time from receiving a Socket Mode envelope to acknowledging it.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3},
		}, []string{"type"}),
		EventsDeduplicated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "toban_events_deduplicated_total", Help: "Redelivered events_api envelopes dropped as duplicates.",
		}),
		EnvelopesRedelivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "toban_envelopes_redelivered_total", Help: "Redelivered slash and interactive envelopes answered without rerunning their handler.",
		}),
		HandlerErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toban_handler_errors_total", Help: "Handler errors, by envelope type.",
		}, []string{"type"}),
		HandlerPanics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toban_handler_panics_total", Help: "Recovered handler panics, by envelope type.",
		}, []string{"type"}),
		Reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "toban_socket_reconnects_total", Help: "Socket Mode reconnections.",
		}),
		Connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "toban_socket_connected", Help: "1 while the Socket Mode websocket is connected.",
		}),
		WorkQueued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "toban_work_queued", Help: "Follow-up jobs waiting for a worker.",
		}),
		SlackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toban_slack_api_calls_total", Help: "Slack Web API calls, by method and result.",
		}, []string{"method", "result"}),
		PagerDutyCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toban_pagerduty_api_calls_total", Help: "PagerDuty API calls, by result.",
		}, []string{"result"}),
		LeaderHeld: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "toban_leader", Help: "1 while this replica holds the singleton lease, by lease name.",
		}, []string{"lease"}),
		LeaseTakeovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toban_lease_takeovers_total", Help: "Leases this replica took over from a holder that let them expire, by lease name.",
		}, []string{"lease"}),
		ClaimsTaken: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toban_claims_taken_total", Help: "Work this replica claimed, by kind (inbox events, task occurrences).",
		}, []string{"kind"}),
		ClaimsRetaken: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toban_claims_retaken_total", Help: "Claims this replica took over from one that never finished them, by kind.",
		}, []string{"kind"}),
	}
	r.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.EnvelopesReceived, r.EnvelopesAcked, r.AckLatency, r.EventsDeduplicated, r.EnvelopesRedelivered,
		r.HandlerErrors, r.HandlerPanics, r.Reconnects, r.Connected, r.WorkQueued,
		r.SlackCalls, r.PagerDutyCalls, r.LeaderHeld, r.LeaseTakeovers, r.ClaimsTaken, r.ClaimsRetaken,
	)
	return r
}

// CountLeasesLost exports lost() as toban_leases_lost_total: the tenures
// that ended because a renewal was refused or late, which the elector
// counts itself. Call it once per Registry.
func (r *Registry) CountLeasesLost(lost func() uint64) {
	r.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "toban_leases_lost_total", Help: "Singleton leases this replica lost (renewal refused or late) while running.",
	}, func() float64 { return float64(lost()) }))
}

// GaugeInboxDepth exports depth() as toban_inbox_depth, read at each
// scrape: the incident events stored and not yet processed, on every
// replica together (the inbox is shared). A failed read reports -1. Call
// it once per Registry.
func (r *Registry) GaugeInboxDepth(depth func() (int64, error)) {
	r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "toban_inbox_depth", Help: "Incident events waiting in the shared inbox (webhooks and poller), -1 when unreadable.",
	}, func() float64 {
		n, err := depth()
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}

// Handler serves the metrics in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{})
}
