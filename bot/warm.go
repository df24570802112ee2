package bot

import (
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// WarmCodecs builds encoding/json's decoders and encoders for the
// payloads a click brings and the card it sends back. encoding/json
// builds them on a type's first use and keeps them: for
// slack.InteractionCallback alone that first decode takes about 3 ms
// (25 µs after), so without this the first click after every start or
// deploy is the slow one. Call it once at start; it returns an error
// only if its own samples no longer decode (a slack-go change).
func WarmCodecs() error {
	var req socketmode.Request
	if err := json.Unmarshal(sampleEnvelope, &req); err != nil {
		return fmt.Errorf("warm envelope codec: %w", err)
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal(req.Payload, &cb); err != nil {
		return fmt.Errorf("warm interaction codec: %w", err)
	}
	if len(cb.ActionCallback.BlockActions) != 1 || cb.View.State == nil {
		return fmt.Errorf("warm interaction codec: sample decoded as %+v", cb)
	}
	msg := slack.NewBlockMessage(
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "card", false, false), nil, nil),
		slack.NewContextBlock("context", slack.NewTextBlockObject(slack.MarkdownType, "history", false, false)),
		slack.NewActionBlock("actions",
			slack.NewButtonBlockElement("ack", "P1", slack.NewTextBlockObject(slack.PlainTextType, "Acknowledge", false, false)),
			slack.NewOverflowBlockElement("more", slack.NewOptionBlockObject("x", slack.NewTextBlockObject(slack.PlainTextType, "More", false, false), nil))))
	if _, err := json.Marshal(msg.Blocks); err != nil {
		return fmt.Errorf("warm block codec: %w", err)
	}
	return nil
}

// sampleEnvelope is a Socket Mode envelope of a button click on a card,
// with the parts (message blocks, view state) that have types of their own.
var sampleEnvelope = []byte(`{"envelope_id":"e1","type":"interactive","accepts_response_payload":false,"retry_attempt":0,"retry_reason":"",
"payload":{"type":"block_actions","team":{"id":"T1","domain":"acme"},"user":{"id":"U1","username":"alice","name":"alice","team_id":"T1"},
"api_app_id":"A1","token":"x","container":{"type":"message","message_ts":"1.1","channel_id":"C1","is_ephemeral":false},
"trigger_id":"1.2.3","channel":{"id":"C1","name":"ops"},
"message":{"type":"message","user":"UBOT","ts":"1.1","text":"card","blocks":[
 {"type":"section","block_id":"s","text":{"type":"mrkdwn","text":"card"},"fields":[{"type":"mrkdwn","text":"f"}]},
 {"type":"context","block_id":"c","elements":[{"type":"mrkdwn","text":"history"}]},
 {"type":"actions","block_id":"a","elements":[{"type":"button","action_id":"ack","text":{"type":"plain_text","text":"Acknowledge"},"value":"P1"},
  {"type":"static_select","action_id":"more","placeholder":{"type":"plain_text","text":"More"},"options":[{"text":{"type":"plain_text","text":"x"},"value":"x"}]}]}],
 "metadata":{"event_type":"toban_incident_card","event_payload":{"key":"P1"}}},
"view":{"id":"V1","type":"modal","callback_id":"cb","state":{"values":{"b":{"a":{"type":"plain_text_input","value":"v"}}}}},
"response_url":"https://hooks.slack.com/actions/T1/1/x",
"actions":[{"action_id":"ack","block_id":"a","text":{"type":"plain_text","text":"Acknowledge"},"value":"P1","type":"button","action_ts":"1.3"}]}}`)
