package webhook_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/webhook"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// show formats an event with its incident snapshot for comparison.
func show(ev domain.IncidentEvent) string {
	inc, su, r := ev.Incident, ev.StatusUpdate, ev.Responder
	ev.Incident, ev.StatusUpdate, ev.Responder = nil, nil, nil
	s := fmtV(ev)
	if inc != nil {
		s += "\n  incident " + fmtV(*inc)
	}
	if su != nil {
		s += "\n  status update " + fmtV(*su)
	}
	if r != nil {
		s += "\n  responder " + fmtV(*r)
	}
	return s
}

func fmtV(v any) string { return fmt.Sprintf("%+v", v) }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// incident is the snapshot the testdata incident payloads share.
func incident(status domain.Status, occurred string, by domain.Person, changed bool) *domain.Incident {
	inc := &domain.Incident{
		ID: "Q1INC0001", Number: 42, Title: "API error rate above 5%", ServiceID: "PSVC001", ServiceName: "API",
		Urgency: "high", Status: status, CreatedAt: at("2026-03-10T11:59:58Z"),
		URL:                "https://acme.pagerduty.com/incidents/Q1INC0001",
		EscalationPolicyID: "PEP0001", EscalationPolicyName: "Ops", UpdatedAt: at(occurred),
	}
	if status != domain.StatusResolved {
		inc.Assignees = []domain.Person{{ID: "PUSER01", Name: "Alice"}}
	}
	if changed {
		inc.LastStatusChangeBy, inc.LastStatusChangeAt = by, at(occurred)
	}
	return inc
}

var (
	alice = domain.Person{ID: "PUSER01", Name: "Alice"}
	bob   = domain.Person{ID: "PUSER02", Name: "Bob"}
)

