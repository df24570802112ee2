package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
)

// CreateChannel creates a public channel named name (conversations.create)
// and returns its ID. A name already used, even by an archived channel,
// is domain.ErrChannelNameTaken; a name Slack refuses is domain.ErrInvalid.
func (w *WebAPI) CreateChannel(ctx context.Context, name string) (string, error) {
	ch, err := w.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name})
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			switch se.Err {
			case "name_taken":
				return "", fmt.Errorf("create channel %s: %w", name, domain.ErrChannelNameTaken)
			case "invalid_name", "invalid_name_required", "invalid_name_punctuation", "invalid_name_maxlength", "invalid_name_specials":
				return "", fmt.Errorf("create channel %s: %w: %w", name, domain.Invalid("Slack refuses the channel name %q (%s)", name, se.Err), err)
			}
		}
		return "", fmt.Errorf("create channel %s: %w", name, err)
	}
	return ch.ID, nil
}

// InviteToChannel invites users to channel (conversations.invite). Slack
// invites all or none: when one user cannot be invited (deactivated, say)
// the others are invited one by one. Someone already in the channel is
// not an error; the first other failure is returned after every user was
// tried.
func (w *WebAPI) InviteToChannel(ctx context.Context, channel string, users []string) error {
	if len(users) == 0 {
		return nil
	}
	if _, err := w.api.InviteUsersToConversationContext(ctx, channel, users...); err == nil || len(users) == 1 && alreadyIn(err) {
		return nil
	} else if len(users) == 1 {
		return fmt.Errorf("invite %s to %s: %w", users[0], channel, err)
	}
	var first error
	for _, u := range users {
		if _, err := w.api.InviteUsersToConversationContext(ctx, channel, u); err != nil && !alreadyIn(err) && first == nil {
			first = fmt.Errorf("invite %s to %s: %w", u, channel, err)
		}
	}
	return first
}

// alreadyIn is Slack saying the user is in the channel already (or is the
// bot itself): the invitation's purpose is met.
func alreadyIn(err error) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && (se.Err == "already_in_channel" || se.Err == "cant_invite_self")
}

// ArchiveChannel archives channel (conversations.archive); a channel
// already archived is not an error, a channel gone is domain.ErrNotFound.
func (w *WebAPI) ArchiveChannel(ctx context.Context, channel string) error {
	err := w.api.ArchiveConversationContext(ctx, channel)
	var se slack.SlackErrorResponse
	switch {
	case err == nil, errors.As(err, &se) && se.Err == "already_archived":
		return nil
	case errors.As(err, &se) && se.Err == "channel_not_found":
		return fmt.Errorf("archive %s: %w: %w", channel, domain.ErrNotFound, err)
	}
	return fmt.Errorf("archive %s: %w", channel, err)
}
