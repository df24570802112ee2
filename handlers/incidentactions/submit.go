package incidentactions

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// request is what a submitted modal asks for, checked.
type request struct {
	kind string
	// Reassign…: to whom, and the name the person picked.
	to      domain.Reassignment
	toLabel string
	// Snooze…
	snooze time.Duration
	// Change priority…
	priorityID, priorityName string
	// Add responders…: whom (with the names picked) and the message.
	targets     []domain.ResponderTarget
	targetNames map[domain.ResponderTarget]string
	message     string
}

// parseSubmission reads and checks a modal's values; errs holds a message
// per block ID for the fields to fix, and nothing is done then.
func parseSubmission(callbackID string, values map[string]map[string]slack.BlockAction) (request, map[string]string) {
	switch callbackID {
	case ViewReassign:
		opt := values[blockTarget][ActionTarget].SelectedOption
		t, ok := parseTarget(opt.Value)
		if !ok {
			return request{}, map[string]string{blockTarget: "Pick a person or an escalation policy from the list."}
		}
		r := request{kind: KindReassign, toLabel: optionText(opt)}
		if t.Kind == domain.TargetUser {
			r.to.UserIDs = []string{t.ID}
		} else {
			r.to.EscalationPolicyID = t.ID
		}
		if err := r.to.Validate(); err != nil {
			return request{}, map[string]string{blockTarget: chat.UserMessage(err)}
		}
		return r, nil
	case ViewSnooze:
		d, err := time.ParseDuration(values[blockDuration][blockDuration].SelectedOption.Value)
		if err != nil {
			return request{}, map[string]string{blockDuration: "Choose how long to snooze."}
		}
		if err := domain.ValidateSnooze(d); err != nil {
			return request{}, map[string]string{blockDuration: chat.UserMessage(err)}
		}
		return request{kind: KindSnooze, snooze: d}, nil
	case ViewPriority:
		opt := values[blockPriority][blockPriority].SelectedOption
		if strings.TrimSpace(opt.Value) == "" {
			return request{}, map[string]string{blockPriority: "Choose a priority."}
		}
		return request{kind: KindPriority, priorityID: opt.Value, priorityName: optionText(opt)}, nil
	case ViewResponders:
		return parseResponders(values)
	}
	return request{}, nil
}

func parseResponders(values map[string]map[string]slack.BlockAction) (request, map[string]string) {
	errs := map[string]string{}
	r := request{kind: KindResponders, targetNames: map[domain.ResponderTarget]string{}}
	for _, opt := range values[blockTargets][ActionTargets].SelectedOptions {
		t, ok := parseTarget(opt.Value)
		if !ok {
			errs[blockTargets] = "Pick people or escalation policies from the list."
			break
		}
		if _, dup := r.targetNames[t]; dup {
			continue
		}
		r.targets = append(r.targets, t)
		r.targetNames[t] = optionText(opt)
	}
	switch {
	case errs[blockTargets] != "":
	case len(r.targets) == 0:
		errs[blockTargets] = "Pick at least one person or escalation policy."
	case len(r.targets) > domain.MaxResponderTargets:
		errs[blockTargets] = fmt.Sprintf("Pick at most %d at once.", domain.MaxResponderTargets)
	}
	r.message = strings.TrimSpace(values[blockMessage][blockMessage].Value)
	switch {
	case r.message == "":
		errs[blockMessage] = "PagerDuty needs a message: say what you need from them."
	case utf8.RuneCountInString(r.message) > maxMessageLength:
		errs[blockMessage] = fmt.Sprintf("Keep the message to %d characters: it is sent by SMS too.", maxMessageLength)
	}
	if len(errs) > 0 {
		return request{}, errs
	}
	return r, nil
}

// optionText is the text of a picked option, as the person read it.
func optionText(o slack.OptionBlockObject) string {
	if o.Text != nil {
		return o.Text.Text
	}
	return o.Value
}

// Submission handles the Submit of one of the feature's modals. Field
// errors are answered in the ack and nothing is done; otherwise the
// action runs once per view, however often Slack delivers it.
func (f *Feature) Submission(_ context.Context, cb slack.InteractionCallback) chat.Response {
	state, err := chat.DecodeModalState(cb.View.PrivateMetadata)
	if err != nil || state.IncidentID == "" {
		if err == nil {
			err = domain.Invalid("This form is from an older toban. Close it and choose the action again.")
		}
		return chat.Response{Ack: chat.ViewErrors(map[string]string{chat.FirstBlockID(cb.View): chat.UserMessage(err)})}
	}
	var values map[string]map[string]slack.BlockAction
	if cb.View.State != nil { // a submission without state is a bad body: field errors, not a panic
		values = cb.View.State.Values
	}
	req, errs := parseSubmission(cb.View.CallbackID, values)
	if len(errs) > 0 {
		return chat.Response{Ack: chat.ViewErrors(errs)}
	}
	if req.kind == "" {
		f.Log.Debug().Str("callback_id", cb.View.CallbackID).Msg("unknown modal submitted")
		return chat.Response{}
	}
	place := chat.Place{UserID: cb.User.ID, ChannelID: state.ChannelID, MessageTS: state.MessageTS}
	return chat.Response{Then: chat.Once(f.Store, "view:"+cb.View.ID, func(ctx context.Context) error {
		return f.act(ctx, place, state.IncidentID, cb.View.ID, req)
	})}
}
