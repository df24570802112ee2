package runbook

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	rb "github.com/tobanbot/toban/runbook"
)

// The Feature is the Responder's Teller: everything goes in the threads of
// the incident's cards, so the people looking at the card see each step.
var _ rb.Teller = (*Feature)(nil)

// Tell posts text in the incident's threads, with a Stop button while a
// multi-step response is under way. Failures are logged here, once.
func (f *Feature) Tell(ctx context.Context, incidentID, text string) error {
	line := chat.Message{Text: clip(text, 3000), Blocks: []slack.Block{slack.NewSectionBlock(mrkdwn(clip(text, 3000)), nil, nil)}}
	if f.Responder == nil || !f.Responder.Running(incidentID) || !strings.HasPrefix(text, "Running ") {
		_, err := f.post(ctx, incidentID, line)
		return err
	}
	stop := slack.NewButtonBlockElement(ActionStop, incidentID, plain("Stop runbook"))
	stop.Style = slack.StyleDanger
	withStop := line
	withStop.Blocks = append(slices.Clone(line.Blocks), slack.NewActionBlock("runbook_stop:"+incidentID, stop))
	posted, err := f.post(ctx, incidentID, withStop)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stoppable == nil {
		f.stoppable = map[string][]postedLine{}
	}
	for _, p := range posted {
		p.msg = line
		f.stoppable[incidentID] = append(f.stoppable[incidentID], p)
	}
	return err
}

// settle takes the Stop button off the incident's "Running…" lines: the
// run they announced has ended, and a live button on it would mislead.
func (f *Feature) settle(ctx context.Context, incidentID string) {
	f.mu.Lock()
	lines := f.stoppable[incidentID]
	delete(f.stoppable, incidentID)
	f.mu.Unlock()
	for _, l := range lines {
		if err := f.Slack.UpdateMessage(ctx, l.channel, l.ts, l.msg); err != nil {
			f.Log.Warn().Err(err).Str("incident", incidentID).Msg("runbook: take the Stop button off a finished run")
		}
	}
}

// Result posts how a run ended, with the first lines of its output, and
// the whole output as a file.
func (f *Feature) Result(ctx context.Context, incidentID string, a *rb.Action, res rb.Result) error {
	f.settle(ctx, incidentID)
	text := fmt.Sprintf("%s %s: %s", a.Name, res.Status, res.Summary)
	if f.Activities != nil {
		act := domain.Activity{IncidentID: incidentID, Kind: domain.ActivityRunbook, Detail: clip(text, 500)}
		if err := f.Activities.RecordActivity(ctx, act); err != nil {
			f.Log.Warn().Err(err).Str("incident", incidentID).Msg("runbook: result not recorded for the timeline")
		}
	}
	if _, err := f.post(ctx, incidentID, chat.Message{Text: clip(text, 3000), Blocks: ResultBlocks(a, res)}); err != nil {
		return err
	}
	if len(res.Output) == 0 {
		return nil
	}
	threads, err := f.Threads.IncidentThreads(ctx, incidentID)
	if err != nil {
		return f.logged(incidentID, fmt.Errorf("threads of %s: %w", incidentID, err))
	}
	name := fileName(a.Name)
	for _, th := range threads {
		if err := f.Slack.UploadFileIn(ctx, th.ChannelID, th.TS, name, a.Name+" output", res.Output); err != nil {
			return f.logged(incidentID, err)
		}
	}
	return nil
}

// Offer asks the card's thread to choose: 1 recover, 2 escalate.
func (f *Feature) Offer(ctx context.Context, incidentID string, check *rb.Action, res rb.Result, recovery *rb.Action) error {
	inc := domain.Incident{ID: incidentID}
	if got, err := f.Incidents.Incident(ctx, incidentID); err == nil {
		inc = got
	}
	_, err := f.post(ctx, incidentID, chat.Message{Text: check.Name + " failed: recover or escalate?", Blocks: OfferBlocks(inc, check, res, recovery)})
	return err
}

// Changed re-renders the incident's cards after toban resolved or
// escalated it, without waiting for PagerDuty's webhook.
func (f *Feature) Changed(ctx context.Context, incidentID string) {
	f.Threads.RefreshCards(ctx, incidentID)
}

// post posts msg in the threads of the incident's cards and returns where
// it went.
func (f *Feature) post(ctx context.Context, incidentID string, msg chat.Message) ([]postedLine, error) {
	threads, err := f.Threads.IncidentThreads(ctx, incidentID)
	if err != nil {
		return nil, f.logged(incidentID, fmt.Errorf("threads of %s: %w", incidentID, err))
	}
	if len(threads) == 0 {
		f.Log.Warn().Str("incident", incidentID).Msg("runbook: the incident has no card to tell in")
	}
	var posted []postedLine
	for _, th := range threads {
		m := msg
		m.ThreadTS = th.TS
		ts, err := f.Slack.PostMessage(ctx, th.ChannelID, m)
		if err != nil {
			return posted, f.logged(incidentID, fmt.Errorf("post in %s: %w", th.ChannelID, err))
		}
		posted = append(posted, postedLine{channel: th.ChannelID, ts: ts, msg: m})
	}
	return posted, nil
}

func (f *Feature) logged(incidentID string, err error) error {
	f.Log.Error().Err(err).Str("incident", incidentID).Msg("runbook: tell in the card's thread")
	return err
}

// fileName turns an action's name into a plain file name.
func fileName(action string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(action) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	return strings.Trim(b.String(), "-") + "-output.txt"
}
