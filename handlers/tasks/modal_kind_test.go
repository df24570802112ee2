package tasks

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
)

// inputIDs returns the block IDs of the input blocks, and which of them
// are required.
func inputIDs(blocks []slack.Block) (ids, required []string) {
	for _, b := range blocks {
		if in, ok := b.(*slack.InputBlock); ok {
			ids = append(ids, in.BlockID)
			if !in.Optional {
				required = append(required, in.BlockID)
			}
		}
	}
	return ids, required
}

func TestTaskModalFieldsPerKind(t *testing.T) {
	const common = "title,description,channel,kind,"
	const after = ",tz,grace,escalation,schedule,service"
	tests := []struct {
		kind     scheduler.Kind
		want     string // the input blocks, in order
		required string // the schedule fields that must be filled
	}{
		{scheduler.KindDaily, common + "at" + after, "at"},
		{scheduler.KindWeekdays, common + "at" + after, "at"},
		{scheduler.KindWeekly, common + "at,weekdays" + after, "at,weekdays"},
		{scheduler.KindMonthlyDay, common + "at,day" + after, "at,day"},
		{scheduler.KindMonthlyLast, common + "at" + after, "at"},
		{scheduler.KindOnce, common + "at,date" + after, "at,date"},
		{scheduler.KindCron, common + "cron" + after, "cron"},
		{"fortnightly", common + "at,date,weekdays,day,cron" + after, ""}, // unknown: every field, as before
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			blocks := taskBlocksFor(domain.Task{ChannelID: "C1", GraceMinutes: 15}, scheduler.Rule{Kind: tt.kind, Location: time.UTC}, time.UTC)
			ids, required := inputIDs(blocks)
			if got := strings.Join(ids, ","); got != tt.want {
				t.Errorf("blocks = %s, want %s", got, tt.want)
			}
			var gotRequired []string
			for _, id := range required {
				if slices.Contains(scheduleFields, id) {
					gotRequired = append(gotRequired, id)
				}
			}
			if got := strings.Join(gotRequired, ","); got != tt.required {
				t.Errorf("required schedule fields = %s, want %s", got, tt.required)
			}
			for _, b := range blocks {
				if in, ok := b.(*slack.InputBlock); ok && in.DispatchAction != (in.BlockID == "kind") {
					t.Errorf("block %s: dispatch_action = %v, want it only on kind", in.BlockID, in.DispatchAction)
				}
			}
		})
	}
}

func TestTaskModalGolden(t *testing.T) {
	f := &Feature{Location: time.UTC}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	task := domain.Task{ChannelID: "C1", GraceMinutes: 15}
	golden(t, "task_modal_daily", f.taskModalView(taskForm{ChannelID: "C1"}, task, scheduler.Rule{Kind: scheduler.KindDaily, At: "09:00", Location: tokyo}))
	golden(t, "task_modal_weekly", f.taskModalView(taskForm{ChannelID: "C1"}, task,
		scheduler.Rule{Kind: scheduler.KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Monday, time.Thursday}, Location: tokyo}))
	golden(t, "task_modal_once", f.taskModalView(taskForm{ChannelID: "C1"}, task, scheduler.Rule{Kind: scheduler.KindOnce, At: "09:00", Location: tokyo}))
}

// TestTaskFromStateKeepsInput: rebuilding the modal for another kind keeps
// what the person entered, as the new view's initial values.
func TestTaskFromStateKeepsInput(t *testing.T) {
	f := &Feature{Location: time.UTC}
	opt := func(value, text string) slack.OptionBlockObject {
		return slack.OptionBlockObject{Value: value, Text: chat.Plain(text)}
	}
	values := map[string]map[string]slack.BlockAction{
		"title":       {"title": {Value: "Check backups"}},
		"description": {"description": {Value: "See the runbook"}},
		"channel":     {"channel": {SelectedConversation: "C9"}},
		"kind":        {"kind": {SelectedOption: opt("daily", "Every day")}},
		"at":          {"at": {SelectedTime: "07:45"}},
		"tz":          {"tz": {SelectedOption: opt("Asia/Tokyo", "Asia/Tokyo")}},
		"grace":       {"grace": {SelectedOption: opt("30", "30 minutes")}},
		"escalation":  {"escalation": {SelectedOption: opt("oncall", "Mention")}},
		"schedule":    {"schedule": {SelectedOption: opt("PS1", "Primary")}},
	}
	task, rule := f.taskFromState(values, scheduler.KindWeekly)
	view := f.taskModalView(taskForm{TaskID: "t_1", ChannelID: "C1"}, task, rule)
	raw := string(chat.EncodeJSON(view))
	for _, want := range []string{
		`"title":{"type":"plain_text","text":"Edit task"`,
		`"initial_value":"Check backups"`, `"initial_value":"See the runbook"`, `"initial_conversation":"C9"`,
		`"initial_time":"07:45"`, `"initial_option":{"text":{"type":"plain_text","text":"Asia/Tokyo","emoji":true},"value":"Asia/Tokyo"}`,
		`"initial_option":{"text":{"type":"plain_text","text":"30 minutes","emoji":true},"value":"30"}`,
		`"initial_option":{"text":{"type":"plain_text","text":"Primary","emoji":true},"value":"PS1"}`,
		`"initial_option":{"text":{"type":"plain_text","text":"Every week on chosen days","emoji":true},"value":"weekly"}`,
		`"block_id":"weekdays"`,
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("rebuilt view lacks %s:\n%s", want, raw)
		}
	}
	if strings.Contains(raw, `"block_id":"date"`) || strings.Contains(raw, `"block_id":"cron"`) {
		t.Errorf("rebuilt weekly view has fields weekly does not need:\n%s", raw)
	}
}
