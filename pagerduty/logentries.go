package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
)

// SourcePoller is the domain.IncidentEvent Source of events read from log
// entries.
const SourcePoller = "poller"

// logEntryEvents maps the log entry types toban acts on to the v3 webhook
// event types. Other entries (notify_log_entry, the most common, and
// link, snooze, responder, urgency... entries) are skipped.
var logEntryEvents = map[string]string{
	"trigger_log_entry":         domain.EventTriggered,
	"acknowledge_log_entry":     domain.EventAcknowledged,
	"unacknowledge_log_entry":   domain.EventUnacknowledged,
	"resolve_log_entry":         domain.EventResolved,
	"reopen_log_entry":          domain.EventReopened,
	"escalate_log_entry":        domain.EventEscalated,
	"assign_log_entry":          domain.EventReassigned,
	"reassign_log_entry":        domain.EventReassigned,
	"annotate_log_entry":        domain.EventAnnotated,
	"priority_change_log_entry": domain.EventPriorityUpdated,
}

// logPageSize is the page size asked for; PagerDuty's maximum.
const logPageSize = 100

// maxLogOffset is PagerDuty's cap on offset+limit for classic pagination;
// past it, LogEntriesSince narrows the time range instead. A variable so
// that tests can lower it.
var maxLogOffset = 10000

// LogEntriesSince reads the account's incident log entries created at or
// after since (whole seconds: since is rounded down) and returns those of
// the types in logEntryEvents as events, oldest first (entries of the same
// second in PagerDuty's order), each at most once.
//
// It asks GET /log_entries with is_overview=false (PagerDuty's default):
// the overview subset is not documented precisely and could drop entry
// types toban maps (unacknowledge, reopen); the cost is reading and
// skipping the notify entries. include[]=channels brings the full channel,
// where a note's text is. Pages are read to the end; when the offset cap
// is reached, the range is narrowed with until and read again from offset
// 0 (PagerDuty lists newest first, so offsets only repeat entries, which
// are dropped by ID).
//
// Each event has ID = the log entry ID (so a later read of the same entry
// is deduplicated, but it differs from the webhook event ID of the same
// change), IncidentID, OccurredAt = created_at, Agent (an ID only for
// users) and Source "poller"; Incident is nil: read it. For an annotation,
// Note is the channel's content or summary, else the text of the
// incident's note by the same person at the same time (one notes read per
// incident), else empty. An assign entry written together with the
// trigger or escalate entry of its incident (same second) is part of that
// event, not a reassignment, and is skipped.
func (c *Client) LogEntriesSince(ctx context.Context, since time.Time) (evs []domain.IncidentEvent, err error) {
	defer func() {
		// go-pagerduty's channel decoder panics on a non-string type.
		if p := recover(); p != nil {
			evs, err = nil, fmt.Errorf("list log entries: unreadable answer from PagerDuty: %v", p)
		}
	}()
	ctx, rl := trackRateLimit(ctx)
	entries, err := c.listLogEntries(ctx, since)
	if err != nil {
		return nil, fmt.Errorf("list log entries since %s: %w", since.UTC().Format(time.RFC3339), rl.mapError(err))
	}
	// Newest first -> oldest first, keeping creation order within a second.
	slices.Reverse(entries)
	slices.SortStableFunc(entries, func(a, b pd.LogEntry) int {
		return parseTime(a.CreatedAt).Compare(parseTime(b.CreatedAt))
	})
	evs = toEvents(entries)
	if err := c.fillNotes(ctx, evs); err != nil {
		return nil, fmt.Errorf("list log entries: %w", rl.mapError(err))
	}
	return evs, nil
}

