package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/report"
	"golang.org/x/time/rate"
)

// Reports read many pages: these knobs keep them within PagerDuty's limits.
// Variables so that tests can make them small or fast.
var (
	// maxIncidentOffset is PagerDuty's cap on offset+limit when listing
	// incidents; past it the listing narrows the time range instead.
	maxIncidentOffset = 10000
	// maxIncidentWindow is the longest since–until range one listing asks
	// for (PagerDuty refuses ranges over six months).
	maxIncidentWindow = 180 * 24 * time.Hour
	// reportRate bounds a report's requests per second, with a burst: 10/s
	// is 600 of the 960 requests a minute an API key may make, leaving the
	// rest to the bot's clicks and polling while a big report runs.
	reportRate  rate.Limit = 10
	reportBurst            = 10
	// reportRetries is how many times a page that failed with 429, after
	// the transport's own retries, is asked again after ratelimit-reset.
	reportRetries = 5
	// reportWorkers read per-incident logs in parallel (within reportRate).
	reportWorkers = 4
)

// ReportIncidents reads the incidents created in [since, until) on the
// given services (all when serviceIDs is empty) with what a report needs:
// first acknowledgement and escalation count from the log entries, and the
// resolve time from the incident (resolved_at, else last_status_change_at
// of a resolved incident, else its latest resolve log entry).
//
// Incidents are listed with since/until sorted by creation, 100 a page;
// PagerDuty caps offset+limit at 10,000, so on reaching it the range is
// narrowed to start at the last creation time seen and read again from
// offset 0 (repeats are dropped by ID), and ranges over 180 days are read
// in pieces. Up to 50 service IDs go in the query; more are filtered here,
// to keep the URL short.
//
// Log entries are read in bulk — GET /log_entries since the period start,
// every account entry to now, narrowed the same way at the offset cap —
// unless that would take more requests than reading each incident's log
// (GET /incidents/{id}/log_entries): the first bulk page asks for the total
// to decide. A recent period of a busy account reads in bulk; a small
// service or an old period reads per incident. Every request goes through
// a limiter (reportRate); a page still rate-limited after the transport's
// retries waits ratelimit-reset and is asked again (reportRetries times).
func (c *Client) ReportIncidents(ctx context.Context, since, until time.Time, serviceIDs []string) (out []report.Incident, err error) {
	defer func() {
		// go-pagerduty's channel decoder panics on a non-string type.
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("report incidents: unreadable answer from PagerDuty: %v", p)
		}
	}()
	for _, id := range serviceIDs {
		if err := checkID("service", id); err != nil {
			return nil, fmt.Errorf("report incidents: %w", err)
		}
	}
	r := &reportReader{c: c, lim: rate.NewLimiter(reportRate, reportBurst)}
	incidents, err := r.incidents(ctx, since.UTC(), until.UTC(), serviceIDs)
	if err != nil {
		return nil, fmt.Errorf("report incidents %s to %s: %w", since.Format(time.RFC3339), until.Format(time.RFC3339), err)
	}
	if len(incidents) == 0 {
		return nil, nil
	}
	wanted := make(map[string]*history, len(incidents))
	for _, in := range incidents {
		wanted[in.ID] = &history{}
	}
	if err := r.histories(ctx, since.UTC(), wanted); err != nil {
		return nil, fmt.Errorf("report log entries since %s: %w", since.Format(time.RFC3339), err)
	}
	out = make([]report.Incident, 0, len(incidents))
	for _, in := range incidents {
		h := wanted[in.ID]
		ri := report.Incident{
			ID: in.ID, Number: int(in.IncidentNumber), Title: firstNonEmpty(in.Title, in.Summary), URL: in.HTMLURL,
			ServiceID: in.Service.ID, ServiceName: firstNonEmpty(in.Service.Summary, in.Service.ID),
			Created: parseTime(in.CreatedAt), Acknowledged: h.firstAck, Escalations: h.escalations,
		}
		if ri.Acknowledged.IsZero() {
			// An entry missed (an unreadable one): the incident's current
			// acknowledgements are a lower bound on knowledge, not nothing.
			for _, a := range in.Acknowledgements {
				if t := parseTime(a.At); !t.IsZero() && (ri.Acknowledged.IsZero() || t.Before(ri.Acknowledged)) {
					ri.Acknowledged = t
				}
			}
		}
		if in.Status == string(domain.StatusResolved) {
			ri.Resolved = parseTime(firstNonEmpty(in.ResolvedAt, in.LastStatusChangeAt))
			if ri.Resolved.IsZero() {
				ri.Resolved = h.resolved
			}
		}
		out = append(out, ri)
	}
	return out, nil
}

