package chat

import (
	"strings"

	"github.com/slack-go/slack"
)

// Place says where a click happened, so that answers go back there.
type Place struct {
	UserID      string
	ChannelID   string
	MessageTS   string // "" when the card was ephemeral
	ResponseURL string
}

// PlaceOf reads the place from a callback: the channel of an ephemeral
// card is only in its container, and such a card has no message to update.
func PlaceOf(cb slack.InteractionCallback) Place {
	p := Place{UserID: cb.User.ID, ChannelID: cb.Channel.ID, ResponseURL: cb.ResponseURL}
	if p.ChannelID == "" {
		p.ChannelID = cb.Container.ChannelID
	}
	if !cb.Container.IsEphemeral {
		p.MessageTS = cb.Container.MessageTs
	}
	return p
}

// Invocation is who ran a subcommand, where, and how to answer.
type Invocation struct {
	UserID, ChannelID, ResponseURL, TriggerID string
}

// ClickKey keys one click: action_ts is unique per click, so a redelivered
// envelope repeats the key and a second click does not. on names what was
// clicked when the button's action ID alone does not.
func ClickKey(cb slack.InteractionCallback, act *slack.BlockAction, on ...string) string {
	return strings.Join(append([]string{"click", cb.User.ID, act.ActionTs, act.ActionID}, on...), ":")
}
