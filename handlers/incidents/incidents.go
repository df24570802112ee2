package incidents

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// Bulk actions offered under /toban incidents. Their value is the
// comma-separated incident IDs the confirmation listed; each is re-read
// before acting.
const (
	actionAckAllMine     = "incidents.ack_mine"
	actionResolveAllMine = "incidents.resolve_mine"
)

// maxListed bounds the cards in one answer (Slack allows 50 blocks).
const maxListed = 10

// Command answers /toban incidents [mine|all|<service>].
func (a *Feature) Command(args []string, userID, responseURL string) chat.Response {
	if a.PagerDuty == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	scope := strings.TrimSpace(strings.Join(args, " "))
	return chat.Response{Then: func(ctx context.Context) error {
		msg, err := a.listIncidents(ctx, userID, scope)
		if err != nil {
			return err
		}
		return a.Slack.Respond(ctx, responseURL, msg)
	}}
}

func (a *Feature) listIncidents(ctx context.Context, userID, scope string) (chat.Message, error) {
	var filter domain.IncidentFilter
	heading := "Open incidents"
	actor, actorErr := a.ActingAs(ctx, userID)
	var notLinked *identity.NotLinkedError
	if actorErr != nil && !errors.As(actorErr, &notLinked) {
		return chat.Message{}, actorErr
	}
	switch strings.ToLower(scope) {
	case "", "all":
	case "mine":
		if notLinked != nil {
			return identity.NotLinkedMessage(notLinked), nil
		}
		filter.UserIDs = []string{actor.ID}
		heading = "Open incidents assigned to you"
	default:
		all, err := a.AllServices(ctx)
		if err != nil {
			return chat.Message{}, err
		}
		for _, s := range domain.MatchServices(all, scope) {
			filter.ServiceIDs = append(filter.ServiceIDs, s.ID)
		}
		if len(filter.ServiceIDs) == 0 {
			return chat.Message{Text: fmt.Sprintf(":mag: No PagerDuty service matches %q. Try `/toban incidents all`.", scope)}, nil
		}
		heading = fmt.Sprintf("Open incidents on services matching %q", scope)
	}
	list, err := a.PagerDuty.OpenIncidents(ctx, filter)
	if err != nil {
		return chat.Message{}, fmt.Errorf("list incidents: %w", err)
	}
	if len(list) == 0 {
		return chat.Message{Text: ":sunny: " + heading + ": none."}, nil
	}
	sort.Slice(list, func(i, j int) bool { return list[i].CreatedAt.After(list[j].CreatedAt) })

	blocks := []slack.Block{slack.NewHeaderBlock(chat.Plain(fmt.Sprintf("%s: %d", heading, len(list))))}
	for i, inc := range list {
		if i == maxListed {
			blocks = append(blocks, slack.NewContextBlock("", chat.Mrkdwn(fmt.Sprintf("…and %d more. Narrow it down: `/toban incidents <service>`.", len(list)-maxListed))))
			break
		}
		view := a.cardViewOf(ctx, inc)
		view.Compact = true
		blocks = append(blocks, renderCard(view).Blocks...)
		blocks = append(blocks, slack.NewDividerBlock())
	}
	if notLinked == nil {
		if bulk := bulkButtons(list, actor); bulk != nil {
			blocks = append(blocks, bulk)
		}
	}
	return chat.Message{Text: fmt.Sprintf("%s: %d", heading, len(list)), Blocks: blocks}, nil
}