// history is what an incident's log says about it.
type history struct {
	firstAck    time.Time
	escalations int
	resolved    time.Time
	seen        map[string]bool // entry IDs, as narrowing repeats entries
}

func (h *history) add(e pd.LogEntry) {
	if h.seen == nil {
		h.seen = map[string]bool{}
	}
	if h.seen[e.ID] {
		return
	}
	h.seen[e.ID] = true
	at := parseTime(e.CreatedAt)
	switch e.Type {
	case "acknowledge_log_entry":
		if !at.IsZero() && (h.firstAck.IsZero() || at.Before(h.firstAck)) {
			h.firstAck = at
		}
	case "escalate_log_entry":
		h.escalations++
	case "resolve_log_entry":
		if at.After(h.resolved) {
			h.resolved = at
		}
	}
}

// reportReader is one report's reading: its limiter and its waits.
type reportReader struct {
	c   *Client
	lim *rate.Limiter
}

// call runs one request within the rate limit, asking again after
// ratelimit-reset while PagerDuty still answers 429.
func (r *reportReader) call(ctx context.Context, f func(ctx context.Context) error) error {
	for attempt := 1; ; attempt++ {
		if err := r.lim.Wait(ctx); err != nil {
			return err
		}
		tctx, rl := trackRateLimit(ctx)
		err := rl.mapError(f(tctx))
		var limited *domain.RateLimitError
		if err == nil || !errors.As(err, &limited) || attempt > reportRetries {
			return err
		}
		if serr := r.c.sleep(ctx, limited.RetryAfter); serr != nil {
			return err
		}
	}
}

