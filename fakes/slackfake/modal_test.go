package slackfake

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// maintenanceBot opens a "Maintenance" modal whose Kind select dispatches
// actions: choosing "Timed" rebuilds the modal with an "Until" field. The
// services come from type-ahead. Submitting without a reason is refused.
func maintenanceBot(submitted chan<- slack.View) func(*testBot, socketmode.Event) {
	text := func(s string) *slack.TextBlockObject { return slack.NewTextBlockObject("plain_text", s, false, false) }
	option := func(value, label string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(value, text(label), nil)
	}
	view := func(timed bool) slack.ModalViewRequest {
		services := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, text("Services"), "services")
		kind := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, text("Kind"), "kind",
			option("open", "Until I end it"), option("timed", "Timed"))
		kindBlock := slack.NewInputBlock("kind", text("Kind"), nil, kind)
		kindBlock.DispatchAction = true
		blocks := []slack.Block{
			slack.NewInputBlock("services", text("Services"), nil, services),
			kindBlock,
		}
		if timed {
			blocks = append(blocks, slack.NewInputBlock("until", text("Until"), nil,
				slack.NewTimePickerBlockElement("until")))
		}
		reason := slack.NewPlainTextInputBlockElement(text("Why"), "reason")
		reason.InitialValue = "planned work"
		blocks = append(blocks, slack.NewInputBlock("reason", text("Reason"), nil, reason))
		return slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "maintenance",
			Title: text("Maintenance"), Submit: text("Start"), Blocks: slack.Blocks{BlockSet: blocks}}
	}
	return func(b *testBot, ev socketmode.Event) {
		switch data := ev.Data.(type) {
		case slack.SlashCommand:
			b.sm.Ack(*ev.Request)
			_, _ = b.api.OpenView(data.TriggerID, view(false))
		case slack.InteractionCallback:
			switch data.Type {
			case slack.InteractionTypeBlockSuggestion:
				var opts []*slack.OptionBlockObject
				for _, s := range []string{"API", "Web", "Payments"} {
					if strings.Contains(strings.ToLower(s), strings.ToLower(data.Value)) {
						opts = append(opts, option("svc-"+strings.ToLower(s), s))
					}
				}
				b.sm.Ack(*ev.Request, slack.OptionsResponse{Options: opts})
			case slack.InteractionTypeBlockActions:
				b.sm.Ack(*ev.Request)
				timed := data.View.State.Values["kind"]["kind"].SelectedOption.Value == "timed"
				_, _ = b.api.UpdateView(view(timed), "", data.View.Hash, data.View.ID)
			case slack.InteractionTypeViewSubmission:
				if strings.TrimSpace(data.View.State.Values["reason"]["reason"].Value) == "" {
					b.sm.Ack(*ev.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"reason": "Say why."}))
					return
				}
				b.sm.Ack(*ev.Request)
				submitted <- data.View
			}
		}
	}
}

func TestModalReadsLikeAPerson(t *testing.T) {
	f := newFake(t, fastOptions())
	f.AddUser(User{ID: "U1", Name: "alice"})
	submitted := make(chan slack.View, 1)
	startBot(t, f, f.AppToken(), time.Second, maintenanceBot(submitted))
	alice := f.User("U1")

	alice.Slash(t, "maintenance")
	m := alice.ExpectModal(t, "Maintenance")
	if got, want := strings.Join(m.Labels(), ","), "Services,Kind,Reason"; got != want {
		t.Fatalf("labels = %s, want %s", got, want)
	}
	m.Choose("Services", "API", "Pay").Choose("Kind", "Timed")
	// The app rebuilt the modal for the chosen kind: Until is there now.
	m.Type("Until", "10:30").Type("Reason", "  ")
	if errs := m.SubmitRefused(); errs["Reason"] != "Say why." || len(errs) != 1 {
		t.Fatalf("errors = %v, want only Reason", errs)
	}
	m.Type("Reason", "kernel upgrade").Submit()

	v := <-submitted
	values := v.State.Values
	var services []string
	for _, o := range values["services"]["services"].SelectedOptions {
		services = append(services, o.Value)
	}
	if got, want := strings.Join(services, ","), "svc-api,svc-payments"; got != want {
		t.Errorf("services = %s, want %s", got, want)
	}
	if got := values["kind"]["kind"].SelectedOption.Value; got != "timed" {
		t.Errorf("kind = %q, want timed", got)
	}
	if got := values["until"]["until"].SelectedTime; got != "10:30" {
		t.Errorf("until = %q, want 10:30", got)
	}
	if got := values["reason"]["reason"].Value; got != "kernel upgrade" {
		t.Errorf("reason = %q, want kernel upgrade", got)
	}
}

