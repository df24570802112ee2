package incidents

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// Callback IDs of toban's modals.
const (
	viewEscalate = "incident.escalate"
	viewNote     = "incident.note"
	viewTrigger  = "incident.trigger"
)

// maxNoteLength is the longest note the modal takes. PagerDuty stores up
// to 25000 characters, but Slack refuses a whole views.open whose
// plain_text_input max_length is outside 1–3000 (invalid_arguments), so
// the tighter of the two limits wins.
const maxNoteLength = 3000

// openEscalate opens the escalation modal at once (trigger IDs expire in
// 3 s), then fills in the policy's levels when PagerDuty answers.
func (a *Feature) openEscalate(ctx context.Context, triggerID string, place chat.Place, incidentID string) error {
	state := chat.ModalState{IncidentID: incidentID, ChannelID: place.ChannelID, MessageTS: place.MessageTS}
	viewID, err := a.Slack.OpenView(ctx, triggerID, chat.Modal(viewEscalate, "Escalate", "", state,
		slack.NewSectionBlock(chat.Mrkdwn(":hourglass_flowing_sand: Reading the escalation policy…"), nil, nil)))
	if err != nil {
		return fmt.Errorf("open escalate modal: %w", err)
	}
	inc, err := a.PagerDuty.Incident(ctx, incidentID)
	if err != nil {
		return fmt.Errorf("read incident %s: %w", incidentID, err)
	}
	if !inc.Open() {
		return a.Slack.UpdateView(ctx, viewID, chat.Modal(viewEscalate, "Escalate", "", state,
			slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf("#%d is already resolved; there is nobody to escalate to.", inc.Number)), nil, nil)))
	}
	policy, err := a.PagerDuty.EscalationPolicy(ctx, inc.EscalationPolicyID)
	if err != nil {
		return fmt.Errorf("read escalation policy of %s: %w", incidentID, err)
	}
	current, err := a.PagerDuty.CurrentLevel(ctx, inc)
	if err != nil {
		current = 1
	}
	var options []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, l := range policy.Levels {
		label := fmt.Sprintf("Level %d — %s", l.Level, strings.Join(l.Targets, ", "))
		if l.Level == current {
			label += " (now)"
		}
		o := slack.NewOptionBlockObject(strconv.Itoa(l.Level), chat.Plain(chat.Truncate(label, 75)), nil)
		options = append(options, o)
		if l.Level == current+1 || (initial == nil && l.Level == len(policy.Levels)) {
			initial = o
		}
	}
	if len(options) == 0 {
		return a.Slack.UpdateView(ctx, viewID, chat.Modal(viewEscalate, "Escalate", "", state,
			slack.NewSectionBlock(chat.Mrkdwn("This incident's escalation policy has no levels."), nil, nil)))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("Choose a level"), "level", options...)
	sel.InitialOption = initial
	return a.Slack.UpdateView(ctx, viewID, chat.Modal(viewEscalate, "Escalate", "Escalate", state,
		slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf("*[#%d] %s*\nEscalation policy *%s*, now at level %d.", inc.Number, chat.Escape(inc.Title), chat.Escape(policy.Name), current)), nil, nil),
		slack.NewInputBlock("level", chat.Plain("Escalate to"), nil, sel),
	))
}

// openNote opens the Add note modal.
func (a *Feature) openNote(ctx context.Context, triggerID string, place chat.Place, incidentID string) error {
	state := chat.ModalState{IncidentID: incidentID, ChannelID: place.ChannelID, MessageTS: place.MessageTS}
	input := slack.NewPlainTextInputBlockElement(chat.Plain("What did you find or do?"), "text")
	input.Multiline = true
	input.MaxLength = maxNoteLength
	_, err := a.Slack.OpenView(ctx, triggerID, chat.Modal(viewNote, "Add note", "Add note", state,
		slack.NewInputBlock("note", chat.Plain("Note"), chat.Plain("Saved in PagerDuty as you, and posted in the card's thread."), input)))
	if err != nil {
		return fmt.Errorf("open note modal: %w", err)
	}
	return nil
}

