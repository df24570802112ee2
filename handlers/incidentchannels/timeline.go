package incidentchannels

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
)

// The kinds of timeline entries, in the words of domain.Activity's kinds
// where toban records them too.
const (
	KindTriggered      = "triggered"
	KindAcknowledged   = "acknowledged"
	KindUnacknowledged = "unacknowledged"
	KindEscalated      = "escalated"
	KindReassigned     = "reassigned"
	KindNote           = "note"
	KindStatusUpdate   = "status_update"
	KindSnoozed        = "snoozed"
	KindPriority       = "priority"
	KindUrgency        = "urgency"
	KindResponders     = "responders"
	KindRunbook        = "runbook"
	KindChannel        = "channel"
	KindResolved       = "resolved"
)

// logKinds maps PagerDuty's log entry types (without "_log_entry") to
// timeline kinds; other entries (notifications above all) are left out.
var logKinds = map[string]string{
	"trigger": KindTriggered, "acknowledge": KindAcknowledged, "unacknowledge": KindUnacknowledged,
	"escalate": KindEscalated, "assign": KindReassigned, "reassign": KindReassigned, "delegate": KindReassigned,
	"annotate": KindNote, "snooze": KindSnoozed, "priority_change": KindPriority, "urgency_change": KindUrgency,
	"responder_request": KindResponders, "status_update": KindStatusUpdate, "resolve": KindResolved,
}

// Sources of an entry.
const (
	// SourcePagerDuty: PagerDuty's log holds it (toban's record of the
	// same action, if any, only adds who in Slack and the detail).
	SourcePagerDuty = "pagerduty"
	// SourceToban: only toban's records hold it (a runbook result, a
	// status update posted through toban, the channel opened).
	SourceToban = "toban"
)

// Who is who did something: a PagerDuty user, a Slack user, or both, or
// a name alone (an integration).
type Who struct {
	Name        string `json:"name,omitempty"`
	SlackUserID string `json:"slack_user,omitempty"`
	PDUserID    string `json:"pagerduty_user,omitempty"`
}

// Entry is one line of a timeline.
type Entry struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Who    Who       `json:"who"`
	Detail string    `json:"detail,omitempty"`
	Source string    `json:"source"`
}

// Timeline is an incident's story, oldest first.
type Timeline struct {
	Incident domain.Incident
	Entries  []Entry
}

// pairWindow is how far apart toban's record of an action and PagerDuty's
// log entry of it may be and still be the same action.
const pairWindow = 2 * time.Minute

// tobanLag is how long after PagerDuty's whole-second log time toban's
// record of the same action may be and still be taken as its moment: the
// second PagerDuty's log cuts off, plus PagerDuty's answer reaching toban.
// An action done at 10:00:05.9 is logged at 10:00:05 and may be recorded
// at 10:00:06.1, after something done at 10:00:05.6.
const tobanLag = 2 * time.Second

// Timeline reads the story of the incident given by ID or number:
// PagerDuty's log merged with toban's records of what PagerDuty's log does
// not hold, each action once.
func (f *Feature) Timeline(ctx context.Context, incidentRef string) (Timeline, error) {
	if f.PagerDuty == nil {
		return Timeline{}, domain.ErrNotConfigured
	}
	inc, err := f.PagerDuty.Incident(ctx, incidentRef)
	if err != nil {
		return Timeline{}, err
	}
	return f.timelineOf(ctx, inc)
}

// timelineOf is Timeline of an incident already read.
func (f *Feature) timelineOf(ctx context.Context, inc domain.Incident) (Timeline, error) {
	log, err := f.PagerDuty.IncidentLog(ctx, inc.ID)
	if err != nil {
		return Timeline{}, err
	}
	acts, err := f.Records.Activities(ctx, inc.ID)
	if err != nil {
		return Timeline{}, fmt.Errorf("activities of %s: %w", inc.ID, err)
	}
	entries := Merge(log, acts)
	f.fillSlackUsers(ctx, entries)
	return Timeline{Incident: inc, Entries: entries}, nil
}

// fillSlackUsers adds the linked Slack user to entries that name a
// PagerDuty user alone.
func (f *Feature) fillSlackUsers(ctx context.Context, entries []Entry) {
	found := map[string]string{}
	for i := range entries {
		w := &entries[i].Who
		if w.PDUserID == "" || w.SlackUserID != "" {
			continue
		}
		id, seen := found[w.PDUserID]
		if !seen {
			var err error
			id, err = f.Records.SlackUserFor(ctx, w.PDUserID)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				f.Log.Warn().Err(err).Str("pd_user", w.PDUserID).Msg("slack user lookup failed")
			}
			found[w.PDUserID] = id
		}
		w.SlackUserID = id
	}
}

