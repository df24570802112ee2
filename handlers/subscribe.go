package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

const (
	viewSubscribe            = "feed.subscribe"
	actionRemoveSubscription = "feed.unsubscribe"
)

// Thread reply kinds a subscription can show.
const (
	replyNotes         = "notes"
	replyEscalations   = "escalations"
	replyReassignments = "reassignments"
)

var onlyAdmins = chat.Message{Text: ":no_entry: Only toban admins (`TOBAN_ADMINS`) can change what this channel is subscribed to."}

// subscribeCommand opens the subscription modal (admins only).
func (a *App) subscribeCommand(in invocation) chat.Response {
	if a.PagerDuty == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	if !a.Admins[in.UserID] {
		return chat.Response{Ack: chat.Ephemeral(onlyAdmins)}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		services := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, chat.Plain("Search services"), actionServiceSuggest)
		zero := 0
		services.MinQueryLength = &zero
		high := slack.NewOptionBlockObject("high", chat.Plain("High urgency"), nil)
		low := slack.NewOptionBlockObject("low", chat.Plain("Low urgency"), nil)
		urgencies := slack.NewCheckboxGroupsBlockElement("urgencies", high, low)
		urgencies.InitialOptions = []*slack.OptionBlockObject{high, low}
		notes := slack.NewOptionBlockObject(replyNotes, chat.Plain("Notes"), nil)
		escalations := slack.NewOptionBlockObject(replyEscalations, chat.Plain("Escalations"), nil)
		reassignments := slack.NewOptionBlockObject(replyReassignments, chat.Plain("Reassignments"), nil)
		events := slack.NewCheckboxGroupsBlockElement("events", notes, escalations, reassignments)
		events.InitialOptions = []*slack.OptionBlockObject{notes, escalations, reassignments}
		eventsBlock := slack.NewInputBlock("events", chat.Plain("Also reply in the card's thread on"), nil, events)
		eventsBlock.Optional = true
		_, err := a.Slack.OpenView(ctx, in.TriggerID, chat.Modal(viewSubscribe, "Subscribe channel", "Subscribe", chat.ModalState{ChannelID: in.ChannelID},
			slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf("Incidents of these services get a live card in <#%s>: posted when triggered, updated on every change.", in.ChannelID)), nil, nil),
			slack.NewInputBlock("services", chat.Plain("Services"), nil, services),
			slack.NewInputBlock("urgencies", chat.Plain("Urgencies"), nil, urgencies),
			eventsBlock,
		))
		if err != nil {
			return fmt.Errorf("open subscribe modal: %w", err)
		}
		return nil
	}}
}

// subscribeInput validates the subscription modal.
func subscribeInput(values map[string]map[string]slack.BlockAction) (serviceIDs, urgencies, events []string, errs map[string]string) {
	errs = map[string]string{}
	for _, o := range values["services"][actionServiceSuggest].SelectedOptions {
		serviceIDs = append(serviceIDs, o.Value)
	}
	for _, o := range values["urgencies"]["urgencies"].SelectedOptions {
		if o.Value == "high" || o.Value == "low" {
			urgencies = append(urgencies, o.Value)
		}
	}
	for _, o := range values["events"]["events"].SelectedOptions {
		switch o.Value {
		case replyNotes, replyEscalations, replyReassignments:
			events = append(events, o.Value)
		}
	}
	if len(serviceIDs) == 0 {
		errs["services"] = "Choose at least one service."
	}
	if len(serviceIDs) > 100 {
		errs["services"] = "Choose at most 100 services at once."
	}
	if len(urgencies) == 0 {
		errs["urgencies"] = "Choose at least one urgency."
	}
	return serviceIDs, urgencies, events, errs
}

