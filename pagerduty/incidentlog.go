package pagerduty

import (
	"context"
	"fmt"
	"slices"
	"strings"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
)

// maxIncidentLogPages bounds one incident's log: 100 pages of 100 entries
// is far more than any incident's story (most entries are notifications).
const maxIncidentLogPages = 100

// IncidentLog reads an incident's whole log (GET
// /incidents/{id}/log_entries with include[]=channels, so that notes
// carry their text), oldest first, entries of the same second in
// PagerDuty's order. The incident may be given by ID or by number. An
// annotation whose entry lacks the text gets it from the incident's notes
// as LogEntriesSince does.
func (c *Client) IncidentLog(ctx context.Context, incidentID string) (out []domain.LogEntry, err error) {
	defer func() {
		// go-pagerduty's channel decoder panics on a non-string type.
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("log of incident %s: unreadable answer from PagerDuty: %v", incidentID, p)
		}
	}()
	if err := checkID("incident", incidentID); err != nil {
		return nil, fmt.Errorf("log of incident %s: %w", incidentID, err)
	}
	ctx, rl := trackRateLimit(ctx)
	var (
		entries []pd.LogEntry
		seen    = map[string]bool{}
	)
	opts := pd.ListIncidentLogEntriesOptions{Limit: logPageSize, TimeZone: "UTC", Includes: []string{"channels"}}
	for page := 0; ; page++ {
		if page == maxIncidentLogPages {
			return nil, fmt.Errorf("log of incident %s: more than %d entries", incidentID, maxIncidentLogPages*logPageSize)
		}
		resp, err := c.api.ListIncidentLogEntriesWithContext(ctx, incidentID, opts)
		if err != nil {
			return nil, fmt.Errorf("log of incident %s: %w", incidentID, rl.mapError(err))
		}
		for _, e := range resp.LogEntries {
			if !seen[e.ID] {
				seen[e.ID] = true
				entries = append(entries, e)
			}
		}
		if !resp.More || len(resp.LogEntries) == 0 {
			break
		}
		opts.Offset += uint(len(resp.LogEntries))
	}
	// Newest first -> oldest first, keeping creation order within a second.
	slices.Reverse(entries)
	slices.SortStableFunc(entries, func(a, b pd.LogEntry) int {
		return parseTime(a.CreatedAt).Compare(parseTime(b.CreatedAt))
	})
	out = make([]domain.LogEntry, 0, len(entries))
	for _, e := range entries {
		at := parseTime(e.CreatedAt)
		if e.ID == "" || at.IsZero() {
			continue
		}
		le := domain.LogEntry{ID: e.ID, Type: strings.TrimSuffix(e.Type, "_log_entry"), At: at.UTC(),
			Agent: toActor(pd.APIObject(e.Agent)), Summary: e.Summary}
		if le.Type == "annotate" {
			le.Note = channelText(e.Channel)
		}
		out = append(out, le)
	}
	if err := c.fillLogNotes(ctx, incidentID, out); err != nil {
		return nil, fmt.Errorf("log of incident %s: %w", incidentID, rl.mapError(err))
	}
	return out, nil
}

// fillLogNotes gives annotations without text the text of the incident's
// note by the same person in the same second (fillNotes' rule).
func (c *Client) fillLogNotes(ctx context.Context, incidentID string, entries []domain.LogEntry) error {
	var evs []domain.IncidentEvent
	var at []int
	for i, e := range entries {
		if e.Type == "annotate" && e.Note == "" {
			evs = append(evs, domain.IncidentEvent{Type: domain.EventAnnotated, IncidentID: incidentID, OccurredAt: e.At, Agent: e.Agent})
			at = append(at, i)
		}
	}
	if len(evs) == 0 {
		return nil
	}
	if err := c.fillNotes(ctx, evs); err != nil {
		return err
	}
	for j, i := range at {
		entries[i].Note = evs[j].Note
	}
	return nil
}
