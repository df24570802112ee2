// Package subscriptions is the feed's subscriptions feature: /toban
// subscribe (a modal, admins only), /toban subscriptions (a list with
// Remove buttons): which PagerDuty services' incidents a channel shows as
// live cards, or — a stakeholders' channel — whose status updates it gets.
//
// It owns the "feed.subscribe" callback ID and the "feed.unsubscribe"
// action ID. It reaches Slack, PagerDuty's services and the database only
// through the ports declared here, given concrete values in cmd/toban. It
// may import domain and the toolkit (handlers/chat); never storage,
// pagerduty, bot, webhook, poller, the router (handlers) or another
// feature.
package subscriptions

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// The feature's IDs.
const (
	// ViewSubscribe is the subscription modal's callback ID.
	ViewSubscribe = "feed.subscribe"
	// ActionRemove is the Remove button's action ID.
	ActionRemove = "feed.unsubscribe"
)

// Slack is the part of Slack's Web API the feature uses.
type Slack interface {
	chat.Teller
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (viewID string, err error)
}

// Store keeps subscriptions (*storage.DB).
type Store interface {
	Subscribe(ctx context.Context, s domain.Subscription) error
	Subscriptions(ctx context.Context, channelID string) ([]domain.Subscription, error)
	Subscription(ctx context.Context, id int64) (domain.Subscription, error)
	Unsubscribe(ctx context.Context, id int64) error
}

// Services lists every PagerDuty service, to name the ones subscribed to.
type Services interface {
	AllServices(ctx context.Context) ([]domain.Service, error)
}

// Feature is the subscriptions feature. Listing and removing need only the
// database; subscribing needs PagerDuty, and says it is not configured
// while Services is nil.
type Feature struct {
	Slack Slack
	Store Store
	// Services is nil when PagerDuty is not configured.
	Services Services
	// Clicks makes a modal act once.
	Clicks chat.Clicks
	// Admins may subscribe and remove subscriptions.
	Admins map[string]bool
}

// SubscribeCommand opens the subscription modal (admins only).
func (f *Feature) SubscribeCommand(in chat.Invocation) chat.Response {
	if f.Services == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	if !f.Admins[in.UserID] {
		return chat.Response{Ack: chat.Ephemeral(chat.OnlyAdmins)}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		_, err := f.Slack.OpenView(ctx, in.TriggerID, subscribeModal(in.ChannelID))
		if err != nil {
			return fmt.Errorf("open subscribe modal: %w", err)
		}
		return nil
	}}
}

// What a subscription gives its channel (the "delivery" radio buttons).
const (
	deliveryCards        = "cards"
	deliveryStakeholders = "stakeholders"
)

// subscribeModal is the subscription modal for channelID.
func subscribeModal(channelID string) slack.ModalViewRequest {
	services := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, chat.Plain("Search services"), chat.ActionServiceSuggest)
	zero := 0
	services.MinQueryLength = &zero
	cards := slack.NewOptionBlockObject(deliveryCards, chat.Plain("Live cards"), chat.Plain("A card per incident, updated on every change"))
	stakeholders := slack.NewOptionBlockObject(deliveryStakeholders, chat.Plain("Status updates only (stakeholders)"),
		chat.Plain("No cards: only the status updates posted on the incidents"))
	delivery := slack.NewRadioButtonsBlockElement("delivery", cards, stakeholders)
	delivery.InitialOption = cards
	high := slack.NewOptionBlockObject("high", chat.Plain("High urgency"), nil)
	low := slack.NewOptionBlockObject("low", chat.Plain("Low urgency"), nil)
	urgencies := slack.NewCheckboxGroupsBlockElement("urgencies", high, low)
	urgencies.InitialOptions = []*slack.OptionBlockObject{high, low}
	notes := slack.NewOptionBlockObject(domain.SubscriptionNotes, chat.Plain("Notes"), nil)
	escalations := slack.NewOptionBlockObject(domain.SubscriptionEscalations, chat.Plain("Escalations"), nil)
	reassignments := slack.NewOptionBlockObject(domain.SubscriptionReassignments, chat.Plain("Reassignments"), nil)
	events := slack.NewCheckboxGroupsBlockElement("events", notes, escalations, reassignments)
	events.InitialOptions = []*slack.OptionBlockObject{notes, escalations, reassignments}
	eventsBlock := slack.NewInputBlock("events", chat.Plain("Also reply in the card's thread on"), chat.Plain("Live cards only"), events)
	eventsBlock.Optional = true
	return chat.Modal(ViewSubscribe, "Subscribe channel", "Subscribe", chat.ModalState{ChannelID: channelID},
		slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf("Incidents of these services get a live card in <#%s>: posted when triggered, updated on every change. A stakeholders' channel gets only their status updates.", channelID)), nil, nil),
		slack.NewInputBlock("services", chat.Plain("Services"), nil, services),
		slack.NewInputBlock("delivery", chat.Plain("This channel gets"), nil, delivery),
		slack.NewInputBlock("urgencies", chat.Plain("Urgencies"), nil, urgencies),
		eventsBlock,
	)
}