// bulkButtons offers the two bulk actions, each behind a confirmation that
// lists exactly what will change.
func bulkButtons(list []domain.Incident, me domain.Person) slack.Block {
	var toAck, toResolve []domain.Incident
	for _, inc := range list {
		switch {
		case inc.Status == domain.StatusTriggered && assignedTo(inc, me.ID):
			toAck = append(toAck, inc)
		case inc.Status == domain.StatusAcknowledged && acknowledgedBy(inc, me.ID):
			toResolve = append(toResolve, inc)
		}
	}
	var buttons []slack.BlockElement
	add := func(action, label, verb string, incs []domain.Incident) {
		if len(incs) == 0 {
			return
		}
		ids := make([]string, len(incs))
		lines := make([]string, len(incs))
		for i, inc := range incs {
			ids[i] = inc.ID
			lines[i] = fmt.Sprintf("• #%d %s", inc.Number, inc.Title)
		}
		b := slack.NewButtonBlockElement(action, strings.Join(ids, ","), chat.Plain(fmt.Sprintf("%s (%d)", label, len(incs))))
		b.Confirm = slack.NewConfirmationBlockObject(chat.Plain(label+"?"),
			chat.Plain(chat.Truncate(fmt.Sprintf("This will %s, as you:\n%s", verb, strings.Join(lines, "\n")), 300)),
			chat.Plain("Yes, "+verb), chat.Plain("Cancel"))
		buttons = append(buttons, b)
	}
	add(actionAckAllMine, "Acknowledge all mine", "acknowledge these", toAck)
	add(actionResolveAllMine, "Resolve all acknowledged by me", "resolve these", toResolve)
	if len(buttons) == 0 {
		return nil
	}
	return slack.NewActionBlock("incidents/bulk", buttons...)
}

func assignedTo(inc domain.Incident, userID string) bool {
	for _, p := range inc.Assignees {
		if p.ID == userID {
			return true
		}
	}
	return false
}

func acknowledgedBy(inc domain.Incident, userID string) bool {
	for _, a := range inc.Acknowledgements {
		if a.By.ID == userID {
			return true
		}
	}
	return false
}

// BulkClick acts on every listed incident still in the state the
// confirmation promised, and reports what it did and skipped.
func (a *Feature) BulkClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	if a.PagerDuty == nil {
		return chat.RespondLater(a.Slack, place.ResponseURL, chat.Message{Text: chat.NotConfigured})
	}
	ids := strings.Split(act.Value, ",")
	return chat.Response{Then: chat.Once(a.Store, chat.ClickKey(cb, act), func(ctx context.Context) error {
		actor, ok, err := identity.ActorFor(ctx, a, a.Slack, place)
		if !ok {
			return err
		}
		var done, skipped []string
		for _, id := range ids {
			line, acted, err := a.bulkOne(ctx, act.ActionID, strings.TrimSpace(id), actor, place)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("%s (%s)", id, chat.UserMessage(err)))
				continue
			}
			if acted {
				done = append(done, line)
			} else {
				skipped = append(skipped, line)
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, ":white_check_mark: Done: %d.", len(done))
		if len(done) > 0 {
			b.WriteString(" " + strings.Join(done, ", "))
		}
		if len(skipped) > 0 {
			fmt.Fprintf(&b, "\nSkipped %d, changed since the list was made: %s", len(skipped), strings.Join(skipped, "; "))
		}
		return chat.TellClicker(ctx, a.Slack, chat.Place{UserID: place.UserID, ChannelID: place.ChannelID, ResponseURL: place.ResponseURL}, chat.Message{Text: b.String()})
	})}
}

func (a *Feature) bulkOne(ctx context.Context, action, id string, actor domain.Person, place chat.Place) (string, bool, error) {
	inc, unlock, err := a.lockIncident(ctx, id)
	if err != nil {
		return "", false, err
	}
	defer unlock()
	label := fmt.Sprintf("#%d", inc.Number)
	switch {
	case action == actionAckAllMine && inc.Status == domain.StatusTriggered && assignedTo(inc, actor.ID):
		inc, err = a.PagerDuty.Acknowledge(ctx, id, actor)
	case action == actionResolveAllMine && inc.Status == domain.StatusAcknowledged && acknowledgedBy(inc, actor.ID):
		inc, err = a.PagerDuty.Resolve(ctx, id, actor)
	default:
		return fmt.Sprintf("%s (now %s)", label, inc.Status), false, nil
	}
	if err != nil {
		return "", false, err
	}
	a.showOnCards(ctx, inc, chat.Place{UserID: place.UserID})
	return label, true, nil
}
