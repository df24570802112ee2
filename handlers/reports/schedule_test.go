package reports

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
)

// scheduleForm is the schedule modal as submitted.
func scheduleForm(viewID, period, weekday, at string, services ...string) slack.InteractionCallback {
	var opts []slack.OptionBlockObject
	for _, s := range services {
		opts = append(opts, slack.OptionBlockObject{Value: s, Text: &slack.TextBlockObject{Type: "plain_text", Text: "name of " + s}})
	}
	cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "U1"}}
	cb.View = slack.View{ID: viewID, CallbackID: viewReportSchedule, PrivateMetadata: chat.ModalState{ChannelID: "C1"}.Encode()}
	cb.View.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"period":   {"period": {SelectedOption: slack.OptionBlockObject{Value: period}}},
		"services": {chat.ActionServiceSuggest: {SelectedOptions: opts}},
		"weekday":  {"weekday": {SelectedOption: slack.OptionBlockObject{Value: weekday}}},
		"time":     {"time": {SelectedTime: at}},
	}}
	return cb
}

func TestScheduleSubmission(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrFields", func(t *testing.T) {
		a, _, _, _ := reportApp(t)
		res := interact(ctx, a, scheduleForm("V1", "week", "", ""))
		ack, ok := res.Ack.(*slack.ViewSubmissionResponse)
		if !ok || res.Then != nil {
			t.Fatalf("ack = %#v, then %v; want field errors and nothing saved", res.Ack, res.Then != nil)
		}
		for _, block := range []string{"period", "weekday", "time"} {
			if ack.Errors[block] == "" {
				t.Errorf("no error on %s: %v", block, ack.Errors)
			}
		}
	})
	t.Run("SavedScheduledAndConfirmedOnce", func(t *testing.T) {
		a, s, _, db := reportApp(t)
		engine := &fakeEngine{tasks: map[string]scheduler.Task{}}
		a.Engine = engine
		cb := scheduleForm("V2", "last-week", "mon", "09:00", "PSVC1")
		for range 2 { // the envelope redelivered
			res := interact(ctx, a, cb)
			if res.Ack != nil {
				t.Fatalf("ack = %#v, want none", res.Ack)
			}
			if err := res.Then(ctx); err != nil {
				t.Fatal(err)
			}
		}
		list, err := db.ReportSchedulesInChannel(ctx, "C1")
		if err != nil || len(list) != 1 {
			t.Fatalf("schedules = %+v, %v; want one", list, err)
		}
		got := list[0]
		if got.Period != "last-week" || got.Rule.Encode() != "weekly;at=09:00;days=mon;tz=Asia/Tokyo" || len(got.Services) != 1 ||
			got.Services[0] != (domain.ReportService{ID: "PSVC1", Name: "name of PSVC1"}) || got.CreatedBy != "U1" {
			t.Errorf("schedule = %+v", got)
		}
		if _, ok := engine.tasks[got.ID]; !ok {
			t.Errorf("engine has %v, want %s", engine.tasks, got.ID)
		}
		if len(s.posts) != 1 || !strings.Contains(s.posts[0].Text, "every Monday at 09:00 (Asia/Tokyo), first on") {
			t.Errorf("confirmations = %+v", s.posts)
		}
	})
}