// subscribeForm is the subscription modal as submitted.
type subscribeForm struct {
	serviceIDs, urgencies, events []string
	// stakeholders: status updates only, no cards (events are then
	// dropped: there is no card to reply to).
	stakeholders bool
}

// subscribeInput validates the subscription modal.
func subscribeInput(values map[string]map[string]slack.BlockAction) (form subscribeForm, errs map[string]string) {
	errs = map[string]string{}
	for _, o := range values["services"][chat.ActionServiceSuggest].SelectedOptions {
		form.serviceIDs = append(form.serviceIDs, o.Value)
	}
	for _, o := range values["urgencies"]["urgencies"].SelectedOptions {
		if o.Value == "high" || o.Value == "low" {
			form.urgencies = append(form.urgencies, o.Value)
		}
	}
	switch values["delivery"]["delivery"].SelectedOption.Value {
	case "", deliveryCards: // a form from before the choice means cards
	case deliveryStakeholders:
		form.stakeholders = true
	default:
		errs["delivery"] = "Choose live cards or status updates only."
	}
	for _, o := range values["events"]["events"].SelectedOptions {
		switch o.Value {
		case domain.SubscriptionNotes, domain.SubscriptionEscalations, domain.SubscriptionReassignments:
			if !form.stakeholders {
				form.events = append(form.events, o.Value)
			}
		}
	}
	if len(form.serviceIDs) == 0 {
		errs["services"] = "Choose at least one service."
	}
	if len(form.serviceIDs) > 100 {
		errs["services"] = "Choose at most 100 services at once."
	}
	if len(form.urgencies) == 0 {
		errs["urgencies"] = "Choose at least one urgency."
	}
	return form, errs
}

// Submission answers the subscription modal: field errors in the ack,
// else the subscriptions saved once.
func (f *Feature) Submission(ctx context.Context, cb slack.InteractionCallback) chat.Response {
	state, err := chat.DecodeModalState(cb.View.PrivateMetadata)
	if err != nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.UserMessage(err)})}
	}
	if f.Services == nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.NotConfigured})}
	}
	form, errs := subscribeInput(cb.View.State.Values)
	if len(errs) > 0 {
		return chat.Response{Ack: chat.ViewErrors(errs)}
	}
	return chat.Response{Then: chat.Once(f.Clicks, "view:"+cb.View.ID, func(ctx context.Context) error {
		return f.subscribe(ctx, cb.User.ID, state.ChannelID, form)
	})}
}

