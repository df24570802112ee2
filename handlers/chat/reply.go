package chat

import (
	"context"
	"fmt"
)

// Responder answers through a response_url (valid for 30 minutes).
type Responder interface {
	Respond(ctx context.Context, responseURL string, msg Message) error
}

// Teller is the part of Slack's Web API that TellClicker uses.
type Teller interface {
	Responder
	PostEphemeral(ctx context.Context, channel, user string, msg Message) error
	PostMessage(ctx context.Context, channel string, msg Message) (ts string, err error)
}

// TellClicker shows msg to the person who clicked, and only to them: by
// the click's response_url, else ephemerally in its channel, else in a
// direct message.
func TellClicker(ctx context.Context, s Teller, place Place, msg Message) error {
	if place.ResponseURL != "" {
		return s.Respond(ctx, place.ResponseURL, msg)
	}
	if place.ChannelID != "" {
		return s.PostEphemeral(ctx, place.ChannelID, place.UserID, msg)
	}
	_, err := s.PostMessage(ctx, place.UserID, msg)
	return err
}

// RespondLater is a Response that answers msg through responseURL after
// the ack; nothing when there is no responseURL.
func RespondLater(s Responder, responseURL string, msg Message) Response {
	if responseURL == "" {
		return Response{}
	}
	return Response{Then: func(ctx context.Context) error {
		return s.Respond(ctx, responseURL, msg)
	}}
}

// NotYet answers a subcommand this version of toban does not have yet.
func NotYet(name string) Response {
	return Response{Ack: Ephemeral(NotYetMessage(name))}
}

// NotYetMessage is NotYet's message, for an answer given later.
func NotYetMessage(name string) Message {
	return Message{Text: fmt.Sprintf(":construction: `/toban %s` is not available in this version of toban yet. `/toban help` lists what is.", name)}
}

// Clicks records which clicks and submissions were already handled.
type Clicks interface {
	// FirstClick records key and reports whether it is new.
	FirstClick(ctx context.Context, key string) (bool, error)
}

// Once returns then guarded so that it runs only the first time key is
// seen (a click's key, or "view:"+ID for a modal), recorded in clicks so
// that a restart does not forget.
func Once(clicks Clicks, key string, then func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if first, err := clicks.FirstClick(ctx, key); err != nil || !first {
			return err
		}
		return then(ctx)
	}
}

// OnlyAdmins is the answer to someone who is not a toban admin asking for
// what only admins may do.
var OnlyAdmins = Message{Text: ":no_entry: Only toban admins (`TOBAN_ADMINS`) can change what this channel is subscribed to."}
