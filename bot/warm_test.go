package bot

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// TestWarmCodecs: the samples decode as the click they stand for, so
// warming exercises the types a real click does.
func TestWarmCodecs(t *testing.T) {
	if err := WarmCodecs(); err != nil {
		t.Fatal(err)
	}
	var req socketmode.Request
	if err := json.Unmarshal(sampleEnvelope, &req); err != nil {
		t.Fatal(err)
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal(req.Payload, &cb); err != nil {
		t.Fatal(err)
	}
	got := []string{req.Type, string(cb.Type), cb.User.ID, cb.Channel.ID, cb.Message.Timestamp, cb.ActionCallback.BlockActions[0].ActionID,
		cb.View.State.Values["b"]["a"].Value}
	want := []string{"interactive", "block_actions", "U1", "C1", "1.1", "ack", "v"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("decoded %v, want %v", got, want)
			break
		}
	}
	if n := len(cb.Message.Blocks.BlockSet); n != 3 {
		t.Errorf("sample message has %d blocks, want 3 (section, context, actions)", n)
	}
}