func (f *Feature) subscribe(ctx context.Context, userID, channelID string, form subscribeForm) error {
	if !f.Admins[userID] {
		return chat.TellClicker(ctx, f.Slack, chat.Place{UserID: userID, ChannelID: channelID}, chat.OnlyAdmins)
	}
	all, err := f.Services.AllServices(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, s := range all {
		names[s.ID] = s.Name
	}
	var subscribed []string
	for _, id := range form.serviceIDs {
		name, ok := names[id]
		if !ok {
			return domain.Invalid("PagerDuty has no service %s any more; nothing was subscribed.", id)
		}
		if err := f.Store.Subscribe(ctx, domain.Subscription{ChannelID: channelID, ServiceID: id, ServiceName: name,
			Urgencies: form.urgencies, Events: form.events, Stakeholders: form.stakeholders, CreatedBy: userID}); err != nil {
			return err
		}
		subscribed = append(subscribed, "*"+chat.Escape(name)+"*")
	}
	what := "New incidents get a live card here."
	if form.stakeholders {
		what = "This is a stakeholders' channel: the status updates of their incidents are posted here, and no cards."
	}
	_, err = f.Slack.PostMessage(ctx, channelID, chat.Message{Text: fmt.Sprintf(":satellite_antenna: <@%s> subscribed this channel to %s (%s urgency). %s `/toban subscriptions` lists them.",
		userID, strings.Join(subscribed, ", "), strings.Join(form.urgencies, " and "), what)})
	return err
}

// ListCommand lists the channel's subscriptions with Remove buttons.
func (f *Feature) ListCommand(in chat.Invocation) chat.Response {
	return chat.Response{Then: func(ctx context.Context) error {
		subs, err := f.Store.Subscriptions(ctx, in.ChannelID)
		if err != nil {
			return err
		}
		if len(subs) == 0 {
			return f.Slack.Respond(ctx, in.ResponseURL, chat.Message{Text: "This channel is not subscribed to any PagerDuty service. Admins: `/toban subscribe`."})
		}
		blocks := []slack.Block{slack.NewHeaderBlock(chat.Plain("Subscriptions of this channel"))}
		for _, s := range subs {
			text := fmt.Sprintf("*%s* — %s urgency", chat.Escape(s.ServiceName), strings.Join(s.Urgencies, " and "))
			if s.Stakeholders {
				text += "; status updates only (stakeholders)"
			}
			if len(s.Events) > 0 {
				text += "; thread replies on " + strings.Join(s.Events, ", ")
			}
			remove := slack.NewButtonBlockElement(ActionRemove, strconv.FormatInt(s.ID, 10), chat.Plain("Remove"))
			remove.Style = slack.StyleDanger
			lose := "New incidents of " + s.ServiceName + " will no longer get cards in this channel."
			if s.Stakeholders {
				lose = "Status updates of " + s.ServiceName + "'s incidents will no longer be posted in this channel."
			}
			remove.Confirm = slack.NewConfirmationBlockObject(chat.Plain("Remove subscription?"),
				chat.Plain(chat.Truncate(lose, 300)), chat.Plain("Remove"), chat.Plain("Keep"))
			blocks = append(blocks, slack.NewSectionBlock(chat.Mrkdwn(text), nil, slack.NewAccessory(remove)))
		}
		return f.Slack.Respond(ctx, in.ResponseURL, chat.Message{Text: fmt.Sprintf("%d subscriptions", len(subs)), Blocks: blocks})
	}}
}

// Remove answers a Remove button (admins only).
func (f *Feature) Remove(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	if !f.Admins[cb.User.ID] {
		return chat.RespondLater(f.Slack, place.ResponseURL, chat.OnlyAdmins)
	}
	return chat.RemoveButton(f.Slack, place, act.Value, chat.Row[domain.Subscription]{
		Read:   f.Store.Subscription,
		Delete: f.Store.Unsubscribe,
		Removed: func(sub domain.Subscription) string {
			what := "cards"
			if sub.Stakeholders {
				what = "status updates"
			}
			return fmt.Sprintf(":wastebasket: Removed: this channel no longer gets %s for *%s*.", what, chat.Escape(sub.ServiceName))
		},
		Gone:  "That subscription was already removed.",
		Again: "/toban subscriptions",
	})
}