func TestFireReport(t *testing.T) {
	ctx := context.Background()
	due := time.Date(2026, 3, 9, 9, 0, 0, 0, reportTokyo) // Monday
	save := func(t *testing.T, db *storage.DB, period string) domain.ReportSchedule {
		t.Helper()
		s, err := db.SaveReportSchedule(ctx, domain.ReportSchedule{ChannelID: "C1", Period: period,
			Rule: mustRule("weekly;at=09:00;days=mon;tz=Asia/Tokyo"), CreatedBy: "U1", Services: []domain.ReportService{{ID: "PSVC1", Name: "Checkout API"}}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Run("PostsOnce", func(t *testing.T) {
		a, s, pd, db := reportApp(t)
		sched := save(t, db, "last-week")
		occ := scheduler.Occurrence{TaskID: sched.ID, Due: due}
		for range 2 { // a retry, or a second process
			if err := a.Fire(ctx, occ); err != nil {
				t.Fatal(err)
			}
		}
		if len(s.posts) != 1 || len(pd.calls) != 1 {
			t.Fatalf("%d posts after %d reads, want 1", len(s.posts), len(pd.calls))
		}
		post := s.posts[0]
		if post.Metadata == nil || post.Metadata.EventType != metadataReport || post.Metadata.Key != domain.ReportRunID(sched.ID, due) {
			t.Errorf("metadata = %+v", post.Metadata)
		}
		if !strings.Contains(messageText(post), "Mon 2 Mar – Sun 8 Mar 2026 (Asia/Tokyo)") {
			t.Errorf("report of the wrong week:\n%s", messageText(post))
		}
		if len(s.files) != 2 {
			t.Errorf("files = %v, want the CSV and the chart", s.files)
		}
	})
	t.Run("ClaimedBeforeACrashIsFound", func(t *testing.T) {
		a, s, _, db := reportApp(t)
		sched := save(t, db, "last-week")
		if _, _, err := db.ClaimReportRun(ctx, sched.ID, due, "C1"); err != nil {
			t.Fatal(err)
		}
		s.foundTS = "99.1"
		if err := a.Fire(ctx, scheduler.Occurrence{TaskID: sched.ID, Due: due}); err != nil {
			t.Fatal(err)
		}
		run, _, _ := db.ClaimReportRun(ctx, sched.ID, due, "C1")
		if len(s.posts) != 0 || run.TS != "99.1" {
			t.Errorf("posts %d, run %+v; want the found message recorded, nothing posted", len(s.posts), run)
		}
	})
	t.Run("LastMonthOnFirstWeekdayOnly", func(t *testing.T) {
		a, s, _, db := reportApp(t)
		sched := save(t, db, "last-month")
		for _, d := range []time.Time{due, due.AddDate(0, 0, -7), due.AddDate(0, 0, 21)} { // 9 March, 2 March, 30 March
			if err := a.Fire(ctx, scheduler.Occurrence{TaskID: sched.ID, Due: d}); err != nil {
				t.Fatal(err)
			}
		}
		if len(s.posts) != 1 || !strings.Contains(messageText(s.posts[0]), "Sun 1 Feb – Sat 28 Feb 2026") {
			t.Errorf("posts = %d, want one report of February on 2 March", len(s.posts))
		}
	})
	t.Run("DeletedIsSkipped", func(t *testing.T) {
		a, s, _, _ := reportApp(t)
		if err := a.Fire(ctx, scheduler.Occurrence{TaskID: "rep_gone", Due: due}); err != nil || len(s.posts) != 0 {
			t.Errorf("err %v, posts %d", err, len(s.posts))
		}
	})
}

func TestDeleteReportSchedule(t *testing.T) {
	ctx := context.Background()
	a, s, _, db := reportApp(t)
	engine := &fakeEngine{tasks: map[string]scheduler.Task{}}
	a.Engine = engine
	sched, _ := db.SaveReportSchedule(ctx, domain.ReportSchedule{ChannelID: "C1", Period: "last-week", Rule: mustRule("weekly;at=09:00;days=mon;tz=UTC"), CreatedBy: "U1"})
	engine.Upsert(scheduler.Task{ID: sched.ID})
	click := func(user string) {
		cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user}, ResponseURL: "https://r"}
		cb.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: actionReportDelete, Value: sched.ID}}
		if err := interact(ctx, a, cb).Then(ctx); err != nil {
			t.Fatal(err)
		}
	}
	click("U2")
	if _, err := db.ReportSchedule(ctx, sched.ID); err != nil || !strings.Contains(s.respond[0].Text, "Only <@U1>") {
		t.Errorf("someone else deleted it (%v) or was not told: %+v", err, s.respond)
	}
	click("UADMIN")
	if _, err := db.ReportSchedule(ctx, sched.ID); err == nil || len(engine.tasks) != 0 || !strings.Contains(s.respond[1].Text, "Deleted") {
		t.Errorf("an admin could not delete it: %v, engine %v, answers %+v", err, engine.tasks, s.respond)
	}
}

// mustRule decodes an encoded rule, for tests that write rules as text.
func mustRule(s string) scheduler.Rule {
	r, err := scheduler.DecodeRule(s)
	if err != nil {
		panic(err)
	}
	return r
}
