package chat

import "github.com/slack-go/slack"

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
