package slackfake

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/tobanbot/toban/internal/blockkit"
)

// Refusal is a message or view the fake refused because it breaks a Block
// Kit limit Slack enforces (internal/blockkit). Refusals of Web API calls
// also answer the caller; refusals of ack payloads are silent on the
// socket, as in Slack, where the person then sees nothing, so a test
// should assert there are none.
type Refusal struct {
	// Where is the Web API method, "response_url", "ack.slash_commands"
	// or "ack.view_submission".
	Where string
	// Code is Slack's error: invalid_blocks, invalid_arguments,
	// msg_too_long or msg_blocks_too_long.
	Code string
	// Problems are Slack's "[ERROR] … [json-pointer:…]" lines.
	Problems []string
}

// refuseLocked records a refusal and returns the Web API answer for it, or
// a zero reply when err is nil.
func (s *Server) refuseLocked(where string, err error) (reply, bool) {
	if err == nil {
		return reply{}, false
	}
	var bk *blockkit.Error
	if !errors.As(err, &bk) {
		bk = &blockkit.Error{Code: "invalid_arguments", Problems: []string{err.Error()}}
	}
	s.refusals = append(s.refusals, Refusal{Where: where, Code: bk.Code, Problems: slices.Clone(bk.Problems)})
	s.notifyLocked()
	return failWithMessages(bk.Code, bk.Problems), true
}

// failWithMessages is fail with response_metadata.messages, which Slack
// adds to invalid_blocks and invalid_arguments and slack-go exposes as
// SlackErrorResponse.ResponseMetadata.Messages.
func failWithMessages(code string, messages []string) reply {
	b, _ := json.Marshal(map[string]any{
		"ok": false, "error": code, "response_metadata": map[string]any{"messages": messages},
	})
	return reply{status: 200, body: b, err: code}
}

// Refusals returns every message or view refused for breaking Block Kit's
// limits, in order.
func (s *Server) Refusals() []Refusal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.refusals)
}

// checkBlockKit holds a request's message or view to Block Kit's limits.
// It runs before the server lock is taken: a load harness posting
// thousands of cards must not queue every call behind a validation.
func checkBlockKit(method string, req *apiReq) error {
	switch method {
	case "chat.postMessage", "chat.update", "chat.postEphemeral":
		blocks, _ := req.rawJSON("blocks")
		attachments, _ := req.rawJSON("attachments")
		return blockkit.CheckMessage(req.str("text"), blocks, attachments)
	case "views.open", "views.push", "views.update", "views.publish":
		raw, _ := req.rawJSON("view")
		return blockkit.CheckView(raw)
	}
	return nil
}
