// Package report computes incident reports — count, escalations, time to
// acknowledge and time to resolve per service and in total, over a period —
// and renders them as a text table, CSV, JSON and a PNG chart. It does no
// I/O of its own: callers give it the incidents (from PagerDuty) and write
// what it renders wherever they like (Slack, stdout).
//
// # Definitions
//
// Time to acknowledge (TTA) is the first acknowledgement minus the creation
// time; time to resolve (TTR) is the resolution minus the creation time.
// An incident enters the figures it has data for, and is always counted:
//
//   - An incident still open when the report is made is counted (Incidents,
//     Open) but has no TTR, so it is left out of MTTR, median and p90 TTR:
//     its resolve time is not known, and counting it as "resolved now" would
//     make the figures depend on when the report was run. The report says
//     how many were open.
//   - An incident resolved without ever being acknowledged (an automatic
//     resolve, or someone resolving straight away) has no TTA: it is left
//     out of MTTA, median and p90 TTA and counted in
//     ResolvedUnacknowledged. Treating its resolve time as its
//     acknowledgement would make noisy self-resolving alerts look like fast
//     responses. It does have a TTR and is in MTTR.
//   - An incident acknowledged but still open has a TTA and is in MTTA.
//   - Escalations counts every escalation (manual or by timeout) of the
//     period's incidents, wherever it happened in their life.
//
// # Method
//
// The mean is the arithmetic mean, exact to the nanosecond (truncated).
// Median and p90 use the nearest-rank method: with the n durations sorted
// ascending as x₁ ≤ … ≤ xₙ, the p-th percentile is x_k with k = ⌈p·n/100⌉
// (k at least 1). The median is the 50th percentile, so for an even n it is
// the lower of the two middle values, not their average; every percentile
// is a duration that really happened. For n = 10: median = x₅, p90 = x₉;
// for n = 7: median = x₄, p90 = x₇.
//
// Compute makes one pass over the incidents, appending each duration to
// its service's list (and the totals'), then sorts each list once.
//
// It owns the statistics and their renderings, does no I/O and imports no
// toban package; pagerduty, handlers/reports and cmd/toban import it.
package report

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Incident is one PagerDuty incident as a report needs it.
type Incident struct {
	ID          string
	Number      int
	Title       string
	URL         string
	ServiceID   string
	ServiceName string
	Created     time.Time
	// Acknowledged is the first acknowledgement; zero if there was none.
	Acknowledged time.Time
	// Resolved is when the incident was resolved; zero while it is open.
	Resolved time.Time
	// Escalations is how many times the incident was escalated.
	Escalations int
}

// Open reports whether the incident was unresolved when read.
func (in Incident) Open() bool { return in.Resolved.IsZero() }

// TTA is the time to first acknowledgement; false when never acknowledged.
// A clock skew that puts the acknowledgement before creation counts as 0.
func (in Incident) TTA() (time.Duration, bool) {
	if in.Acknowledged.IsZero() {
		return 0, false
	}
	return max(in.Acknowledged.Sub(in.Created), 0), true
}

// TTR is the time to resolve; false while open.
func (in Incident) TTR() (time.Duration, bool) {
	if in.Resolved.IsZero() {
		return 0, false
	}
	return max(in.Resolved.Sub(in.Created), 0), true
}

// Service names a service that the report should show even without
// incidents.
type Service struct {
	ID   string
	Name string
}

// Summary describes a set of durations. With N == 0 there is nothing to
// describe and the other fields are zero.
type Summary struct {
	N      int
	Mean   time.Duration
	Median time.Duration
	P90    time.Duration
}

// Stats are the figures of one service, or of all services together.
type Stats struct {
	// ServiceID is empty in the totals.
	ServiceID   string
	ServiceName string
	Incidents   int
	Escalations int
	// Acknowledged is how many incidents have a TTA (TTA.N).
	Acknowledged int
	// Resolved is how many incidents have a TTR (TTR.N).
	Resolved int
	// Open is how many were unresolved: counted, but not in TTR.
	Open int
	// ResolvedUnacknowledged is how many were resolved without an
	// acknowledgement: counted, but not in TTA.
	ResolvedUnacknowledged int
	TTA                    Summary
	TTR                    Summary
}

