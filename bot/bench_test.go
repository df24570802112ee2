package bot

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/tobanbot/toban/handlers"
)

// BenchmarkDecodeAndAnswerSlash is the envelope path without the network:
// decode a slash command envelope as slack-go does, run the handler, and
// encode the ack with its payload.
func BenchmarkDecodeAndAnswerSlash(b *testing.B) {
	frame := []byte(`{"envelope_id":"e1","type":"slash_commands","accepts_response_payload":true,"payload":{` +
		`"token":"x","team_id":"T1","team_domain":"fake","channel_id":"C1","channel_name":"ops","user_id":"U1",` +
		`"user_name":"alice","command":"/toban","text":"help","api_app_id":"A1","response_url":"https://hooks.slack.com/x",` +
		`"trigger_id":"1.2.3"}}`)
	app := &handlers.App{}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var req socketmode.Request
		if err := json.Unmarshal(frame, &req); err != nil {
			b.Fatal(err)
		}
		var cmd slack.SlashCommand
		if err := json.Unmarshal(req.Payload, &cmd); err != nil {
			b.Fatal(err)
		}
		res := app.Slash(ctx, cmd)
		if _, err := json.Marshal(socketmode.Response{EnvelopeID: req.EnvelopeID, Payload: res.Ack}); err != nil {
			b.Fatal(err)
		}
	}
}
