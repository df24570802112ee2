package incidentactions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// Open answers a choice of kind in the "More actions…" menu of the card
// of incidentID: it opens that action's modal, or says at once why not
// (not linked, resolved, not acknowledged for a snooze, no priorities).
// Those checks come before the modal, not after, because a modal that
// can only fail wastes the person's time; they are a link lookup and one
// or two PagerDuty reads, well inside the trigger ID's 3 s.
func (f *Feature) Open(kind, incidentID string, cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	return chat.Response{Then: chat.Once(f.Store, chat.ClickKey(cb, act, kind, incidentID), func(ctx context.Context) error {
		return f.open(ctx, kind, incidentID, cb.TriggerID, place)
	})}
}

func (f *Feature) open(ctx context.Context, kind, incidentID, triggerID string, place chat.Place) error {
	// The trigger ID dies 3 s after the click: the checks get what is
	// left of it, and a PagerDuty too slow for them is said as such.
	checks, cancel := context.WithTimeout(ctx, openBudget)
	defer cancel()
	if _, ok, err := identity.ActorFor(checks, f.Identity, f.Slack, place); !ok {
		return f.slow(ctx, place, err)
	}
	inc, err := f.PagerDuty.Incident(checks, incidentID)
	if err != nil {
		return f.slow(ctx, place, fmt.Errorf("read incident %s: %w", incidentID, err))
	}
	if msg := f.refusal(ctx, kind, inc); msg != "" {
		return f.tell(ctx, place, msg)
	}
	var view slack.ModalViewRequest
	switch kind {
	case KindReassign:
		view = reassignModal(inc, place)
	case KindSnooze:
		view = snoozeModal(inc, place)
	case KindPriority:
		prios, err := f.PagerDuty.Priorities(checks)
		if errors.Is(err, domain.ErrNotConfigured) || err == nil && len(prios) == 0 {
			return f.tell(ctx, place, noPriorities)
		}
		if err != nil {
			return f.slow(ctx, place, fmt.Errorf("list priorities: %w", err))
		}
		view = priorityModal(inc, place, prios)
	case KindResponders:
		view = respondersModal(inc, place)
	default:
		f.Log.Debug().Str("kind", kind).Msg("unknown incident action")
		return nil
	}
	if _, err := f.Slack.OpenView(ctx, triggerID, view); err != nil {
		return fmt.Errorf("open %s modal for %s: %w", kind, incidentID, err)
	}
	return nil
}

// openBudget is how long the checks before a modal may take: Slack's
// trigger ID expires 3 s after the click, and views.open needs the rest.
// A variable so that tests need not wait it out.
var openBudget = 2 * time.Second

// suggestBudget bounds a type-ahead's searches: Slack drops an answer not
// acked within 3 s.
const suggestBudget = 1500 * time.Millisecond

// slow turns err into a clear answer when it is the checks' deadline
// passing (PagerDuty or Slack too slow for the trigger ID); other errors
// are returned as they are.
func (f *Feature) slow(ctx context.Context, place chat.Place, err error) error {
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return err
	}
	f.Log.Warn().Err(err).Msg("incident action: checks too slow to open the form")
	return f.tell(ctx, place, ":hourglass: PagerDuty is slow to answer right now, so the form could not open in time. Try again in a moment.")
}

// noPriorities is said when the account has no priorities to choose.
const noPriorities = ":information_source: This PagerDuty account has no incident priorities (they are turned off, or not in its plan), so there is nothing to choose. A PagerDuty admin can turn them on under Incident Priorities."

// refusal says why action kind cannot be taken on inc as it is now; ""
// when it can.
func (f *Feature) refusal(ctx context.Context, kind string, inc domain.Incident) string {
	switch {
	case inc.Status == domain.StatusResolved:
		now := f.now()
		return fmt.Sprintf(":information_source: #%d was already resolved by %s %s. Nothing to do.",
			inc.Number, f.person(ctx, inc.LastStatusChangeBy), chat.SlackTime(now, inc.LastStatusChangeAt.In(now.Location())))
	case kind == KindSnooze && inc.Status != domain.StatusAcknowledged:
		return fmt.Sprintf(":information_source: #%d is triggered, not acknowledged: PagerDuty snoozes only acknowledged incidents. Acknowledge it first, then snooze it.", inc.Number)
	}
	return ""
}

// person is how a PagerDuty user is named in Slack: an @mention when
// toban knows their Slack user, else their name.
func (f *Feature) person(ctx context.Context, p domain.Person) string {
	if p.ID != "" {
		id, err := f.Store.SlackUserFor(ctx, p.ID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			f.Log.Warn().Err(err).Msg("slack user lookup failed")
		}
		if id != "" {
			return "<@" + id + ">"
		}
	}
	if p.Name != "" {
		return chat.Escape(p.Name)
	}
	return "someone"
}

// people names several PagerDuty users as person does.
func (f *Feature) people(ctx context.Context, ps []domain.Person) string {
	if len(ps) == 0 {
		return "nobody"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = f.person(ctx, p)
	}
	return strings.Join(out, ", ")
}

// tell shows text to the clicker only.
func (f *Feature) tell(ctx context.Context, place chat.Place, text string) error {
	return chat.TellClicker(ctx, f.Slack, place, chat.Message{Text: text})
}

// Suggest answers the type-aheads of people and escalation policies.
// A failed search shows no options (and is logged): Slack gives a
// type-ahead no other way to show an error.
func (f *Feature) Suggest(ctx context.Context, query string) chat.Response {
	ctx, cancel := context.WithTimeout(ctx, suggestBudget)
	defer cancel()
	query = strings.TrimSpace(query)
	users, err := f.Directory.Users(ctx, query, suggestLimit)
	if err != nil {
		f.Log.Warn().Err(err).Msg("user search failed")
		users = nil
	}
	all, err := f.policies(ctx)
	if err != nil {
		f.Log.Warn().Err(err).Msg("escalation policies unreadable")
	}
	var policies []domain.EscalationPolicy
	for _, p := range all {
		if len(policies) < suggestLimit && strings.Contains(strings.ToLower(p.Name), strings.ToLower(query)) {
			policies = append(policies, p)
		}
	}
	return chat.Response{Ack: targetOptions(users, policies)}
}

// policiesTTL is how long the type-ahead keeps the escalation policies:
// PagerDuty has no search for them, so each keystroke would list them all.
const policiesTTL = 5 * time.Minute

// policyCache holds the escalation policies between keystrokes.
type policyCache struct {
	mu   sync.Mutex
	list []domain.EscalationPolicy
	at   time.Time
}

// policies lists the escalation policies, read at most once per
// policiesTTL on toban's clock.
func (f *Feature) policies(ctx context.Context) ([]domain.EscalationPolicy, error) {
	f.eps.mu.Lock()
	defer f.eps.mu.Unlock()
	now := f.now()
	if !f.eps.at.IsZero() && !now.Before(f.eps.at) && now.Sub(f.eps.at) < policiesTTL {
		return f.eps.list, nil
	}
	list, err := f.Directory.EscalationPolicies(ctx)
	if err != nil {
		return nil, err
	}
	f.eps.list, f.eps.at = list, now
	return list, nil
}
