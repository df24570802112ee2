package runbook

import (
	"context"
	"testing"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	rb "github.com/tobanbot/toban/runbook"
)

type postOnly struct{ posts []chat.Message }

func (p *postOnly) PostMessage(_ context.Context, _ string, msg chat.Message) (string, error) {
	p.posts = append(p.posts, msg)
	return "1.1", nil
}
func (p *postOnly) UpdateMessage(context.Context, string, string, chat.Message) error { return nil }
func (p *postOnly) UploadFileIn(context.Context, string, string, string, string, []byte) error {
	return nil
}
func (p *postOnly) GroupHandles(context.Context, string) ([]string, error) { return nil, nil }

type oneThread struct{}

func (oneThread) IncidentThreads(context.Context, string) ([]Thread, error) {
	return []Thread{{ChannelID: "C1", TS: "1.0"}}, nil
}
func (oneThread) RefreshCards(context.Context, string) {}

type recorded struct{ acts []domain.Activity }

func (r *recorded) RecordActivity(_ context.Context, a domain.Activity) error {
	r.acts = append(r.acts, a)
	return nil
}

// A run's result is recorded for the incident's timeline, as well as told
// in the card's thread.
func TestResultRecordedAsActivity(t *testing.T) {
	slack, rec := &postOnly{}, &recorded{}
	f := &Feature{Slack: slack, Threads: oneThread{}, Activities: rec, Log: zerolog.Nop()}
	a := actions(t, 1)[0]
	if err := f.Result(context.Background(), "Q1", a, rb.Result{Status: rb.StatusFailed, Summary: "HTTP 503, expected 200"}); err != nil {
		t.Fatal(err)
	}
	if len(slack.posts) != 1 {
		t.Errorf("%d posts, want the result in the thread", len(slack.posts))
	}
	want := a.Name + " " + string(rb.StatusFailed) + ": HTTP 503, expected 200"
	if len(rec.acts) != 1 || rec.acts[0].Kind != domain.ActivityRunbook || rec.acts[0].IncidentID != "Q1" || rec.acts[0].Detail != want {
		t.Errorf("activities = %+v, want one runbook activity %q", rec.acts, want)
	}
	if err := rec.acts[0].Validate(); err != nil {
		t.Errorf("activity invalid: %v", err)
	}
}
