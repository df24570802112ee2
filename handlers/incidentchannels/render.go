package incidentchannels

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tobanbot/toban/handlers/chat"
)

// kindEmoji starts each line of the timeline in Slack.
var kindEmoji = map[string]string{
	KindTriggered: ":rotating_light:", KindAcknowledged: ":eyes:", KindUnacknowledged: ":leftwards_arrow_with_hook:",
	KindEscalated: ":arrow_double_up:", KindReassigned: ":bust_in_silhouette:", KindNote: ":memo:",
	KindStatusUpdate: ":loudspeaker:", KindSnoozed: ":zzz:", KindPriority: ":triangular_flag_on_post:",
	KindUrgency: ":warning:", KindResponders: ":raising_hand:", KindRunbook: ":gear:",
	KindChannel: ":speech_balloon:", KindResolved: ":white_check_mark:",
}

// maxDetail bounds a detail (a note, a status update) on a timeline line:
// the timeline tells what happened; the thread has the whole text.
const maxDetail = 500

// sentence says what an entry records, with who already written for the
// reader and detail already made safe.
func sentence(kind, who, detail string) string {
	by := ""
	if who != "" {
		by = " by " + who
	}
	with := func(sep string) string {
		if detail == "" {
			return ""
		}
		return sep + detail
	}
	switch kind {
	case KindTriggered:
		return "Triggered" + by
	case KindAcknowledged:
		return "Acknowledged" + by
	case KindUnacknowledged:
		return "Unacknowledged" + by
	case KindEscalated:
		return "Escalated" + with(" to ") + by
	case KindReassigned:
		return "Reassigned" + with(" ") + by
	case KindSnoozed:
		return "Snoozed" + with(" ") + by
	case KindPriority:
		if detail == "" {
			return "Priority changed" + by
		}
		return "Priority set to " + detail + by
	case KindUrgency:
		return "Urgency changed" + with(" ") + by
	case KindResponders:
		return "Responders requested" + by + with(": ")
	case KindNote:
		return "Note" + by + with(": ")
	case KindStatusUpdate:
		return "Status update" + by + with(": ")
	case KindRunbook:
		return "Runbook" + by + with(": ")
	case KindChannel:
		return "Incident channel" + with(" ") + " opened" + by
	case KindResolved:
		return "Resolved" + by
	}
	return kind + by + with(": ")
}

// oneLine folds a multi-line detail into one line, cut to maxDetail.
func oneLine(s string) string {
	return chat.Truncate(strings.Join(strings.Fields(s), " "), maxDetail)
}

// slackWho is who as Slack shows them: a mention when linked.
func slackWho(w Who) string {
	switch {
	case w.SlackUserID != "":
		return "<@" + w.SlackUserID + ">"
	case w.Name != "":
		return chat.Escape(w.Name)
	}
	return ""
}

// plainWho is who in plain words, for a postmortem document.
func plainWho(w Who) string {
	switch {
	case w.Name != "":
		return w.Name
	case w.SlackUserID != "":
		return "Slack user " + w.SlackUserID
	}
	return ""
}

// maxMessageText keeps each timeline message well under Slack's limits.
const maxMessageText = 3500

// SlackMessages is the timeline as posted in the incident channel: a
// header and one line per entry, each time shown in the reader's own
// zone, split into messages that Slack takes whole.
func (tl Timeline) SlackMessages(now time.Time, loc *time.Location) []chat.Message {
	inc := tl.Incident
	header := fmt.Sprintf(":scroll: *Timeline of <%s|#%d> %s* — who did what, when:", inc.URL, inc.Number, chat.Escape(inc.Title))
	if len(tl.Entries) == 0 {
		header += "\n_PagerDuty's log is empty._"
	}
	var msgs []chat.Message
	cur := header
	for _, e := range tl.Entries {
		line := fmt.Sprintf("%s %s %s", chat.SlackTime(now.In(loc), e.At.In(loc)), emoji(e.Kind),
			sentence(e.Kind, slackWho(e.Who), chat.Escape(oneLine(e.Detail))))
		if len(cur)+1+len(line) > maxMessageText {
			msgs = append(msgs, chat.Message{Text: cur})
			cur = ":scroll: _(timeline, continued)_"
		}
		cur += "\n" + line
	}
	return append(msgs, chat.Message{Text: cur})
}

func emoji(kind string) string {
	if e, ok := kindEmoji[kind]; ok {
		return e
	}
	return ":small_blue_diamond:"
}

// WriteMarkdown writes the timeline as Markdown for a postmortem: a title,
// the incident's facts, and one list item per entry with its time in loc.
func (tl Timeline) WriteMarkdown(w io.Writer, loc *time.Location) error {
	inc := tl.Incident
	var b strings.Builder
	fmt.Fprintf(&b, "# Timeline of incident #%d: %s\n\n", inc.Number, inc.Title)
	fmt.Fprintf(&b, "- Service: %s\n- Status: %s\n- PagerDuty: %s\n\n", inc.ServiceName, inc.Status, inc.URL)
	if len(tl.Entries) == 0 {
		b.WriteString("PagerDuty's log is empty.\n")
	}
	for _, e := range tl.Entries {
		fmt.Fprintf(&b, "- %s — %s\n", e.At.In(loc).Format("2006-01-02 15:04:05 MST"), sentence(e.Kind, plainWho(e.Who), oneLine(e.Detail)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonTimeline is the JSON shape WriteJSON writes; its fields are stable.
type jsonTimeline struct {
	Incident jsonIncident `json:"incident"`
	Entries  []jsonEntry  `json:"entries"`
}

type jsonIncident struct {
	ID      string `json:"id"`
	Number  int    `json:"number"`
	Title   string `json:"title"`
	Status  string `json:"status"`
	Service string `json:"service"`
	URL     string `json:"url"`
}

type jsonEntry struct {
	At     string `json:"at"`
	Kind   string `json:"kind"`
	Who    Who    `json:"who"`
	Detail string `json:"detail,omitempty"`
	Text   string `json:"text"`
	Source string `json:"source"`
}

// WriteJSON writes the timeline as one JSON object, for scripts. Its
// fields are stable:
//
//	incident: id, number, title, status, service (name), url
//	entries (oldest first, [] when none), each:
//	  at      RFC 3339 time in UTC
//	  kind    triggered, acknowledged, unacknowledged, escalated,
//	          reassigned, note, status_update, snoozed, priority, urgency,
//	          responders, runbook, channel or resolved
//	  who     {name, slack_user, pagerduty_user}, each left out when unknown
//	  detail  the note's text, "level 2", "to Bob", "P1"… (left out when none)
//	  text    the entry as one English sentence (as the Markdown says it)
//	  source  "pagerduty" (PagerDuty's log holds it) or "toban" (only
//	          toban's records do)
func (tl Timeline) WriteJSON(w io.Writer) error {
	inc := tl.Incident
	out := jsonTimeline{
		Incident: jsonIncident{ID: inc.ID, Number: inc.Number, Title: inc.Title, Status: string(inc.Status), Service: inc.ServiceName, URL: inc.URL},
		Entries:  make([]jsonEntry, 0, len(tl.Entries)),
	}
	for _, e := range tl.Entries {
		out.Entries = append(out.Entries, jsonEntry{At: e.At.UTC().Format(time.RFC3339), Kind: e.Kind, Who: e.Who, Detail: e.Detail,
			Text: sentence(e.Kind, plainWho(e.Who), oneLine(e.Detail)), Source: e.Source})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
