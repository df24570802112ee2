package incidentchannels

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// maxNameTries bounds the names tried when Slack says a name is taken
// (inc-42-db-down, then -2 … -9): beyond that something else is wrong.
const maxNameTries = 9

// Open answers "Open incident channel" on incidentID's card. The work is
// done after the ack, once per click (a redelivered envelope does not
// open a second channel; nor does a second click: the incident's row is
// claimed first).
func (f *Feature) Open(cb slack.InteractionCallback, act *slack.BlockAction, incidentID string) chat.Response {
	place := chat.PlaceOf(cb)
	if f.PagerDuty == nil {
		return chat.RespondLater(f.Slack, place.ResponseURL, chat.Message{Text: chat.NotConfigured})
	}
	return chat.Response{Then: chat.Once(f.Clicks, chat.ClickKey(cb, act, "channel", incidentID), func(ctx context.Context) error {
		return f.open(ctx, place, incidentID)
	})}
}

func (f *Feature) open(ctx context.Context, place chat.Place, incidentID string) error {
	inc, err := f.PagerDuty.Incident(ctx, incidentID)
	if err != nil {
		return fmt.Errorf("open channel of %s: %w", incidentID, err)
	}
	if !inc.Open() {
		// A stale card: its menu is gone once the incident is resolved.
		if row, err := f.Store.IncidentChannel(ctx, inc.ID); err == nil && row.ChannelID != "" {
			return f.linkExisting(ctx, place, inc, row)
		}
		return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(":information_source: #%d is already resolved; no channel was opened.", inc.Number)})
	}
	row, claimed, err := f.Store.ClaimIncidentChannel(ctx, inc.ID, place.UserID, claimStale)
	if err != nil {
		return err
	}
	if !claimed {
		return f.linkExisting(ctx, place, inc, row)
	}
	name, channelID, err := f.create(ctx, inc)
	if err != nil {
		if rerr := f.Store.ReleaseIncidentChannel(ctx, inc.ID); rerr != nil {
			f.Log.Warn().Err(rerr).Str("incident", inc.ID).Msg("channel claim not released")
		}
		return fmt.Errorf("open channel of #%d: %w", inc.Number, err)
	}
	if err := f.Store.SetIncidentChannel(ctx, domain.IncidentChannel{IncidentID: inc.ID, ChannelID: channelID, Name: name}); err != nil {
		return err
	}
	log := f.Log.With().Str("incident", inc.ID).Str("channel", channelID).Logger()
	log.Info().Str("name", name).Msg("incident channel created")
	if err := f.Slack.InviteToChannel(ctx, channelID, f.invitees(ctx, place.UserID, inc)); err != nil {
		log.Warn().Err(err).Msg("not everyone was invited to the incident channel")
	}
	if _, err := f.Cards.PostCard(ctx, inc.ID, channelID); err != nil {
		// The channel is there and linked; the card can be missing.
		log.Warn().Err(err).Msg("card not mirrored in the incident channel")
	}
	if err := f.Records.RecordActivity(ctx, domain.Activity{IncidentID: inc.ID, Kind: domain.ActivityChannel,
		SlackUserID: place.UserID, Detail: "#" + name, At: f.now()}); err != nil {
		log.Warn().Err(err).Msg("activity not recorded")
	}
	linked, err := f.linkInThreads(ctx, inc, channelID, place.UserID)
	if err != nil {
		log.Warn().Err(err).Msg("channel not linked in every card's thread")
	}
	if !linked {
		// Clicked on an ephemeral list, with no card in any channel.
		return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(":link: Opened <#%s> for #%d.", channelID, inc.Number)})
	}
	return nil
}