func (a *App) subscribe(ctx context.Context, userID, channelID string, serviceIDs, urgencies, events []string) error {
	if !a.Admins[userID] {
		return a.tellClicker(ctx, chat.Place{UserID: userID, ChannelID: channelID}, onlyAdmins)
	}
	all, err := a.AllServices(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, s := range all {
		names[s.ID] = s.Name
	}
	var subscribed []string
	for _, id := range serviceIDs {
		name, ok := names[id]
		if !ok {
			return domain.Invalid("PagerDuty has no service %s any more; nothing was subscribed.", id)
		}
		if err := a.Store.Subscribe(ctx, domain.Subscription{ChannelID: channelID, ServiceID: id, ServiceName: name,
			Urgencies: urgencies, Events: events, CreatedBy: userID}); err != nil {
			return err
		}
		subscribed = append(subscribed, "*"+chat.Escape(name)+"*")
	}
	_, err = a.Slack.PostMessage(ctx, channelID, chat.Message{Text: fmt.Sprintf(":satellite_antenna: <@%s> subscribed this channel to %s (%s urgency). New incidents get a live card here. `/toban subscriptions` lists them.",
		userID, strings.Join(subscribed, ", "), strings.Join(urgencies, " and "))})
	return err
}

// subscriptionsCommand lists the channel's subscriptions with Remove buttons.
func (a *App) subscriptionsCommand(in invocation) chat.Response {
	return chat.Response{Then: func(ctx context.Context) error {
		subs, err := a.Store.Subscriptions(ctx, in.ChannelID)
		if err != nil {
			return err
		}
		if len(subs) == 0 {
			return a.Slack.Respond(ctx, in.ResponseURL, chat.Message{Text: "This channel is not subscribed to any PagerDuty service. Admins: `/toban subscribe`."})
		}
		blocks := []slack.Block{slack.NewHeaderBlock(chat.Plain("Subscriptions of this channel"))}
		for _, s := range subs {
			text := fmt.Sprintf("*%s* — %s urgency", chat.Escape(s.ServiceName), strings.Join(s.Urgencies, " and "))
			if len(s.Events) > 0 {
				text += "; thread replies on " + strings.Join(s.Events, ", ")
			}
			remove := slack.NewButtonBlockElement(actionRemoveSubscription, strconv.FormatInt(s.ID, 10), chat.Plain("Remove"))
			remove.Style = slack.StyleDanger
			remove.Confirm = slack.NewConfirmationBlockObject(chat.Plain("Remove subscription?"),
				chat.Plain(chat.Truncate("New incidents of "+s.ServiceName+" will no longer get cards in this channel.", 300)), chat.Plain("Remove"), chat.Plain("Keep"))
			blocks = append(blocks, slack.NewSectionBlock(chat.Mrkdwn(text), nil, slack.NewAccessory(remove)))
		}
		return a.Slack.Respond(ctx, in.ResponseURL, chat.Message{Text: fmt.Sprintf("%d subscriptions", len(subs)), Blocks: blocks})
	}}
}

func (a *App) removeSubscription(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	if !a.Admins[cb.User.ID] {
		return a.respondLater(place.ResponseURL, onlyAdmins)
	}
	id, err := strconv.ParseInt(act.Value, 10, 64)
	if err != nil {
		return a.respondLater(place.ResponseURL, chat.Message{Text: ":thinking_face: That button is broken; run `/toban subscriptions` again."})
	}
	return chat.Response{Then: func(ctx context.Context) error {
		sub, err := a.Store.Subscription(ctx, id)
		if errors.Is(err, domain.ErrNotFound) {
			return a.Slack.Respond(ctx, place.ResponseURL, chat.Message{Text: "That subscription was already removed."})
		}
		if err != nil {
			return err
		}
		if err := a.Store.Unsubscribe(ctx, id); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		return a.Slack.Respond(ctx, place.ResponseURL, chat.Message{Text: fmt.Sprintf(":wastebasket: Removed: this channel no longer gets cards for *%s*.", chat.Escape(sub.ServiceName))})
	}}
}