// Report is the result of Compute.
type Report struct {
	Period Period
	// Generated is when the data was read.
	Generated time.Time
	// Services are sorted by incident count, most first, then by name.
	Services []Stats
	Total    Stats
	// Incidents are the period's incidents by creation time.
	Incidents []Incident
}

// Input is what Compute needs.
type Input struct {
	Period    Period
	Generated time.Time
	Incidents []Incident
	// Services get a row even when they had no incidents (a channel's
	// subscriptions, say); their names win over the incidents'.
	Services []Service
}

// Compute builds the report. Incidents created outside the period (when
// the period is set) are ignored.
func Compute(in Input) Report {
	type acc struct {
		stats    Stats
		tta, ttr []time.Duration
	}
	by := make(map[string]*acc, len(in.Services))
	order := make([]*acc, 0, len(in.Services))
	get := func(id, name string) *acc {
		a := by[id]
		if a == nil {
			a = &acc{stats: Stats{ServiceID: id, ServiceName: name}}
			by[id] = a
			order = append(order, a)
		}
		return a
	}
	for _, s := range in.Services {
		get(s.ID, s.Name)
	}
	total := &acc{stats: Stats{ServiceName: "Total"}}
	total.tta = make([]time.Duration, 0, len(in.Incidents))
	total.ttr = make([]time.Duration, 0, len(in.Incidents))
	incidents := make([]Incident, 0, len(in.Incidents))
	for _, inc := range in.Incidents {
		if !in.Period.Contains(inc.Created) {
			continue
		}
		incidents = append(incidents, inc)
		a := get(inc.ServiceID, cmp.Or(inc.ServiceName, inc.ServiceID))
		for _, x := range []*acc{a, total} {
			x.stats.Incidents++
			x.stats.Escalations += inc.Escalations
			tta, acked := inc.TTA()
			if acked {
				x.tta = append(x.tta, tta)
			}
			if ttr, ok := inc.TTR(); ok {
				x.ttr = append(x.ttr, ttr)
				if !acked {
					x.stats.ResolvedUnacknowledged++
				}
			} else {
				x.stats.Open++
			}
		}
	}
	finish := func(a *acc) Stats {
		s := a.stats
		s.TTA, s.TTR = summarize(a.tta), summarize(a.ttr)
		s.Acknowledged, s.Resolved = s.TTA.N, s.TTR.N
		return s
	}
	r := Report{Period: in.Period, Generated: in.Generated, Total: finish(total), Services: make([]Stats, 0, len(order))}
	for _, a := range order {
		r.Services = append(r.Services, finish(a))
	}
	slices.SortFunc(r.Services, func(a, b Stats) int {
		return cmp.Or(cmp.Compare(b.Incidents, a.Incidents),
			cmp.Compare(strings.ToLower(a.ServiceName), strings.ToLower(b.ServiceName)),
			cmp.Compare(a.ServiceID, b.ServiceID))
	})
	slices.SortStableFunc(incidents, func(a, b Incident) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Number, b.Number))
	})
	r.Incidents = incidents
	return r
}

// summarize sorts ds in place and describes it.
func summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	slices.Sort(ds)
	return Summary{N: len(ds), Mean: Mean(ds), Median: Percentile(ds, 50), P90: Percentile(ds, 90)}
}

// Mean is the arithmetic mean of ds, truncated to the nanosecond, without
// overflowing however many durations of however many months are given; 0
// for none.
func Mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	// Whole seconds and the rest are summed apart: ten thousand month-long
	// durations overflow an int64 of nanoseconds.
	var secs, nanos int64
	for _, d := range ds {
		secs += int64(d / time.Second)
		nanos += int64(d % time.Second)
	}
	n := int64(len(ds))
	return time.Duration(secs/n)*time.Second + (time.Duration(secs%n)*time.Second+time.Duration(nanos))/time.Duration(n)
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the value at rank ⌈p·n/100⌉, counting from 1. It
// computes the rank in integers, so p90 of 10 values is exactly the 9th.
func Percentile(sorted []time.Duration, p int) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := (p*n + 99) / 100
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}
