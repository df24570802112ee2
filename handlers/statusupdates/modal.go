package statusupdates

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// Open answers "Post status update" in a card's menu: the modal opens at
// once (a trigger_id lasts 3 s), and who the clicker is in PagerDuty is
// found when they submit. A redelivered click opens it once.
func (f *Feature) Open(cb slack.InteractionCallback, act *slack.BlockAction, incidentID string) chat.Response {
	place := chat.PlaceOf(cb)
	state := chat.ModalState{IncidentID: incidentID, ChannelID: place.ChannelID, MessageTS: place.MessageTS}
	return chat.Response{Then: chat.Once(f.Store, chat.ClickKey(cb, act, "status", incidentID), func(ctx context.Context) error {
		if _, err := f.Slack.OpenView(ctx, cb.TriggerID, postModal(state)); err != nil {
			return fmt.Errorf("open status update modal for %s: %w", incidentID, err)
		}
		return nil
	})}
}

// postModal is the "Post status update" modal.
func postModal(state chat.ModalState) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(chat.Plain("What is affected, what is being done, when is the next update?"), actionMessage)
	input.Multiline = true
	// Slack refuses a max_length above 3000, and so does toban
	// (domain.MaxStatusUpdateLength): the field stops the typing there.
	input.MaxLength = domain.MaxStatusUpdateLength
	return chat.Modal(ViewPost, "Post status update", "Post", state,
		slack.NewSectionBlock(chat.Mrkdwn("Posted in PagerDuty as you, which notifies the incident's stakeholders, "+
			"then in the card's thread and in the channels subscribed for status updates."), nil, nil),
		slack.NewInputBlock(blockMessage, chat.Plain("Status update"), nil, input))
}

// messageInput reads the modal: the trimmed message, or the field errors
// to show (nothing is posted then).
func messageInput(values map[string]map[string]slack.BlockAction) (string, map[string]string) {
	msg := strings.TrimSpace(values[blockMessage][actionMessage].Value)
	if err := domain.ValidateStatusUpdate(msg); err != nil {
		var invalid *domain.InvalidError
		if errors.As(err, &invalid) {
			return "", map[string]string{blockMessage: invalid.Reason}
		}
		return "", map[string]string{blockMessage: chat.UserMessage(err)}
	}
	return msg, nil
}

// Submission answers the modal's Post: field errors in the ack, else the
// status update posted once however often Slack delivers the submission.
func (f *Feature) Submission(_ context.Context, cb slack.InteractionCallback) chat.Response {
	state, err := chat.DecodeModalState(cb.View.PrivateMetadata)
	if err != nil || state.IncidentID == "" {
		if err == nil {
			err = domain.Invalid("This form names no incident. Close it and choose Post status update again.")
		}
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.UserMessage(err)})}
	}
	var values map[string]map[string]slack.BlockAction
	if cb.View.State != nil { // a submission without state is a bad body: a field error, not a panic
		values = cb.View.State.Values
	}
	msg, errs := messageInput(values)
	if len(errs) > 0 {
		return chat.Response{Ack: chat.ViewErrors(errs)}
	}
	place := chat.Place{UserID: cb.User.ID, ChannelID: state.ChannelID, MessageTS: state.MessageTS}
	return chat.Response{Then: chat.Once(f.Store, "view:"+cb.View.ID, func(ctx context.Context) error {
		return f.post(ctx, place, state.IncidentID, msg)
	})}
}

// post posts msg on the incident as the clicker and shows it. A resolved
// incident still takes it: PagerDuty accepts status updates after resolve
// (the spec sets no condition), and "resolved; the cause was…" is the
// update stakeholders wait for most.
func (f *Feature) post(ctx context.Context, place chat.Place, incidentID, msg string) error {
	actor, ok, err := identity.ActorFor(ctx, f.Identity, f.Slack, place)
	if !ok {
		return err
	}
	// Re-read first: the incident may be gone, and its service and
	// urgency now say which stakeholders' channels get the update.
	inc, err := f.PagerDuty.Incident(ctx, incidentID)
	if err != nil {
		return fmt.Errorf("read %s before its status update: %w", incidentID, err)
	}
	su, err := f.PagerDuty.PostStatusUpdate(ctx, actor, incidentID, msg)
	if err != nil {
		return fmt.Errorf("status update on %s: %w", incidentID, err)
	}
	if su.Message == "" {
		su.Message = msg
	}
	if err := f.Store.RecordActivity(ctx, domain.Activity{IncidentID: incidentID, Kind: domain.ActivityStatusUpdate,
		SlackUserID: place.UserID, PDUserID: actor.ID, Detail: msg, At: f.now()}); err != nil {
		f.Log.Warn().Err(err).Str("incident", incidentID).Msg("status update activity not recorded")
	}
	if su.ID == "" {
		// Without PagerDuty's ID the webhook's echo cannot be told apart:
		// show it here anyway, and let the echo show it again.
		f.Log.Warn().Str("incident", incidentID).Msg("PagerDuty returned a status update without ID")
	}
	posted := f.publish(ctx, inc, su, "Status update by <@"+place.UserID+">")
	if !posted && place.MessageTS == "" {
		// No thread shows it (an ephemeral card): say it worked.
		return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(":loudspeaker: Status update posted on %s.", incidentLink(inc))})
	}
	return nil
}
