package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/scheduler"
)

// blockIDs lists a view's block IDs.
func blockIDs(v map[string]any) []string {
	var ids []string
	blocks, _ := v["blocks"].([]any)
	for _, b := range blocks {
		if m, _ := b.(map[string]any); m["block_id"] != nil {
			ids = append(ids, m["block_id"].(string))
		}
	}
	return ids
}

// element returns the element of the view's input block id.
func element(v map[string]any, id string) map[string]any {
	blocks, _ := v["blocks"].([]any)
	for _, b := range blocks {
		if m, _ := b.(map[string]any); m["block_id"] == id {
			el, _ := m["element"].(map[string]any)
			return el
		}
	}
	return nil
}

// TestEndToEndRemindModalFollowsKind: the /toban remind modal shows only
// the schedule fields of the chosen kind; choosing another kind rebuilds it
// through views.update (with the view's hash), keeping what the person
// typed; submitting still gives per-field errors, then saves.
func TestEndToEndRemindModalFollowsKind(t *testing.T) {
	w := incidentWorld(t)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	clock := scheduler.NewFakeClock(time.Date(2026, 11, 23, 8, 0, 0, 0, tokyo))
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")

	alice.Slash(t, "remind")
	id, v := view(t, w.slack, "U1", callback("task.save"))
	if got := strings.Join(blockIDs(v), ","); got != "title,description,channel,kind,at,tz,grace,escalation,schedule,service" {
		t.Fatalf("daily modal blocks = %s", got)
	}
	typed := taskForm("Water the plants", map[string]map[string]any{
		"at": {"at": map[string]any{"type": "timepicker", "selected_time": "07:45"}},
	})
	delete(typed, "kind") // the action carries it

	tests := []struct {
		kind    string
		want    string // the blocks after the update
		initial map[string]string
	}{
		{"weekly", "title,description,channel,kind,at,weekdays,tz,grace,escalation,schedule,service",
			map[string]string{"title": "Water the plants", "at": "07:45"}},
		{"cron", "title,description,channel,kind,cron,tz,grace,escalation,schedule,service",
			map[string]string{"title": "Water the plants"}},
		{"once", "title,description,channel,kind,at,date,tz,grace,escalation,schedule,service",
			map[string]string{"title": "Water the plants", "at": "07:45"}},
		{"monthly_day", "title,description,channel,kind,at,day,tz,grace,escalation,schedule,service",
			map[string]string{"title": "Water the plants", "at": "07:45"}},
		{"weekly", "title,description,channel,kind,at,weekdays,tz,grace,escalation,schedule,service",
			map[string]string{"title": "Water the plants", "at": "07:45"}},
	}
	for _, tt := range tests {
		t.Run("To_"+tt.kind, func(t *testing.T) {
			before := w.slack.LastView("U1")
			w.slack.ViewAction(t, "U1", id, "kind", "kind", selected("static_select", tt.kind), typed)
			_, v := view(t, w.slack, "U1", func(v map[string]any) bool {
				return strings.Join(blockIDs(v), ",") == tt.want
			})
			last := w.slack.LastView("U1")
			if last.Method != "views.update" || last.ID != id || last.Hash == before.Hash {
				t.Errorf("last view change = %s of %s (hash %s, before %s), want a views.update of %s", last.Method, last.ID, last.Hash, before.Hash, id)
			}
			if got := element(v, "kind")["initial_option"].(map[string]any)["value"]; got != tt.kind {
				t.Errorf("kind shown = %v, want %s", got, tt.kind)
			}
			for block, want := range tt.initial {
				el := element(v, block)
				if got := el["initial_value"]; block == "title" && got != want {
					t.Errorf("title = %v, want %q kept", got, want)
				}
				if got := el["initial_time"]; block == "at" && got != want {
					t.Errorf("at = %v, want %q kept", got, want)
				}
			}
			if got := element(v, "tz")["initial_option"].(map[string]any)["value"]; got != "Asia/Tokyo" {
				t.Errorf("time zone = %v, want Asia/Tokyo kept", got)
			}
			state, _ := v["state"].(map[string]any)
			values, _ := state["values"].(map[string]any)
			if _, kept := values["title"]; !kept {
				t.Errorf("Slack's state lost the title over the update: %v", values)
			}
		})
	}

	t.Run("LateActionWithAStaleHashChangesNothing", func(t *testing.T) {
		stale := w.slack.LastView("U1") // weekly
		var staleObj map[string]any
		if err := json.Unmarshal(stale.View, &staleObj); err != nil {
			t.Fatal(err)
		}
		w.slack.ViewAction(t, "U1", id, "kind", "kind", selected("static_select", "once"), typed)
		view(t, w.slack, "U1", hasBlock("date"))
		current := w.slack.LastView("U1")
		// An earlier choice of "cron", arriving late, carries the old hash:
		// Slack refuses its views.update, and the modal stays as it is.
		act := selected("static_select", "cron")
		act["action_id"], act["block_id"], act["action_ts"] = "kind", "kind", "1700000000.000200"
		ack(t, w.slack, w.slack.SendInteraction(map[string]any{
			"type": "block_actions", "user": map[string]any{"id": "U1", "name": "alice"}, "api_app_id": slackfake.AppID,
			"token": slackfake.VerificationToken, "container": map[string]any{"type": "view", "view_id": id},
			"team": map[string]any{"id": slackfake.TeamID}, "view": staleObj, "actions": []any{act},
		}))
		time.Sleep(300 * time.Millisecond) // the bot's views.update, had it been accepted
		if last := w.slack.LastView("U1"); last.Hash != current.Hash {
			t.Fatalf("a stale action changed the modal: %s %s", last.Method, last.View)
		}
	})

	t.Run("ErrWeeklyWithoutDays", func(t *testing.T) {
		ack := w.slack.Submit(t, "U1", id, taskForm("Water the plants", map[string]map[string]any{
			"kind": {"kind": selected("static_select", "weekly")},
		}))
		if p := string(ack.Payload); !strings.Contains(p, `"response_action":"errors"`) || !strings.Contains(p, `"weekdays"`) {
			t.Errorf("ack = %s, want a field error on weekdays", p)
		}
		if n := countMessages(w.slack, "C1", "scheduled"); n != 0 {
			t.Errorf("%d confirmations after invalid input", n)
		}
	})

	t.Run("Saved", func(t *testing.T) {
		w.slack.Submit(t, "U1", id, taskForm("Water the plants", map[string]map[string]any{
			"kind": {"kind": selected("static_select", "weekly")},
			"at":   {"at": map[string]any{"type": "timepicker", "selected_time": "07:45"}},
			"weekdays": {"weekdays": map[string]any{"type": "checkboxes", "selected_options": []map[string]any{
				{"value": "1", "text": map[string]any{"type": "plain_text", "text": "Mon"}},
				{"value": "4", "text": map[string]any{"type": "plain_text", "text": "Thu"}},
			}}},
		}))
		w.slack.Channel(t, "C1").ExpectMessage("scheduled *Water the plants*")
	})

	if r := w.slack.Refusals(); len(r) > 0 {
		t.Errorf("Slack refused toban's calls: %+v", r)
	}
}