func TestDecodeTestdata(t *testing.T) {
	reassigned := incident(domain.StatusTriggered, "2026-03-10T12:05:00Z", alice, false)
	reassigned.Urgency = "low"
	reassigned.Assignees = []domain.Person{{ID: "PUSER02", Name: "Bob"}, {ID: "PUSER03", Name: "Carol"}}
	tests := []struct {
		file string
		want domain.IncidentEvent
	}{
		{"incident_triggered.json", domain.IncidentEvent{
			ID: "01DEN4HPBQAEBRBJJMCF6M7YUU", Type: domain.EventTriggered, IncidentID: "Q1INC0001",
			OccurredAt: at("2026-03-10T11:59:58.331Z"), Agent: domain.Person{Name: "API"}, Source: "webhook",
			Incident: incident(domain.StatusTriggered, "2026-03-10T11:59:58.331Z", domain.Person{Name: "API"}, true),
		}},
		{"incident_acknowledged.json", domain.IncidentEvent{
			ID: "5ac64822-4adc-4fda-ade0-410becf0de4f", Type: domain.EventAcknowledged, IncidentID: "Q1INC0001",
			OccurredAt: at("2026-03-10T12:03:15.082Z"), Agent: alice, Source: "webhook",
			Incident: incident(domain.StatusAcknowledged, "2026-03-10T12:03:15.082Z", alice, true),
		}},
		{"incident_resolved.json", domain.IncidentEvent{
			ID: "01DEN4J0R6ZYQ3TS3Q5Y3AEXDQ", Type: domain.EventResolved, IncidentID: "Q1INC0001",
			OccurredAt: at("2026-03-10T12:30:00Z"), Agent: bob, Source: "webhook",
			Incident: incident(domain.StatusResolved, "2026-03-10T12:30:00Z", bob, true),
		}},
		{"incident_reassigned.json", domain.IncidentEvent{
			ID: "01DEN4M5Q8W1V7C3T9K2B6N4P0", Type: domain.EventReassigned, IncidentID: "Q1INC0001",
			OccurredAt: at("2026-03-10T12:05:00Z"), Agent: alice, Source: "webhook", Incident: reassigned,
		}},
		{"incident_annotated.json", domain.IncidentEvent{
			ID: "01DEN4KX6H5CM9Q1Y5R0A1V2X3", Type: domain.EventAnnotated, IncidentID: "Q1INC0001",
			OccurredAt: at("2026-03-10T12:10:42.5Z"), Agent: bob, Note: "Rolled back the 12:00 deploy.", Source: "webhook",
		}},
		{"incident_responder_added.json", domain.IncidentEvent{
			ID: "01DEN4N7S2D4F6G8H0J2K4L6M8", Type: domain.EventResponderAdded, IncidentID: "Q1INC0001",
			OccurredAt: at("2026-03-10T12:07:30Z"), Agent: alice, Source: "webhook",
			Responder: &domain.Responder{User: domain.Person{ID: "PUSER03", Name: "Carol"}, State: "pending",
				Message: "Please help with the database", RequestedBy: alice, RequestedAt: at("2026-03-10T12:07:30Z")},
		}},
		{"incident_responder_replied.json", domain.IncidentEvent{
			ID: "01DEN4N9V4F6H8J0K2M4P6R8T0", Type: domain.EventResponderReplied, IncidentID: "Q1INC0001",
			OccurredAt: at("2026-03-10T12:08:10Z"), Agent: domain.Person{ID: "PUSER03", Name: "Carol"}, Source: "webhook",
			Responder: &domain.Responder{User: domain.Person{ID: "PUSER03", Name: "Carol"}, State: "joined",
				Message: "Please help with the database"},
		}},
		{"incident_status_update_published.json", domain.IncidentEvent{
			ID: "01DEN4P9T4E6G8J0K2M4N6Q8R0", Type: domain.EventStatusUpdatePublished, IncidentID: "Q1INC0001",
			OccurredAt: at("2026-03-10T12:20:00Z"), Agent: alice, Source: "webhook",
			StatusUpdate: &domain.StatusUpdate{ID: "PSTATUS1", IncidentID: "Q1INC0001", Message: "A fix is being deployed",
				By: alice, CreatedAt: at("2026-03-10T12:20:00Z")},
		}},
		{"pagey_ping.json", domain.IncidentEvent{ // "Send test event" in PagerDuty's UI
			ID: "01DEN4Q2W6H8K0M2P4R6T8V0X2", Type: "pagey.ping", OccurredAt: at("2026-03-10T11:00:00Z"), Source: "webhook",
		}},
		{"service_updated.json", domain.IncidentEvent{
			ID: "01BRB6ZP4M6T8ZG4X6BP63ZB9O", Type: "service.updated",
			OccurredAt: at("2026-03-02T13:35:11.682Z"), Source: "webhook",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := webhook.Decode(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || show(got[0]) != show(tt.want) {
				t.Errorf("got  %v\nwant %s", showAll(got), show(tt.want))
			}
		})
	}
}

func showAll(evs []domain.IncidentEvent) string {
	var parts []string
	for _, ev := range evs {
		parts = append(parts, show(ev))
	}
	return "[" + strings.Join(parts, ",\n") + "]"
}

func TestDecodeBatch(t *testing.T) {
	body := "[" + string(readTestdata(t, "incident_acknowledged.json")) + ",\n" +
		string(readTestdata(t, "incident_annotated.json")) + "]"
	got, err := webhook.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Type != domain.EventAcknowledged || got[1].Type != domain.EventAnnotated {
		t.Errorf("got %s; want acknowledged, annotated", showAll(got))
	}
}

func TestDecodeErrors(t *testing.T) {
	ack := string(readTestdata(t, "incident_acknowledged.json"))
	tests := []struct {
		name, body, want string
	}{
		{"Empty", "  ", "empty body"},
		{"NotJSON", "event=1", "malformed JSON"},
		{"Truncated", ack[:len(ack)/2], "malformed JSON"},
		{"TrailingGarbage", ack + "x", "malformed JSON"},
		{"NoEvent", `{"messages":[{"event":"incident.trigger"}]}`, `no "event" object`},
		{"NullEvent", `{"event":null}`, `no "event" object`},
		{"EventNotObject", `{"event":"incident.triggered"}`, "malformed JSON"},
		{"EmptyBatch", `[]`, "empty batch"},
		{"BatchWithBadEvent", "[" + ack + `,{"event":{}}]`, "event 2: event has no id"},
		{"NoID", `{"event":{"event_type":"incident.acknowledged"}}`, "no id"},
		{"NoType", `{"event":{"id":"E1"}}`, "no event_type"},
		{"BadTime", `{"event":{"id":"E1","event_type":"incident.acknowledged","occurred_at":"yesterday","data":{"id":"Q1","type":"incident"}}}`, "bad occurred_at"},
		{"ZeroTime", `{"event":{"id":"E1","event_type":"incident.acknowledged","occurred_at":"0001-01-01T00:00:00Z","data":{"id":"Q1","type":"incident"}}}`, "bad occurred_at"},
		{"NoData", `{"event":{"id":"E1","event_type":"incident.acknowledged","occurred_at":"2026-03-10T12:00:00Z"}}`, "bad data"},
		{"DataWrongShape", `{"event":{"id":"E1","event_type":"incident.acknowledged","occurred_at":"2026-03-10T12:00:00Z","data":{"id":"Q1","number":"seven"}}}`, "bad data"},
		{"NoIncident", `{"event":{"id":"E1","event_type":"incident.annotated","occurred_at":"2026-03-10T12:00:00Z","data":{"type":"incident_note","content":"hi"}}}`, "names no incident"},
		{"StatusUpdateWithoutID", `{"event":{"id":"E1","event_type":"incident.status_update_published","occurred_at":"2026-03-10T12:00:00Z","data":{"type":"incident_status_update","message":"hi","incident":{"id":"Q1"}}}}`, "status update without id"},
		{"ResponderWithoutUser", `{"event":{"id":"E1","event_type":"incident.responder.added","occurred_at":"2026-03-10T12:00:00Z","data":{"type":"incident_responder","state":"pending","user":null,"incident":{"id":"Q1"}}}}`, "responder without user"},
		{"ReplyWithoutUser", `{"event":{"id":"E1","event_type":"incident.responder.replied","occurred_at":"2026-03-10T12:00:00Z","data":{"type":"incident_responder","state":"joined","incident":{"id":"Q1"}}}}`, "responder without user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webhook.Decode([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %s, %v; want an error containing %q", showAll(got), err, tt.want)
			}
		})
	}
}

