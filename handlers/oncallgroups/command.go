package oncallgroups

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

// maxLevel is the deepest escalation level the modal offers.
const maxLevel = 5

// Command answers /toban oncall group [add] (admins only): the ties with
// Remove buttons and an Add button, or, with none yet or with "add", the
// tie modal.
func (f *Feature) Command(args []string, in chat.Invocation) chat.Response {
	if f.PagerDuty == nil {
		return chat.Response{Ack: chat.Ephemeral(notConfigured)}
	}
	if !f.Admins[in.UserID] {
		return chat.Response{Ack: chat.Ephemeral(OnlyAdmins)}
	}
	if len(args) > 0 && !strings.EqualFold(args[0], "add") {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: "Usage: `/toban oncall group` lists the user groups kept equal to who is on call; `/toban oncall group add` ties another."})}
	}
	place := chat.Place{UserID: in.UserID, ChannelID: in.ChannelID, ResponseURL: in.ResponseURL}
	return chat.Response{Then: func(ctx context.Context) error {
		if len(args) == 0 {
			ties, err := f.Store.OnCallGroups(ctx)
			if err != nil {
				return err
			}
			if len(ties) > 0 {
				return f.Slack.Respond(ctx, in.ResponseURL, listMessage(ties))
			}
		}
		return f.openModal(ctx, in.TriggerID, place)
	}}
}

// openModal opens the tie modal, or tells the admin why it cannot.
func (f *Feature) openModal(ctx context.Context, triggerID string, place chat.Place) error {
	groups, err := f.Slack.UserGroups(ctx)
	if errors.Is(err, domain.ErrPaidPlanOnly) {
		return chat.TellClicker(ctx, f.Slack, place, chatMessage(FreePlan))
	}
	if err != nil {
		return err
	}
	if len(groups) == 0 {
		return chat.TellClicker(ctx, f.Slack, place, chatMessage("This workspace has no user groups yet. Create one in Slack (People › User groups), then run `/toban oncall group` again."))
	}
	policies, err := f.PagerDuty.EscalationPolicies(ctx)
	if err != nil {
		return err
	}
	_, err = f.Slack.OpenView(ctx, triggerID, tieModal(place.ChannelID, groups, policies))
	if err != nil {
		return fmt.Errorf("open on-call group modal: %w", err)
	}
	return nil
}

func tieModal(channelID string, groups []domain.UserGroup, policies []domain.EscalationPolicy) slack.ModalViewRequest {
	var groupOpts []*slack.OptionBlockObject
	for i, g := range groups {
		if i == 100 {
			break
		}
		groupOpts = append(groupOpts, slack.NewOptionBlockObject(g.ID, chat.Plain(chat.Truncate("@"+g.Handle, 75)), nil))
	}
	group := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("Choose a user group"), "group", groupOpts...)
	schedule := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, chat.Plain("Search schedules"), ActionSchedule)
	zero := 0
	schedule.MinQueryLength = &zero
	scheduleBlock := slack.NewInputBlock("schedule", chat.Plain("Schedule"), chat.Plain("Who is on call for this schedule…"), schedule)
	scheduleBlock.Optional = true
	blocks := []slack.Block{
		slack.NewSectionBlock(chat.Mrkdwn(fmt.Sprintf("toban keeps the user group's members equal to who is on call — at shift changes, overrides and takes — and never empties it. Warnings go to <#%s>.", channelID)), nil, nil),
		slack.NewInputBlock("group", chat.Plain("User group"), nil, group),
		scheduleBlock,
	}
	var policyOpts []*slack.OptionBlockObject
	for i, p := range policies {
		if i == 100 {
			break
		}
		policyOpts = append(policyOpts, slack.NewOptionBlockObject(p.ID, chat.Plain(chat.Truncate(p.Name, 75)), nil))
	}
	if len(policyOpts) > 0 {
		policy := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("Choose a policy"), "policy", policyOpts...)
		policyBlock := slack.NewInputBlock("policy", chat.Plain("Escalation policy"), chat.Plain("…or who is on call at a level of this escalation policy."), policy)
		policyBlock.Optional = true
		var levelOpts []*slack.OptionBlockObject
		for l := 1; l <= maxLevel; l++ {
			levelOpts = append(levelOpts, slack.NewOptionBlockObject(strconv.Itoa(l), chat.Plain("Level "+strconv.Itoa(l)), nil))
		}
		level := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("Level"), "level", levelOpts...)
		level.InitialOption = levelOpts[0]
		levelBlock := slack.NewInputBlock("level", chat.Plain("Level"), nil, level)
		levelBlock.Optional = true
		blocks = append(blocks, policyBlock, levelBlock)
	}
	return chat.Modal(ViewTie, "On-call user group", "Keep in sync", chat.ModalState{ChannelID: channelID}, blocks...)
}

// tieInput reads the modal: a group and a schedule, or a group and a
// policy's level.
func tieInput(values map[string]map[string]slack.BlockAction) (domain.OnCallGroup, map[string]string) {
	errs := map[string]string{}
	var tie domain.OnCallGroup
	g := values["group"]["group"].SelectedOption
	tie.GroupID, tie.Handle = g.Value, strings.TrimPrefix(optionText(g), "@")
	s := values["schedule"][ActionSchedule].SelectedOption
	p := values["policy"]["policy"].SelectedOption
	switch {
	case tie.GroupID == "":
		errs["group"] = "Choose a user group."
	}
	switch {
	case s.Value != "" && p.Value != "":
		errs["policy"] = "Choose a schedule or an escalation policy, not both."
	case s.Value != "":
		tie.ScheduleID, tie.SourceName = s.Value, optionText(s)
	case p.Value != "":
		tie.PolicyID, tie.SourceName = p.Value, optionText(p)
		level, err := strconv.Atoi(values["level"]["level"].SelectedOption.Value)
		if err != nil || level < 1 || level > maxLevel {
			errs["level"] = "Choose a level."
		}
		tie.Level = level
	default:
		errs["schedule"] = "Choose a schedule, or an escalation policy below."
	}
	return tie, errs
}