// Merge makes one timeline of PagerDuty's log (oldest first) and toban's
// activities. An activity PagerDuty also logged — same kind, within
// pairWindow, by the same person when both say who — is one entry: at
// PagerDuty's time, or the activity's when it is less than tobanLag
// after (the same moment to the millisecond), with the activity's Slack
// user and detail. The rest of each is kept; entries are ordered by time,
// PagerDuty's first at equal times.
func Merge(log []domain.LogEntry, acts []domain.Activity) []Entry {
	var out []Entry
	starts := map[time.Time]bool{} // seconds of trigger and escalate entries
	for _, e := range log {
		if e.Type == "trigger" || e.Type == "escalate" {
			starts[e.At.Truncate(time.Second)] = true
		}
	}
	names := map[string]string{} // PagerDuty user names, for activities
	for _, e := range log {
		kind, ok := logKinds[e.Type]
		if !ok || e.Type == "assign" && starts[e.At.Truncate(time.Second)] {
			// An assignment written with the trigger or the escalation is
			// part of it, not a reassignment.
			continue
		}
		if e.Agent.ID != "" {
			names[e.Agent.ID] = e.Agent.Name
		}
		out = append(out, Entry{At: e.At, Kind: kind, Who: Who{Name: e.Agent.Name, PDUserID: e.Agent.ID},
			Detail: logDetail(kind, e), Source: SourcePagerDuty})
	}
	paired := make([]bool, len(out))
	for _, a := range acts {
		e := Entry{At: a.At, Kind: a.Kind, Who: Who{Name: names[a.PDUserID], SlackUserID: a.SlackUserID, PDUserID: a.PDUserID},
			Detail: a.Detail, Source: SourceToban}
		if i := pairOf(out[:len(paired)], paired, a); i >= 0 {
			paired[i] = true
			if d := a.At.Sub(out[i].At); d >= 0 && d < tobanLag {
				// PagerDuty's log has whole seconds; toban records an
				// action once PagerDuty has answered, so the same moment
				// to the millisecond, which orders it among the other
				// things done about then.
				out[i].At = a.At
			}
			out[i].Who.SlackUserID = a.SlackUserID
			if out[i].Who.PDUserID == "" {
				out[i].Who.PDUserID = a.PDUserID
			}
			if a.Detail != "" && a.Kind != KindNote {
				out[i].Detail = a.Detail
			}
			continue
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return a.At.Compare(b.At) })
	return out
}

// pairOf is the index of the unpaired PagerDuty entry that records the
// same action as a, or -1.
func pairOf(entries []Entry, paired []bool, a domain.Activity) int {
	best := -1
	for i, e := range entries {
		if paired[i] || e.Source != SourcePagerDuty || e.Kind != a.Kind || e.At.Sub(a.At).Abs() > pairWindow {
			continue
		}
		if a.PDUserID != "" && e.Who.PDUserID != "" && a.PDUserID != e.Who.PDUserID {
			continue
		}
		if a.Kind == KindNote && e.Detail != "" && e.Detail != a.Detail {
			continue
		}
		if best < 0 || e.At.Sub(a.At).Abs() < entries[best].At.Sub(a.At).Abs() {
			best = i
		}
	}
	return best
}

// logDetail is what a PagerDuty entry says beyond its kind and who: a
// note's text, or the phrase of its summary between the verb and "by …"
// ("Escalated to level 2 by Alice." → "level 2"; "Snoozed for 1h0m0s by
// Alice." → "for 1h0m0s").
func logDetail(kind string, e domain.LogEntry) string {
	switch kind {
	case KindNote:
		return e.Note
	case KindEscalated, KindReassigned, KindSnoozed, KindPriority, KindUrgency, KindResponders:
	default:
		return ""
	}
	s := strings.TrimSuffix(strings.TrimSpace(e.Summary), ".")
	if e.Agent.Name != "" {
		s = strings.TrimSuffix(s, " by "+e.Agent.Name)
	}
	_, rest, ok := strings.Cut(s, " ")
	if !ok {
		return ""
	}
	if kind == KindEscalated {
		rest = strings.TrimPrefix(rest, "to ")
	}
	return rest
}