func TestModalKeepsInitialValues(t *testing.T) {
	f := newFake(t, fastOptions())
	submitted := make(chan slack.View, 1)
	startBot(t, f, f.AppToken(), time.Second, maintenanceBot(submitted))
	alice := f.User("U1")

	alice.Slash(t, "maintenance")
	alice.ExpectModal(t, "Maintenance").Choose("Kind", "Until I end it").Submit()
	v := <-submitted
	if got := v.State.Values["reason"]["reason"].Value; got != "planned work" {
		t.Errorf("reason = %q, want the initial value", got)
	}
}

func TestModalFailsWhatAPersonCouldNotDo(t *testing.T) {
	opts := fastOptions()
	opts.HelperTimeout = 300 * time.Millisecond
	f := newFake(t, opts)
	submitted := make(chan slack.View, 1)
	startBot(t, f, f.AppToken(), time.Second, maintenanceBot(submitted))
	alice := f.User("U1")
	alice.Slash(t, "maintenance")
	m := alice.ExpectModal(t, "Maintenance")

	tests := []struct {
		name string
		do   func(*Modal)
		want string
	}{
		{"OptionNotOffered", func(m *Modal) { m.Choose("Kind", "Forever") }, `offers no option "Forever"`},
		{"SuggestionNotOffered", func(m *Modal) { m.Choose("Services", "Mainframe") }, `offers no option "Mainframe"`},
		{"NoSuchField", func(m *Modal) { m.Type("Colour", "red") }, `has no field "Colour"`},
		{"TypeIntoSelect", func(m *Modal) { m.Type("Kind", "Timed") }, "Type needs a text input"},
		{"TwoChoicesInASingleSelect", func(m *Modal) { m.Choose("Kind", "Timed", "Until I end it") }, "takes one choice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &fatalRecorder{TB: t}
			m.t = rec
			defer func() { m.t = t }()
			if rec.run(func() { tt.do(m) }); !strings.Contains(rec.msg, tt.want) {
				t.Errorf("failure = %q, want it to say %q", rec.msg, tt.want)
			}
		})
	}
}

func TestNewModalWaitsForANewOne(t *testing.T) {
	f := newFake(t, Options{HelperTimeout: 300 * time.Millisecond, PingInterval: 50 * time.Millisecond})
	startBot(t, f, f.AppToken(), time.Second, maintenanceBot(make(chan slack.View, 1)))
	alice := f.User("U1")
	alice.Slash(t, "maintenance")
	first := alice.ExpectModal(t, "Maintenance")

	rec := &fatalRecorder{TB: t}
	rec.run(func() { alice.ExpectModal(rec, "Maintenance") })
	if !strings.Contains(rec.msg, "no new modal") {
		t.Fatalf("a modal already handed out was handed out again (%q)", rec.msg)
	}
	alice.Slash(t, "maintenance")
	if second := alice.ExpectModal(t, "Maintenance"); second.ID() == first.ID() {
		t.Errorf("second modal has the first's id %s", first.ID())
	}
}

func TestLeftoverMessages(t *testing.T) {
	f := newFake(t, fastOptions())
	f.AddUser(User{ID: "U1", Name: "alice"})
	b := startBot(t, f, f.AppToken(), time.Second, nil)
	for _, text := range []string{"card: db down", "reply: acked", "stray: debug dump"} {
		if _, _, err := b.api.PostMessage("C1", slack.MsgOptionText(text, false)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.api.PostEphemeral("C1", "U1", slack.MsgOptionText("only you: done", false)); err != nil {
		t.Fatal(err)
	}
	f.Channel(t, "C1").ExpectMessage("card: db down")
	f.Channel(t, "C1").ExpectMessage("reply: acked")

	var got []string
	for _, m := range f.Unseen() {
		got = append(got, m.Text)
	}
	if want := "stray: debug dump,only you: done"; strings.Join(got, ",") != want {
		t.Fatalf("unseen = %q, want %s", got, want)
	}
	rec := &fatalRecorder{TB: t}
	rec.run(func() { f.ExpectNothingElse(rec) })
	if !strings.Contains(rec.msg, "unexpected message in C1: stray: debug dump") {
		t.Errorf("ExpectNothingElse said %q", rec.msg)
	}
	f.User("U1").ExpectEphemeral(t, "only you")
	if n := f.Dismiss("C1", "stray"); n != 1 {
		t.Errorf("Dismiss = %d, want 1", n)
	}
	if left := f.Unseen(); len(left) != 0 {
		t.Errorf("unseen after dismissing = %v", left)
	}
}

// fatalRecorder is a testing.TB whose failures are recorded instead of
// failing the test, for tests of helpers that must fail their caller.
type fatalRecorder struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (r *fatalRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.msg == "" {
		r.msg = fmt.Sprintf(format, args...)
	}
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// run calls f on its own goroutine so that Fatalf ends only f.
func (r *fatalRecorder) run(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}
