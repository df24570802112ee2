package chat

import (
	"encoding/json"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
)

// ActionServiceSuggest is the action ID of the type-ahead menu of
// PagerDuty services. The incident feature fills it; any feature's modal
// may show it.
const ActionServiceSuggest = "service"

// ActionScheduleSuggest is the action ID of the type-ahead menu of
// PagerDuty schedules. The on-call feature fills it; any feature's modal
// may show it.
const ActionScheduleSuggest = "schedule"

// ModalState travels in a modal's private_metadata.
type ModalState struct {
	IncidentID string `json:"i,omitempty"`
	ChannelID  string `json:"c,omitempty"`
	MessageTS  string `json:"t,omitempty"`
}

// Encode returns the state as private_metadata.
func (m ModalState) Encode() string {
	b, _ := json.Marshal(m)
	return string(b)
}

// DecodeModalState reads the private_metadata Encode wrote; a form from an
// older toban is an ErrInvalid that says so.
func DecodeModalState(s string) (ModalState, error) {
	var m ModalState
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return m, domain.Invalid("This form is from an older toban. Close it and click the button again.")
	}
	return m, nil
}

// Modal is a modal view with a Cancel button, a submit button labelled
// submit (none when ""), and state in its private_metadata.
func Modal(callbackID, title, submit string, state ModalState, blocks ...slack.Block) slack.ModalViewRequest {
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackID,
		Title:           Plain(title),
		Close:           Plain("Cancel"),
		PrivateMetadata: state.Encode(),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
	if submit != "" {
		v.Submit = Plain(submit)
	}
	return v
}

// ViewErrors is the answer to a modal submission that shows errs under
// their blocks, by block ID.
func ViewErrors(errs map[string]string) *slack.ViewSubmissionResponse {
	return slack.NewErrorsViewSubmissionResponse(errs)
}

// FirstBlockID is the block ID of a view's first input, where an error
// about the whole form is shown.
func FirstBlockID(v slack.View) string {
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			return in.BlockID
		}
	}
	return ""
}