// A text PagerDuty trimmed (a status update, a note, a responder
// request's message) reads as cut short.
func TestDecodeTrimmed(t *testing.T) {
	const head = `{"event":{"id":"E1","occurred_at":"2026-03-10T12:00:00Z","agent":null,`
	tests := []struct {
		name, body string
		text       func(domain.IncidentEvent) string
	}{
		{"StatusUpdate", head + `"event_type":"incident.status_update_published","data":{"type":"incident_status_update","id":"S1","message":"The database is","trimmed":true,"incident":{"id":"Q1"}}}}`,
			func(ev domain.IncidentEvent) string {
				if ev.StatusUpdate == nil {
					return ""
				}
				return ev.StatusUpdate.Message
			}},
		{"Note", head + `"event_type":"incident.annotated","data":{"type":"incident_note","id":"N1","content":"The database is","trimmed":true,"incident":{"id":"Q1"}}}}`,
			func(ev domain.IncidentEvent) string { return ev.Note }},
		{"ResponderRequest", head + `"event_type":"incident.responder.added","data":{"type":"incident_responder","incident":{"id":"Q1"},"user":{"id":"PU2","summary":"Bob"},"state":"pending","message":"The database is","trimmed":true}}}`,
			func(ev domain.IncidentEvent) string {
				if ev.Responder == nil {
					return ""
				}
				return ev.Responder.Message
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webhook.Decode([]byte(tt.body))
			if err != nil || len(got) != 1 || tt.text(got[0]) != "The database is…" {
				t.Errorf("got %s, %v; want the text ending in …", showAll(got), err)
			}
		})
	}
}

func TestDecodeLenientForIgnoredTypes(t *testing.T) {
	// Types toban ignores are not checked beyond id and event_type.
	body := `{"event":{"id":"E1","event_type":"incident.workflow.started","occurred_at":"soon","data":[1]}}`
	got, err := webhook.Decode([]byte(body))
	if err != nil || len(got) != 1 || got[0].ID != "E1" {
		t.Errorf("got %s, %v; want E1 decoded", showAll(got), err)
	}
}

func FuzzDecode(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			f.Add(readTestdata(f, e.Name()))
		}
	}
	f.Add([]byte(`[{"event":{"id":"E","event_type":"incident.annotated","occurred_at":"2026-01-01T00:00:00Z","data":{"incident":{"id":"Q"}}}}]`))
	f.Add([]byte(`{"event":{"id":"E","event_type":"incident.status_update_published","occurred_at":"2026-01-01T00:00:00Z","data":{"id":"S","message":"x","trimmed":true,"incident":{"id":"Q"}}}}`))
	f.Add([]byte(`{"event":{"id":"E","event_type":"incident.responder.replied","occurred_at":"2026-01-01T00:00:00Z","data":{"user":null,"incident":{"id":"Q"}}}}`))
	f.Add([]byte(`{"event":{"id":"E","event_type":"incident.triggered","occurred_at":"2026-01-01T00:00:00Z","data":{"id":"Q","assignees":null,"service":null}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := webhook.Decode(body)
		if err != nil {
			return
		}
		for _, ev := range evs {
			if ev.ID == "" || ev.Type == "" || ev.Source != "webhook" {
				t.Errorf("decoded %s without id, type or source", show(ev))
			}
			if domain.HandledEventTypes[ev.Type] && (ev.IncidentID == "" || ev.OccurredAt.IsZero()) {
				t.Errorf("decoded handled event %s without incident or time", show(ev))
			}
			if ev.Type == domain.EventStatusUpdatePublished && (ev.StatusUpdate == nil || ev.StatusUpdate.ID == "") {
				t.Errorf("decoded status update %s without its id", show(ev))
			}
			if (ev.Type == domain.EventResponderAdded || ev.Type == domain.EventResponderReplied) && (ev.Responder == nil || ev.Responder.User.ID == "") {
				t.Errorf("decoded responder event %s without the responder", show(ev))
			}
			if ev.Incident != nil && ev.Incident.ID != ev.IncidentID {
				t.Errorf("snapshot of %s for event about %s", ev.Incident.ID, ev.IncidentID)
			}
		}
	})
}