// incidents lists the incidents created in [since, until), oldest first.
func (r *reportReader) incidents(ctx context.Context, since, until time.Time, serviceIDs []string) ([]pd.Incident, error) {
	want := map[string]bool{}
	for _, id := range serviceIDs {
		want[id] = true
	}
	var out []pd.Incident
	seen := map[string]bool{}
	for start := since; start.Before(until); start = start.Add(maxIncidentWindow) {
		end := start.Add(maxIncidentWindow)
		if end.After(until) {
			end = until
		}
		opts := pd.ListIncidentsOptions{Limit: 100, SortBy: "created_at:asc", TimeZone: "UTC",
			Since: start.Format(time.RFC3339), Until: end.Format(time.RFC3339)}
		if len(serviceIDs) <= 50 {
			opts.ServiceIDs = serviceIDs
		}
		var newest time.Time
		for {
			var resp *pd.ListIncidentsResponse
			err := r.call(ctx, func(ctx context.Context) (err error) {
				resp, err = r.c.api.ListIncidentsWithContext(ctx, opts)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("list incidents: %w", err)
			}
			for _, in := range resp.Incidents {
				created := parseTime(in.CreatedAt)
				if created.After(newest) {
					newest = created
				}
				if seen[in.ID] || (len(want) > 0 && !want[in.Service.ID]) || created.Before(since) || !created.Before(until) {
					continue
				}
				seen[in.ID] = true
				out = append(out, in)
			}
			if !resp.More || len(resp.Incidents) == 0 {
				break
			}
			opts.Offset += uint(len(resp.Incidents))
			if int(opts.Offset)+100 <= maxIncidentOffset {
				continue
			}
			// Start again at the newest second seen, that second included.
			from := newest.Truncate(time.Second)
			if newest.IsZero() || opts.Since == from.Format(time.RFC3339) {
				return nil, fmt.Errorf("more than %d incidents in one second: %w", maxIncidentOffset,
					&domain.UnavailableError{Service: "PagerDuty", Reason: "has more incidents than can be paged through"})
			}
			opts.Since, opts.Offset = from.Format(time.RFC3339), 0
		}
	}
	slices.SortStableFunc(out, func(a, b pd.Incident) int { return parseTime(a.CreatedAt).Compare(parseTime(b.CreatedAt)) })
	return out, nil
}

// logPage is one page of log entries, newest first.
type logPage struct {
	entries []pd.LogEntry
	more    bool
	total   uint
}

// logLister reads one page of log entries at offset, created before until
// when until is set.
type logLister func(ctx context.Context, offset uint, until string) (logPage, error)

// histories fills in the histories of the wanted incidents, in bulk or per
// incident, whichever takes fewer requests.
func (r *reportReader) histories(ctx context.Context, since time.Time, wanted map[string]*history) error {
	bulk := func(ctx context.Context, offset uint, until string) (logPage, error) {
		opts := pd.ListLogEntriesOptions{Limit: logPageSize, Offset: offset, TimeZone: "UTC",
			Since: since.Format(time.RFC3339), Until: until, Total: offset == 0 && until == ""}
		resp, err := r.c.api.ListLogEntriesWithContext(ctx, opts)
		if err != nil {
			return logPage{}, err
		}
		return logPage{entries: resp.LogEntries, more: resp.More, total: resp.Total}, nil
	}
	first, err := r.page(ctx, bulk, 0, "")
	if err != nil {
		return fmt.Errorf("list log entries: %w", err)
	}
	bulkPages := (int(first.total) + logPageSize - 1) / logPageSize
	if first.more && first.total > 0 && bulkPages-1 > len(wanted) {
		return r.perIncident(ctx, wanted)
	}
	return r.walkLog(ctx, bulk, &first, func(e pd.LogEntry) {
		if h := wanted[e.Incident.ID]; h != nil {
			h.add(e)
		}
	})
}

func (r *reportReader) page(ctx context.Context, list logLister, offset uint, until string) (logPage, error) {
	var p logPage
	err := r.call(ctx, func(ctx context.Context) (err error) {
		p, err = list(ctx, offset, until)
		return err
	})
	return p, err
}

// walkLog visits every entry list gives, from first (read already, or
// nil) on. PagerDuty caps offset+limit at 10,000: there, it reads what is
// older than the oldest second seen (that second included) from offset 0
// again; the visitor drops repeats by entry ID.
func (r *reportReader) walkLog(ctx context.Context, list logLister, first *logPage, visit func(pd.LogEntry)) error {
	var (
		offset      uint
		until, prev string
		oldest      time.Time
	)
	page := first
	for {
		if page == nil {
			p, err := r.page(ctx, list, offset, until)
			if err != nil {
				return fmt.Errorf("list log entries: %w", err)
			}
			page = &p
		}
		for _, e := range page.entries {
			if t := parseTime(e.CreatedAt); !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
				oldest = t
			}
			visit(e)
		}
		if !page.more || len(page.entries) == 0 {
			return nil
		}
		offset += uint(len(page.entries))
		page = nil
		if int(offset)+logPageSize <= maxLogOffset {
			continue
		}
		until = oldest.Truncate(time.Second).Add(time.Second).Format(time.RFC3339)
		if oldest.IsZero() || until == prev {
			return fmt.Errorf("more than %d log entries in one second: %w", maxLogOffset,
				&domain.UnavailableError{Service: "PagerDuty", Reason: "has more log entries than can be paged through"})
		}
		offset, prev = 0, until
	}
}

// perIncident reads each wanted incident's own log, a few at a time.
func (r *reportReader) perIncident(ctx context.Context, wanted map[string]*history) error {
	ids := make([]string, 0, len(wanted))
	for id := range wanted {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan string)
	)
	for range min(reportWorkers, len(ids)) {
		wg.Go(func() {
			for id := range next {
				if err := r.incidentLog(ctx, id, wanted[id]); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, id := range ids {
		select {
		case next <- id:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// incidentLog reads one incident's log entries into h. Each incident is
// read by one worker, so h needs no lock.
func (r *reportReader) incidentLog(ctx context.Context, id string, h *history) (err error) {
	defer func() {
		// go-pagerduty's channel decoder panics on a non-string type.
		if p := recover(); p != nil {
			err = fmt.Errorf("log entries of %s: unreadable answer from PagerDuty: %v", id, p)
		}
	}()
	if checkID("incident", id) != nil {
		return nil // PagerDuty never gave such an ID
	}
	list := func(ctx context.Context, offset uint, until string) (logPage, error) {
		resp, err := r.c.api.ListIncidentLogEntriesWithContext(ctx, id,
			pd.ListIncidentLogEntriesOptions{Limit: logPageSize, Offset: offset, Until: until, TimeZone: "UTC"})
		if err != nil {
			return logPage{}, err
		}
		return logPage{entries: resp.LogEntries, more: resp.More}, nil
	}
	if err := r.walkLog(ctx, list, nil, h.add); err != nil {
		return fmt.Errorf("log entries of %s: %w", id, err)
	}
	return nil
}
