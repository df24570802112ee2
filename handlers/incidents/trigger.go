package incidents

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// actionServiceSuggest is the external select that searches services.
const actionServiceSuggest = chat.ActionServiceSuggest

// maxTitleLength is PagerDuty's limit on an incident title.
const maxTitleLength = 1024

// serviceCache keeps the list of all services for type-ahead, so that each
// keystroke is answered from memory instead of paging through PagerDuty.
type serviceCache struct {
	mu      sync.Mutex
	list    []domain.Service
	fetched time.Time
}

const serviceCacheTTL = 5 * time.Minute

// AllServices lists every PagerDuty service, by name, from a cache that
// PagerDuty refreshes every few minutes; features that resolve service
// names are given it.
func (a *Feature) AllServices(ctx context.Context) ([]domain.Service, error) {
	c := &a.services
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list != nil && a.now().Sub(c.fetched) < serviceCacheTTL {
		return c.list, nil
	}
	list, err := a.PagerDuty.Services(ctx, "", 0)
	if err != nil {
		if c.list != nil {
			return c.list, nil // stale beats nothing while PagerDuty hiccups
		}
		return nil, fmt.Errorf("list services: %w", err)
	}
	sort.Slice(list, func(i, j int) bool { return strings.ToLower(list[i].Name) < strings.ToLower(list[j].Name) })
	c.list, c.fetched = list, a.now()
	return list, nil
}

// TriggerCommand answers /toban trigger with the modal.
func (a *Feature) TriggerCommand(channelID, triggerID string) chat.Response {
	if a.PagerDuty == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		service := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, chat.Plain("Search services"), actionServiceSuggest)
		zero := 0
		service.MinQueryLength = &zero
		title := slack.NewPlainTextInputBlockElement(chat.Plain("e.g. Checkout returns 502 for some customers"), "title")
		title.MaxLength = maxTitleLength
		high := slack.NewOptionBlockObject("high", chat.Plain("High — page now"), nil)
		low := slack.NewOptionBlockObject("low", chat.Plain("Low — during working hours"), nil)
		urgency := slack.NewRadioButtonsBlockElement("urgency", high, low)
		urgency.InitialOption = high
		details := slack.NewPlainTextInputBlockElement(chat.Plain("What is happening, since when, what you tried"), "details")
		details.Multiline = true
		detailsBlock := slack.NewInputBlock("details", chat.Plain("Details"), nil, details)
		detailsBlock.Optional = true
		_, err := a.Slack.OpenView(ctx, triggerID, chat.Modal(viewTrigger, "Trigger an incident", "Trigger", chat.ModalState{ChannelID: channelID},
			slack.NewInputBlock("service", chat.Plain("Service"), nil, service),
			slack.NewInputBlock("title", chat.Plain("Title"), nil, title),
			slack.NewInputBlock("urgency", chat.Plain("Urgency"), nil, urgency),
			detailsBlock,
		))
		if err != nil {
			return fmt.Errorf("open trigger modal: %w", err)
		}
		return nil
	}}
}

// SuggestServices answers a block_suggestion for the service select. It
// must answer in the ack, so it works from the cache with a short timeout.
func (a *Feature) SuggestServices(ctx context.Context, query string) chat.Response {
	if a.PagerDuty == nil {
		return chat.Response{Ack: slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}}
	}
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	all, err := a.AllServices(ctx)
	if err != nil {
		a.Log.Warn().Err(err).Msg("services for type-ahead unavailable")
		return chat.Response{Ack: slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}}
	}
	matches := domain.MatchServices(all, query)
	if len(matches) > 100 { // Slack shows at most 100 options
		matches = matches[:100]
	}
	opts := make([]*slack.OptionBlockObject, 0, len(matches))
	for _, s := range matches {
		opts = append(opts, slack.NewOptionBlockObject(s.ID, chat.Plain(chat.Truncate(s.Name, 75)), nil))
	}
	return chat.Response{Ack: slack.OptionsResponse{Options: opts}}
}

// triggerInput validates the trigger modal's fields.
func triggerInput(values map[string]map[string]slack.BlockAction) (domain.NewIncident, map[string]string) {
	in := domain.NewIncident{
		ServiceID: values["service"][actionServiceSuggest].SelectedOption.Value,
		Title:     strings.TrimSpace(values["title"]["title"].Value),
		Urgency:   values["urgency"]["urgency"].SelectedOption.Value,
		Details:   strings.TrimSpace(values["details"]["details"].Value),
	}
	errs := map[string]string{}
	if in.ServiceID == "" {
		errs["service"] = "Choose the service that is affected."
	}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		errs["title"] = "Say in a few words what is wrong."
	case n > maxTitleLength:
		errs["title"] = fmt.Sprintf("The title can be at most %d characters.", maxTitleLength)
	}
	if in.Urgency != "high" && in.Urgency != "low" {
		errs["urgency"] = "Choose high or low."
	}
	return in, errs
}

// trigger opens the incident as the person and posts its card.
func (a *Feature) trigger(ctx context.Context, place chat.Place, in domain.NewIncident) error {
	actor, ok, err := identity.ActorFor(ctx, a, a.Slack, place)
	if !ok {
		return err
	}
	inc, err := a.PagerDuty.CreateIncident(ctx, in, actor)
	if err != nil {
		return fmt.Errorf("trigger on %s: %w", in.ServiceID, err)
	}
	if err := a.Store.RecordActivity(ctx, domain.Activity{IncidentID: inc.ID, Kind: activityTriggered, SlackUserID: place.UserID, PDUserID: actor.ID, At: a.now()}); err != nil {
		a.Log.Warn().Err(err).Msg("activity not recorded")
	}
	return a.postCard(ctx, inc, place.ChannelID)
}

// postCard posts a new card for inc in channel, once: a card already in
// the channel is updated instead.
func (a *Feature) postCard(ctx context.Context, inc domain.Incident, channelID string) error {
	if _, err := a.Store.CardIn(ctx, inc.ID, channelID); err == nil {
		a.showOnCards(ctx, inc, chat.Place{})
		return nil
	}
	ts, err := a.Slack.PostMessage(ctx, channelID, renderCard(a.cardViewOf(ctx, inc)))
	if err != nil {
		return fmt.Errorf("post card of %s in %s: %w", inc.ID, channelID, err)
	}
	c := domain.Card{IncidentID: inc.ID, ChannelID: channelID, TS: ts}
	if err := a.Store.SaveCard(ctx, c); err != nil && !errors.Is(err, domain.ErrCardExists) {
		return fmt.Errorf("record card of %s: %w", inc.ID, err)
	}
	return nil
}
