package main

import (
	"bytes"
	"database/sql"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tobanbot/toban/webhook"
)

// Oversized and malformed input at every entry point — slash text, modal
// values, webhook bodies, import files — gets a clear answer and changes
// nothing: no PagerDuty write, no Slack post or update, no database row.

// footprint is everything a bad input must leave as it was.
type footprint struct {
	rows             map[string]int // table → rows
	pdWrites         int
	posts, updates   int
	pdRequestsToRead int
}

// tableRows counts the rows of every table of toban's database, except
// the heartbeat that /readyz rewrites, the migrations' bookkeeping and
// the record of answered envelopes (every envelope gets one, whatever it
// carried, so that a redelivery is not answered twice).
func tableRows(t *testing.T, path string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT IN ('heartbeat', 'goose_db_version', 'sqlite_sequence', 'answered_envelopes')`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	counts := map[string]int{}
	for _, name := range tables {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM "` + name + `"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[name] = n
	}
	return counts
}

func footprintOf(t *testing.T, w *world) footprint {
	t.Helper()
	return footprint{
		rows:             tableRows(t, w.env["TOBAN_DB"]),
		pdWrites:         len(w.pd.Writes()),
		posts:            len(w.slack.Calls("chat.postMessage")),
		updates:          len(w.slack.Calls("chat.update")),
		pdRequestsToRead: len(w.pd.Requests()) - len(w.pd.Writes()),
	}
}

// expectUnchanged fails the test for every difference from before.
// Reading PagerDuty is allowed only when reads is true.
func expectUnchanged(t *testing.T, w *world, before footprint, reads bool) {
	t.Helper()
	after := footprintOf(t, w)
	for table, n := range after.rows {
		if before.rows[table] != n {
			t.Errorf("table %s: %d rows → %d", table, before.rows[table], n)
		}
	}
	if after.pdWrites != before.pdWrites {
		t.Errorf("PagerDuty writes %d → %d", before.pdWrites, after.pdWrites)
	}
	if !reads && after.pdRequestsToRead != before.pdRequestsToRead {
		t.Errorf("PagerDuty reads %d → %d; the input should be refused before any call", before.pdRequestsToRead, after.pdRequestsToRead)
	}
	if after.posts != before.posts || after.updates != before.updates {
		t.Errorf("Slack posts %d → %d, updates %d → %d", before.posts, after.posts, before.updates, after.updates)
	}
}

func TestMalformedInputsChangeNothing(t *testing.T) {
	t.Parallel()
	w := incidentWorld(t)
	w.env["PAGERDUTY_WEBHOOK_SECRET"] = hookSecret
	r := w.start(t)
	alice := w.slack.User("U1").In("C1")
	card := triggerIncident(t, w, alice, "Search latency above SLO")
	alice.Slash(t, "link")
	alice.ExpectEphemeral(t, "is linked to PagerDuty user")

	t.Run("SlashText", func(t *testing.T) {
		tests := []struct{ name, text, want string }{
			{"TenThousandChars", strings.Repeat("a", 10000), "That command is too long"},
			{"TenThousandCharsAfterASubcommand", "oncall " + strings.Repeat("日", 10000), "That command is too long"},
			// Slack's JSON carries no invalid UTF-8: such bytes arrive as
			// U+FFFD, an unknown subcommand (ParseCommand's own test covers
			// raw invalid bytes).
			{"InvalidUTF8", "\xff\xfe\xfd", "I don't know"},
			{"NULBytes", "\x00\x00", "I don't know"},
			{"UnclosedQuote", `oncall "Web`, "A quote is not closed"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := footprintOf(t, w)
				a := alice.Slash(t, tt.text)
				if !strings.Contains(string(a.Payload), tt.want) || !strings.Contains(string(a.Payload), "Try one of these") {
					t.Errorf("answer = %.300s, want %q and the usage", a.Payload, tt.want)
				}
				if len(a.Payload) >= 20<<10 {
					t.Errorf("answer is %d bytes; Slack drops acks of 20 KiB", len(a.Payload))
				}
				expectUnchanged(t, w, before, false)
			})
		}
	})

	t.Run("ModalValues", func(t *testing.T) {
		tests := []struct {
			name, block string
			open        func(t *testing.T) string // returns the view ID
			values      map[string]map[string]any
		}{
			{"NoteOver3000", "note", func(t *testing.T) string {
				card.ClickAs(t, alice, "Add note")
				id, _ := view(t, w.slack, "U1", callback("incident.note"))
				return id
			}, map[string]map[string]any{"note": {"text": strings.Repeat("é", 3001)}}},
			{"IncidentTitleOver1024", "title", func(t *testing.T) string {
				alice.Slash(t, "trigger")
				id, _ := view(t, w.slack, "U1", callback("incident.trigger"))
				return id
			}, map[string]map[string]any{
				"service": {"service": selected("external_select", "PSVC1")},
				"title":   {"title": strings.Repeat("t", 1025)},
				"urgency": {"urgency": selected("radio_buttons", "high")},
			}},
			{"TaskTitleOver200", "title", func(t *testing.T) string {
				alice.Slash(t, "remind")
				id, _ := view(t, w.slack, "U1", callback("task.save"))
				return id
			}, taskForm(strings.Repeat("x", 201), nil)},
			{"TaskDescriptionOver3000", "description", func(t *testing.T) string {
				alice.Slash(t, "remind")
				id, _ := view(t, w.slack, "U1", callback("task.save"))
				return id
			}, taskForm("Check backups", map[string]map[string]any{"description": {"description": strings.Repeat("d", 3001)}})},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := tt.open(t)
				before := footprintOf(t, w)
				a := w.slack.Submit(t, "U1", id, tt.values)
				if !strings.Contains(string(a.Payload), `"response_action":"errors"`) || !strings.Contains(string(a.Payload), `"`+tt.block+`"`) {
					t.Errorf("ack = %.300s, want a field error on %s", a.Payload, tt.block)
				}
				expectUnchanged(t, w, before, true)
			})
		}
	})

	t.Run("WebhookBodies", func(t *testing.T) {
		tests := []struct {
			name string
			body []byte
			want int
		}{
			{"OneMiBPlusOne", bytes.Repeat([]byte(" "), webhook.MaxBodyBytes+1), http.StatusRequestEntityTooLarge},
			{"EmptyObject", []byte(`{}`), http.StatusBadRequest},
			{"EmptyArray", []byte(`[]`), http.StatusBadRequest},
			{"Null", []byte(`null`), http.StatusBadRequest},
			{"Empty", nil, http.StatusBadRequest},
			{"NotJSON", []byte(`<event id="1"/>`), http.StatusBadRequest},
			{"IDIsANumber", []byte(`{"event":{"id":1,"event_type":"incident.triggered","occurred_at":"2026-01-01T00:00:00Z","data":{"id":"Q1","type":"incident"}}}`), http.StatusBadRequest},
			{"TypeIsAList", []byte(`{"event":{"id":"E1","event_type":["incident.triggered"]}}`), http.StatusBadRequest},
			{"DataIsAString", []byte(`{"event":{"id":"E1","event_type":"incident.triggered","occurred_at":"2026-01-01T00:00:00Z","data":"Q1"}}`), http.StatusBadRequest},
			{"NoIncident", []byte(`{"event":{"id":"E1","event_type":"incident.acknowledged","occurred_at":"2026-01-01T00:00:00Z","data":{"type":"incident"}}}`), http.StatusBadRequest},
			{"BadTime", []byte(`{"event":{"id":"E1","event_type":"incident.resolved","occurred_at":"yesterday","data":{"id":"Q1","type":"incident"}}}`), http.StatusBadRequest},
			{"OneBadEventInABatch", []byte(`[{"event":{"id":"E1","event_type":"incident.triggered","occurred_at":"2026-01-01T00:00:00Z","data":{"id":"Q1","type":"incident"}}},{"event":{"id":"E2"}}]`), http.StatusBadRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := footprintOf(t, w)
				if got := post(r.main.HTTPAddr(), tt.body); got != tt.want {
					t.Errorf("status = %d, want %d", got, tt.want)
				}
				expectUnchanged(t, w, before, false)
			})
		}
	})

	t.Run("ImportFiles", func(t *testing.T) {
		csv := "title,channel,schedule\nCheck backups,C1,daily 09:00\n"
		utf16 := func(bom []byte, order func(r rune) []byte) []byte {
			out := slices.Clone(bom)
			for _, r := range csv {
				out = append(out, order(r)...)
			}
			return out
		}
		garbage := make([]byte, 64<<10)
		for i := range garbage {
			garbage[i] = byte(i*7 + i/251)
		}
		tests := []struct {
			name, file string
			content    []byte
			want       string
		}{
			{"FiveMiBPlusOne", "tasks.csv", append([]byte(csv), bytes.Repeat([]byte("#"), 5<<20+1-len(csv))...), "larger than 4 MiB"},
			{"BinaryGarbage", "tasks.csv", garbage, "not UTF-8 text"},
			{"UTF16LE", "tasks.csv", utf16([]byte{0xFF, 0xFE}, func(r rune) []byte { return []byte{byte(r), 0} }), "UTF-16"},
			{"UTF16BE", "tasks.yaml", utf16([]byte{0xFE, 0xFF}, func(r rune) []byte { return []byte{0, byte(r)} }), "UTF-16"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				path := writeFile(t, tt.file, string(tt.content))
				before := footprintOf(t, w)
				var stdout, stderr bytes.Buffer
				if code := run([]string{"reminders", "import", path}, envOf(w.env), &stdout, &stderr); code != 1 {
					t.Errorf("exit code = %d, want 1", code)
				}
				if out := stderr.String(); !strings.Contains(out, "nothing imported") || !strings.Contains(out, tt.want) {
					t.Errorf("output = %.500q, want %q", out, tt.want)
				}
				if out := stderr.String(); len(out) > 2000 {
					t.Errorf("the error is %d bytes long; it should be a clear sentence", len(out))
				}
				expectUnchanged(t, w, before, false)
			})
		}
	})
}