// Submission handles a modal's Submit. Field errors are answered in the
// ack (response_action: errors) and nothing is saved.
func (a *Feature) Submission(cb slack.InteractionCallback) chat.Response {
	state, err := chat.DecodeModalState(cb.View.PrivateMetadata)
	if err != nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.UserMessage(err)})}
	}
	if a.PagerDuty == nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.NotConfigured})}
	}
	values := cb.View.State.Values
	place := chat.Place{UserID: cb.User.ID, ChannelID: state.ChannelID, MessageTS: state.MessageTS}
	// One modal is submitted once, even if the envelope comes twice.
	once := func(then func(ctx context.Context) error) func(ctx context.Context) error {
		return chat.Once(a.Store, "view:"+cb.View.ID, then)
	}
	switch cb.View.CallbackID {
	case viewNote:
		text := strings.TrimSpace(values["note"]["text"].Value)
		switch {
		case text == "":
			return chat.Response{Ack: chat.ViewErrors(map[string]string{"note": "Write the note first."})}
		case utf8.RuneCountInString(text) > maxNoteLength:
			return chat.Response{Ack: chat.ViewErrors(map[string]string{"note": fmt.Sprintf("A note can be at most %d characters.", maxNoteLength)})}
		}
		return chat.Response{Then: once(func(ctx context.Context) error { return a.addNote(ctx, place, state.IncidentID, text) })}
	case viewEscalate:
		level, err := strconv.Atoi(values["level"]["level"].SelectedOption.Value)
		if err != nil || level < 1 {
			return chat.Response{Ack: chat.ViewErrors(map[string]string{"level": "Choose a level."})}
		}
		return chat.Response{Then: once(func(ctx context.Context) error { return a.escalate(ctx, place, state.IncidentID, level) })}
	case viewTrigger:
		in, errs := triggerInput(values)
		if len(errs) > 0 {
			return chat.Response{Ack: chat.ViewErrors(errs)}
		}
		in.IncidentKey = "toban-" + cb.View.ID // a double submit opens one incident
		return chat.Response{Then: once(func(ctx context.Context) error { return a.trigger(ctx, place, in) })}
	}
	a.Log.Debug().Str("callback_id", cb.View.CallbackID).Msg("unknown modal submitted")
	return chat.Response{}
}

func (a *Feature) addNote(ctx context.Context, place chat.Place, incidentID, text string) error {
	actor, ok, err := identity.ActorFor(ctx, a, a.Slack, place)
	if !ok {
		return err
	}
	if _, err := a.PagerDuty.AddNote(ctx, incidentID, actor, text); err != nil {
		return fmt.Errorf("add note to %s: %w", incidentID, err)
	}
	if err := a.Store.RecordActivity(ctx, domain.Activity{IncidentID: incidentID, Kind: activityNote, SlackUserID: place.UserID, PDUserID: actor.ID, Detail: text, At: a.now()}); err != nil {
		a.Log.Warn().Err(err).Msg("activity not recorded")
	}
	a.adoptCard(ctx, incidentID, place)
	a.replyOnCards(ctx, incidentID, chat.Message{Text: fmt.Sprintf(":memo: Note by <@%s>:\n%s", place.UserID, chat.Quote(text))})
	return nil
}

func (a *Feature) escalate(ctx context.Context, place chat.Place, incidentID string, level int) error {
	actor, ok, err := identity.ActorFor(ctx, a, a.Slack, place)
	if !ok {
		return err
	}
	unlock, err := a.Store.LockIncident(ctx, incidentID)
	if err != nil {
		return err
	}
	defer unlock()
	inc, err := a.PagerDuty.Incident(ctx, incidentID)
	if err != nil {
		return fmt.Errorf("read incident %s: %w", incidentID, err)
	}
	if !inc.Open() {
		a.showOnCards(ctx, inc, place)
		return chat.TellClicker(ctx, a.Slack, place, chat.Message{Text: a.alreadyDone(ctx, inc, domain.StatusResolved)})
	}
	inc, err = a.PagerDuty.Escalate(ctx, incidentID, level, actor)
	if err != nil {
		return fmt.Errorf("escalate %s to level %d: %w", incidentID, level, err)
	}
	detail := fmt.Sprintf("level %d", level)
	if err := a.Store.RecordActivity(ctx, domain.Activity{IncidentID: incidentID, Kind: activityEscalated, SlackUserID: place.UserID, PDUserID: actor.ID, Detail: detail, At: a.now()}); err != nil {
		a.Log.Warn().Err(err).Msg("activity not recorded")
	}
	a.adoptCard(ctx, incidentID, place)
	assignees := cardView{Incident: inc}.assignees()
	a.replyOnCards(ctx, incidentID, chat.Message{Text: fmt.Sprintf(":arrow_double_up: <@%s> escalated #%d to %s (%s).", place.UserID, inc.Number, detail, assignees)})
	a.showOnCards(ctx, inc, place)
	return nil
}

// adoptCard records the channel message a modal was opened from as the
// incident's card in that channel, so thread replies land under it.
func (a *Feature) adoptCard(ctx context.Context, incidentID string, place chat.Place) {
	if place.MessageTS == "" || place.ChannelID == "" {
		return
	}
	err := a.Store.SaveCard(ctx, domain.Card{IncidentID: incidentID, ChannelID: place.ChannelID, TS: place.MessageTS})
	if err != nil && !errors.Is(err, domain.ErrCardExists) {
		a.Log.Warn().Err(err).Msg("card not recorded")
	}
}