// create creates the channel, trying name-2, name-3… while Slack says a
// name is taken (an earlier incident with the same number and title in a
// renamed account, or a channel someone made by hand).
func (f *Feature) create(ctx context.Context, inc domain.Incident) (name, channelID string, err error) {
	base := ChannelName(inc.Number, inc.Title)
	for n := 1; n <= maxNameTries; n++ {
		name = base
		if n > 1 {
			name = suffixed(base, n)
		}
		channelID, err = f.Slack.CreateChannel(ctx, name)
		if !errors.Is(err, domain.ErrChannelNameTaken) {
			return name, channelID, err
		}
	}
	return "", "", fmt.Errorf("channel names %s to %s are all taken: %w", base, suffixed(base, maxNameTries), err)
}

// invitees are the clicker and the Slack users linked to the incident's
// assignees and responders, each once.
func (f *Feature) invitees(ctx context.Context, clicker string, inc domain.Incident) []string {
	users := []string{clicker}
	people := slices.Clone(inc.Assignees)
	for _, r := range inc.Responders {
		people = append(people, r.User)
	}
	for _, p := range people {
		if p.ID == "" {
			continue
		}
		id, err := f.Records.SlackUserFor(ctx, p.ID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			f.Log.Warn().Err(err).Str("pd_user", p.ID).Msg("slack user lookup failed; not invited")
		}
		if id != "" && !slices.Contains(users, id) {
			users = append(users, id)
		}
	}
	return users
}

// linkInThreads posts the link to the channel in the thread of every other
// card of the incident, once each; linked says whether there was one.
func (f *Feature) linkInThreads(ctx context.Context, inc domain.Incident, channelID, by string) (linked bool, err error) {
	cards, err := f.Cards.CardThreads(ctx, inc.ID)
	if err != nil {
		return false, err
	}
	text := fmt.Sprintf(":speech_balloon: <@%s> opened <#%s> for this incident; join it to work on it together.", by, channelID)
	var errs []error
	for _, c := range cards {
		if c.ChannelID == channelID || c.ThreadTS != "" {
			continue
		}
		linked = true
		key := fmt.Sprintf("thread:%s:channel:%s@%s", inc.ID, channelID, c.ChannelID)
		if first, err := f.Clicks.FirstClick(ctx, key); err != nil || !first {
			errs = append(errs, err)
			continue
		}
		if _, err := f.Slack.PostMessage(ctx, c.ChannelID, chat.Message{Text: text, ThreadTS: c.TS}); err != nil {
			errs = append(errs, fmt.Errorf("link in %s: %w", c.ChannelID, err))
		}
	}
	return linked, errors.Join(errs...)
}

// waitCreated is how long a second click waits for the first to finish
// creating the channel before it answers without the link.
const waitCreated = 5 * time.Second

// linkExisting answers a click on an incident that has a channel (or one
// being created by another click): the clicker is invited and told where
// it is.
func (f *Feature) linkExisting(ctx context.Context, place chat.Place, inc domain.Incident, row domain.IncidentChannel) error {
	for waited := time.Duration(0); row.ChannelID == "" && waited < waitCreated; waited += 200 * time.Millisecond {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		got, err := f.Store.IncidentChannel(ctx, inc.ID)
		if errors.Is(err, domain.ErrNotFound) {
			// The first click failed and gave its claim up: say so.
			return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(":warning: Opening the channel of #%d failed just now. Try again.", inc.Number)})
		}
		if err != nil {
			return err
		}
		row = got
	}
	if row.ChannelID == "" {
		return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(
			":hourglass_flowing_sand: <@%s> is opening the channel of #%d right now; the link will be in the card's thread.", row.OpenedBy, inc.Number)})
	}
	if !row.ArchivedAt.IsZero() {
		return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(":file_cabinet: #%d's channel <#%s> was archived after the incident was resolved.", inc.Number, row.ChannelID)})
	}
	if place.UserID != "" {
		if err := f.Slack.InviteToChannel(ctx, row.ChannelID, []string{place.UserID}); err != nil {
			f.Log.Warn().Err(err).Str("incident", inc.ID).Msg("clicker not invited to the incident channel")
		}
	}
	return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: fmt.Sprintf(":link: #%d already has its channel: <#%s>.", inc.Number, row.ChannelID)})
}
