package maintenance

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	goldenfile "github.com/tobanbot/toban/internal/golden"
)

var tokyo, _ = time.LoadLocation("Asia/Tokyo")

func tokyoTime(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, tokyo)
}

// golden compares v with testdata/name.golden.json (-update rewrites it).
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, name, v)
}

// maintForm fills the maintenance form: services, a duration choice and
// custom "date time" values by block.
func maintForm(services []string, duration string, custom map[string]string) map[string]map[string]slack.BlockAction {
	v := map[string]map[string]slack.BlockAction{
		"services":    {actionServiceSuggest: {}},
		"duration":    {"duration": {SelectedOption: slack.OptionBlockObject{Value: duration}}},
		"description": {"description": {Value: "  DB upgrade  "}},
	}
	for _, id := range services {
		a := v["services"][actionServiceSuggest]
		a.SelectedOptions = append(a.SelectedOptions, slack.OptionBlockObject{Value: id, Text: chat.Plain("Name of " + id)})
		v["services"][actionServiceSuggest] = a
	}
	for block, value := range custom {
		if strings.HasSuffix(block, "_date") {
			v[block] = map[string]slack.BlockAction{"date": {SelectedDate: value}}
		} else {
			v[block] = map[string]slack.BlockAction{"time": {SelectedTime: value}}
		}
	}
	return v
}

func TestMaintenanceInput(t *testing.T) {
	now := tokyoTime(21, 10, 0)
	mt := &Feature{Location: tokyo, Now: func() time.Time { return now }}
	custom := func(sd, st, ed, et string) map[string]string {
		return map[string]string{"start_date": sd, "start_time": st, "end_date": ed, "end_time": et}
	}
	tests := []struct {
		name       string
		values     map[string]map[string]slack.BlockAction
		start, end time.Time
		fromNow    bool
		errBlock   string // "" = valid
	}{
		{"Preset", maintForm([]string{"S1", "S2"}, "1h", nil), now, now.Add(time.Hour), true, ""},
		{"Custom", maintForm([]string{"S1"}, "custom", custom("2026-11-22", "01:00", "2026-11-22", "03:30")), tokyoTime(22, 1, 0), tokyoTime(22, 3, 30), false, ""},
		{"CustomStartingAMinuteAgo", maintForm([]string{"S1"}, "custom", custom("2026-11-21", "09:59", "2026-11-21", "11:00")), now, tokyoTime(21, 11, 0), true, ""},
		{"ErrNoService", maintForm(nil, "1h", nil), time.Time{}, time.Time{}, false, "services"},
		{"ErrNoDuration", maintForm([]string{"S1"}, "", nil), time.Time{}, time.Time{}, false, "duration"},
		{"ErrCustomWithoutDate", maintForm([]string{"S1"}, "custom", map[string]string{"start_time": "11:00"}), time.Time{}, time.Time{}, false, "start_date"},
		{"ErrEndBeforeStart", maintForm([]string{"S1"}, "custom", custom("2026-11-22", "03:00", "2026-11-22", "01:00")), time.Time{}, time.Time{}, false, "end_time"},
		{"ErrOver", maintForm([]string{"S1"}, "custom", custom("2026-11-21", "07:00", "2026-11-21", "08:00")), time.Time{}, time.Time{}, false, "end_time"},
		{"ErrStartInThePast", maintForm([]string{"S1"}, "custom", custom("2026-11-21", "08:00", "2026-11-21", "11:00")), time.Time{}, time.Time{}, false, "start_time"},
		{"ErrMonthTypo", maintForm([]string{"S1"}, "custom", custom("2026-11-22", "01:00", "2027-11-22", "03:00")), time.Time{}, time.Time{}, false, "end_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, errs := mt.maintenanceInput(tt.values, "C1")
			if tt.errBlock != "" {
				if errs[tt.errBlock] == "" {
					t.Errorf("errors = %v, want one on %s", errs, tt.errBlock)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors = %v", errs)
			}
			if got := time.Unix(req.Start, 0); !got.Equal(tt.start) || !time.Unix(req.End, 0).Equal(tt.end) || req.FromNow != tt.fromNow {
				t.Errorf("window %v..%v fromNow=%v, want %v..%v %v", got, time.Unix(req.End, 0), req.FromNow, tt.start, tt.end, tt.fromNow)
			}
			if req.Description != "DB upgrade" || req.Channel != "C1" || req.Services[0].Name != "Name of S1" {
				t.Errorf("request = %+v", req)
			}
		})
	}
}

func TestMaintenanceBlocks(t *testing.T) {
	now := tokyoTime(21, 10, 15)
	mt := &Feature{Location: tokyo, Now: func() time.Time { return now }}
	card := domain.MaintenanceCard{WindowID: "PMW1", ChannelID: "C1", TS: "1.1", Description: "DB upgrade <v2>", CreatedBy: "U1",
		Services: []domain.Service{{ID: "PSVC1", Name: "Checkout API"}, {ID: "PSVC2", Name: "Billing"}},
		Start:    tokyoTime(21, 10, 0), End: tokyoTime(21, 11, 0), State: domain.MaintenanceOpen}
	t.Run("Confirmation", func(t *testing.T) {
		golden(t, "maint_confirm", mt.maintenanceConfirmation(maintRequest{
			Services: []maintService{{"PSVC1", "Checkout API"}, {"PSVC2", "Billing"}}, Start: now.Unix(), End: now.Add(90 * time.Minute).Unix(),
			FromNow: true, Description: "DB upgrade <v2>", Channel: "C1"}))
	})
	t.Run("CardOngoing", func(t *testing.T) {
		golden(t, "maint_card_ongoing", chat.AckMessage(mt.maintenanceCard(card)))
	})
	t.Run("CardExtended", func(t *testing.T) {
		c := card
		c.End, c.ExtendedBy = c.End.Add(30*time.Minute), "U2"
		if got := mt.maintenanceCard(c).Text; !strings.Contains(got, "Extended to 11:30 by <@U2>.") {
			t.Errorf("text = %q", got)
		}
	})
	t.Run("CardEnded", func(t *testing.T) {
		c := card
		c.State, c.EndedBy, c.EndedAt = domain.MaintenanceEnded, "U2", tokyoTime(21, 10, 12)
		golden(t, "maint_card_ended", chat.AckMessage(mt.maintenanceCard(c)))
	})
	t.Run("CardCancelled", func(t *testing.T) {
		c := card
		c.State, c.EndedBy = domain.MaintenanceCancelled, "U2"
		if m := mt.maintenanceCard(c); !strings.Contains(m.Text, "Cancelled by <@U2> before it started.") || len(m.Blocks) != 2 {
			t.Errorf("cancelled card = %q with %d blocks, want no buttons", m.Text, len(m.Blocks))
		}
	})
}