func optionText(o slack.OptionBlockObject) string {
	if o.Text == nil {
		return ""
	}
	return o.Text.Text
}

// Submission answers the tie modal: field errors in the ack, else the tie
// saved once, told in the channel, and synced at once.
func (f *Feature) Submission(_ context.Context, cb slack.InteractionCallback) chat.Response {
	state, err := chat.DecodeModalState(cb.View.PrivateMetadata)
	if err != nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.UserMessage(err)})}
	}
	if f.PagerDuty == nil {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.NotConfigured})}
	}
	if !f.Admins[cb.User.ID] {
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): OnlyAdmins.Text})}
	}
	tie, errs := tieInput(cb.View.State.Values)
	if len(errs) > 0 {
		return chat.Response{Ack: chat.ViewErrors(errs)}
	}
	tie.ChannelID, tie.CreatedBy = state.ChannelID, cb.User.ID
	return chat.Response{Then: chat.Once(f.Clicks, "view:"+cb.View.ID, func(ctx context.Context) error {
		if _, err := f.Store.SaveOnCallGroup(ctx, tie); err != nil {
			return err
		}
		f.changed()
		_, err := f.Slack.PostMessage(ctx, tie.ChannelID, chatMessage(fmt.Sprintf(
			":busts_in_silhouette: <@%s> tied @%s to *%s*: toban keeps its members equal to who is on call, within a minute of every change. `/toban oncall group` lists the ties.",
			tie.CreatedBy, tie.Handle, sourceText(tie))))
		return err
	})}
}

// listMessage lists the ties with Remove buttons and an Add button.
func listMessage(ties []domain.OnCallGroup) chat.Message {
	blocks := []slack.Block{slack.NewHeaderBlock(chat.Plain("On-call user groups"))}
	for _, t := range ties {
		text := fmt.Sprintf("*@%s* — who is on call for *%s*; now %s", chat.Escape(t.Handle), sourceText(t), mentions(t.Members))
		remove := slack.NewButtonBlockElement(ActionRemove, strconv.FormatInt(t.ID, 10), chat.Plain("Remove"))
		remove.Style = slack.StyleDanger
		remove.Confirm = slack.NewConfirmationBlockObject(chat.Plain("Stop syncing?"),
			chat.Plain(chat.Truncate("@"+t.Handle+" keeps its members but is no longer kept equal to who is on call.", 300)), chat.Plain("Remove"), chat.Plain("Keep"))
		blocks = append(blocks, slack.NewSectionBlock(chat.Mrkdwn(text), nil, slack.NewAccessory(remove)))
	}
	blocks = append(blocks, slack.NewActionBlock("oncallgroup.actions", slack.NewButtonBlockElement(ActionAdd, "add", chat.Plain("Tie another user group"))))
	return chat.Message{Text: fmt.Sprintf("%d on-call user groups", len(ties)), Blocks: blocks}
}

// Click answers the list's buttons (admins only).
func (f *Feature) Click(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	if f.PagerDuty == nil {
		return chat.RespondLater(f.Slack, place.ResponseURL, notConfigured)
	}
	if !f.Admins[cb.User.ID] {
		return chat.RespondLater(f.Slack, place.ResponseURL, OnlyAdmins)
	}
	switch act.ActionID {
	case ActionAdd:
		return chat.Response{Then: func(ctx context.Context) error { return f.openModal(ctx, cb.TriggerID, place) }}
	case ActionRemove:
		return f.remove(place, act.Value)
	}
	return chat.RespondLater(f.Slack, place.ResponseURL, chat.Message{Text: ":thinking_face: That button belongs to an older version of toban. Run the command again."})
}

func (f *Feature) remove(place chat.Place, value string) chat.Response {
	return chat.RemoveButton(f.Slack, place, value, chat.Row[domain.OnCallGroup]{
		Read: f.Store.OnCallGroup,
		Delete: func(ctx context.Context, id int64) error {
			if err := f.Store.DeleteOnCallGroup(ctx, id); err != nil {
				return err
			}
			f.changed()
			return nil
		},
		Removed: func(tie domain.OnCallGroup) string {
			return fmt.Sprintf(":wastebasket: Removed: @%s keeps its members and is no longer kept equal to who is on call for *%s*.",
				chat.Escape(tie.Handle), sourceText(tie))
		},
		Gone:  "That tie was already removed.",
		Again: "/toban oncall group",
	})
}

// sourceText names what a tie follows.
func sourceText(t domain.OnCallGroup) string {
	name := t.SourceName
	if name == "" {
		name = t.ScheduleID + t.PolicyID
	}
	if t.PolicyID != "" {
		return fmt.Sprintf("%s, level %d", chat.Escape(name), t.Level)
	}
	return chat.Escape(name)
}

// mentions renders members as Slack mentions.
func mentions(ids []string) string {
	if len(ids) == 0 {
		return "nobody"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "<@" + id + ">"
	}
	return strings.Join(out, ", ")
}

func chatMessage(text string) chat.Message { return chat.Message{Text: text} }
