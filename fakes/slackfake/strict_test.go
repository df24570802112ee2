package slackfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func noteModal(maxLength int) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(nil, "text")
	input.Multiline, input.MaxLength = true, maxLength
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  slack.NewTextBlockObject(slack.PlainTextType, "Add note", false, false),
		Submit: slack.NewTextBlockObject(slack.PlainTextType, "Add note", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("note", slack.NewTextBlockObject(slack.PlainTextType, "Note", false, false), nil, input),
		}},
	}
}

// wantSlackError asserts err is Slack's {"ok":false} with that code and a
// response_metadata message naming where.
func wantSlackError(t *testing.T, err error, code, where string) {
	t.Helper()
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		t.Fatalf("got %v (%T), want slack error %s", err, err, code)
	}
	if se.Err != code {
		t.Errorf("error = %q, want %q", se.Err, code)
	}
	if got := strings.Join(se.ResponseMetadata.Messages, "\n"); !strings.Contains(got, where) {
		t.Errorf("response_metadata.messages = %q, want one naming %s", got, where)
	}
}

func TestStrictViewsOpenMaxLength(t *testing.T) {
	f := newFake(t, fastOptions())
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	tests := []struct {
		name      string
		maxLength int
		wantErr   string
	}{
		{"3000", 3000, ""},
		{"1", 1, ""},
		{"3001", 3001, "invalid_arguments"},
		{"25000", 25000, "invalid_arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.Views())
			_, err := api.OpenViewContext(ctx5(t), "test-trigger-"+tt.name, noteModal(tt.maxLength))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("views.open: %v", err)
				}
				if got, want := len(f.Views()), before+1; got != want {
					t.Errorf("views = %d, want %d", got, want)
				}
				return
			}
			wantSlackError(t, err, tt.wantErr, "/view/blocks/0/element/max_length")
			if got := len(f.Views()); got != before {
				t.Errorf("a refused views.open changed the views: %d → %d", before, got)
			}
		})
	}
	if got := len(f.Refusals()); got != 2 {
		t.Errorf("refusals = %d, want 2: %+v", got, f.Refusals())
	}
}

func TestStrictWebAPIRefusals(t *testing.T) {
	f := newFake(t, Options{PostRate: -1})
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	ctx := ctx5(t)
	longHeader := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("h", 151), false, false))
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("ok", false))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, code, where string
		call              func() error
	}{
		{"PostMessage", "invalid_blocks", "/blocks/0/text/text", func() error {
			_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(longHeader))
			return err
		}},
		{"Update", "invalid_blocks", "/blocks/0/text/text", func() error {
			_, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionBlocks(longHeader))
			return err
		}},
		{"Ephemeral", "invalid_blocks", "/blocks/0/text/text", func() error {
			_, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionBlocks(longHeader))
			return err
		}},
		{"TextTooLong", "msg_too_long", "/text", func() error {
			_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText(strings.Repeat("x", 40001), false))
			return err
		}},
		{"Publish", "invalid_arguments", "/view/blocks", func() error {
			blocks := make([]slack.Block, 101)
			for i := range blocks {
				blocks[i] = slack.NewDividerBlock()
			}
			_, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1",
				View: slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantSlackError(t, tt.call(), tt.code, tt.where)
		})
	}
	if got := f.Messages("C1"); len(got) != 1 || got[0].Updated != 0 {
		t.Errorf("refused calls changed the channel: %+v", got)
	}
	if got := f.Ephemerals("U1"); len(got) != 0 {
		t.Errorf("refused ephemeral shown: %+v", got)
	}
}

func TestStrictResponseURLAndAcks(t *testing.T) {
	f := newFake(t, fastOptions())
	badBlocks := json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("x", 3001) + `"}}]`)
	b := startBot(t, f, f.AppToken(), 5*time.Second, func(b *testBot, ev socketmode.Event) {
		b.sm.Ack(*ev.Request, map[string]any{"text": "too long", "blocks": badBlocks})
	})
	_ = b
	id := f.SendSlashCommand(slack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "help"})
	if _, err := f.WaitAck(ctx5(t), id); err != nil {
		t.Fatal(err)
	}
	if got := f.Ephemerals("U1"); len(got) != 0 {
		t.Errorf("refused ack payload shown: %+v", got)
	}
	env := f.Envelopes()[0]
	var cmd slack.SlashCommand
	if err := json.Unmarshal(env.Payload, &cmd); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"text": "x", "blocks": badBlocks})
	resp, err := http.Post(cmd.ResponseURL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || string(got) != "invalid_blocks" {
		t.Errorf("response_url answered %d %q, want 400 invalid_blocks", resp.StatusCode, got)
	}
	if got := f.Ephemerals("U1"); len(got) != 0 {
		t.Errorf("refused response_url post shown: %+v", got)
	}
	var where []string
	for _, r := range f.Refusals() {
		where = append(where, r.Where+" "+r.Code)
	}
	if want := "ack.slash_commands invalid_blocks,response_url invalid_blocks"; strings.Join(where, ",") != want {
		t.Errorf("refusals = %q, want %q", strings.Join(where, ","), want)
	}
}

func TestStrictViewSubmissionUpdate(t *testing.T) {
	f := newFake(t, fastOptions())
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	v, err := api.OpenViewContext(ctx5(t), "test-trigger", noteModal(3000))
	if err != nil {
		t.Fatal(err)
	}
	startBot(t, f, f.AppToken(), 5*time.Second, func(b *testBot, ev socketmode.Event) {
		b.sm.Ack(*ev.Request, map[string]any{"response_action": "update", "view": noteModal(3001)})
	})
	id := f.SendInteraction(map[string]any{"type": "view_submission", "user": map[string]any{"id": "U1"},
		"view": map[string]any{"id": v.ID, "callback_id": "x"}})
	if _, err := f.WaitAck(ctx5(t), id); err != nil {
		t.Fatal(err)
	}
	if got := f.Views(); len(got) != 1 {
		t.Errorf("views = %d, want the opened one only (the update was refused)", len(got))
	}
	if r := f.Refusals(); len(r) != 1 || r[0].Where != "ack.view_submission" || r[0].Code != "invalid_arguments" {
		t.Errorf("refusals = %+v, want one ack.view_submission invalid_arguments", r)
	}
}

// textBlocks is one section of text, the least a modal Slack accepts holds.
func textBlocks(text string) slack.Blocks {
	return slack.Blocks{BlockSet: []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)}}
}