// listLogEntries reads every entry since since, newest first, each once.
func (c *Client) listLogEntries(ctx context.Context, since time.Time) ([]pd.LogEntry, error) {
	opts := pd.ListLogEntriesOptions{Limit: logPageSize, TimeZone: "UTC", Includes: []string{"channels"}}
	if !since.IsZero() {
		opts.Since = since.UTC().Format(time.RFC3339)
	}
	var (
		out          []pd.LogEntry
		seen         = map[string]bool{}
		oldest, prev time.Time
	)
	for {
		resp, err := c.api.ListLogEntriesWithContext(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, e := range resp.LogEntries {
			if t := parseTime(e.CreatedAt); !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
				oldest = t
			}
			if !seen[e.ID] {
				seen[e.ID] = true
				out = append(out, e)
			}
		}
		if !resp.More || len(resp.LogEntries) == 0 {
			return out, nil
		}
		opts.Offset += uint(len(resp.LogEntries))
		if int(opts.Offset)+logPageSize <= maxLogOffset {
			continue
		}
		// Read what is older than the oldest second seen, that second included.
		until := oldest.Truncate(time.Second).Add(time.Second)
		if oldest.IsZero() || (!prev.IsZero() && !until.Before(prev)) {
			return nil, fmt.Errorf("more than %d log entries in one second: %w", maxLogOffset,
				&domain.UnavailableError{Service: "PagerDuty", Reason: "has more log entries than can be paged through"})
		}
		opts.Until, opts.Offset, prev = until.Format(time.RFC3339), 0, until
	}
}

// toEvents maps entries (oldest first) to events, skipping the types not
// in logEntryEvents, unreadable entries and the assign entries that belong
// to a trigger or escalation.
func toEvents(entries []pd.LogEntry) []domain.IncidentEvent {
	type key struct {
		incident string
		at       time.Time
	}
	assigning := map[key]bool{}
	for _, e := range entries {
		if e.Type == "trigger_log_entry" || e.Type == "escalate_log_entry" {
			assigning[key{e.Incident.ID, parseTime(e.CreatedAt).Truncate(time.Second)}] = true
		}
	}
	var out []domain.IncidentEvent
	for _, e := range entries {
		typ, ok := logEntryEvents[e.Type]
		at := parseTime(e.CreatedAt)
		switch {
		case !ok, e.ID == "", e.Incident.ID == "", at.IsZero():
			continue
		case e.Type == "assign_log_entry" && assigning[key{e.Incident.ID, at.Truncate(time.Second)}]:
			continue
		}
		ev := domain.IncidentEvent{
			ID: e.ID, Type: typ, IncidentID: e.Incident.ID, OccurredAt: at.UTC(),
			Agent: toActor(pd.APIObject(e.Agent)), Source: SourcePoller,
		}
		if typ == domain.EventAnnotated {
			ev.Note = channelText(e.Channel)
		}
		out = append(out, ev)
	}
	return out
}

// channelText is a note entry's text as the channel carries it: content
// with include[]=channels, else summary.
func channelText(ch pd.Channel) string {
	for _, k := range []string{"content", "summary"} {
		if s, ok := ch.Raw[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// fillNotes sets the Note of annotations whose entry did not carry the
// text, from the incident's notes: the first unused note by the agent
// created in the same second, else by anyone in that second. A failure to
// read notes that retrying may fix is returned; otherwise (the incident
// is gone, say) the note stays empty.
func (c *Client) fillNotes(ctx context.Context, evs []domain.IncidentEvent) error {
	notes := map[string][]pd.IncidentNote{} // by incident, read once
	used := map[string]bool{}               // note IDs already matched
	for i := range evs {
		ev := &evs[i]
		if ev.Type != domain.EventAnnotated || ev.Note != "" || checkID("incident", ev.IncidentID) != nil {
			continue
		}
		list, ok := notes[ev.IncidentID]
		if !ok {
			got, err := c.api.ListIncidentNotesWithContext(ctx, ev.IncidentID)
			if err != nil {
				if m := mapError(err); errors.Is(m, domain.ErrUnavailable) || errors.Is(m, domain.ErrRateLimited) || ctx.Err() != nil {
					return fmt.Errorf("notes of %s: %w", ev.IncidentID, err)
				}
			}
			list = got
			notes[ev.IncidentID] = list
		}
		at := ev.OccurredAt.Truncate(time.Second)
		sameTime := func(n pd.IncidentNote) bool {
			return !used[n.ID] && parseTime(n.CreatedAt).Truncate(time.Second).Equal(at)
		}
		j := slices.IndexFunc(list, func(n pd.IncidentNote) bool {
			return sameTime(n) && ev.Agent.ID != "" && n.User.ID == ev.Agent.ID
		})
		if j < 0 {
			j = slices.IndexFunc(list, sameTime)
		}
		if j >= 0 {
			used[list[j].ID] = true
			ev.Note = list[j].Content
		}
	}
	return nil
}
