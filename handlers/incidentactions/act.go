package incidentactions

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// outcome is what an action did, for the record and the cards' threads.
type outcome struct {
	// kind and detail are the domain.Activity recorded.
	kind, detail string
	// claims are the thread keys of the line: it is posted once, naming
	// the claims this action is the first to make (a responder added by
	// toban and echoed by PagerDuty's webhook is told once).
	claims []claim
	// line is the thread line naming the claims made.
	line func(names []string) string
}

// claim is one thread key and the name it stands for in the line.
type claim struct{ key, name string }

// act does what a submitted modal asked, as the clicker, on the incident
// as PagerDuty has it now; then the cards show it and their threads say
// it once.
func (f *Feature) act(ctx context.Context, place chat.Place, incidentID, viewID string, req request) error {
	actor, ok, err := identity.ActorFor(ctx, f.Identity, f.Slack, place)
	if !ok {
		return err
	}
	out, err := f.actLocked(ctx, place, incidentID, viewID, actor, req)
	if err != nil || out == nil {
		return err
	}
	// After the unlock: RefreshCards takes the incident's lock itself.
	f.Cards.RefreshCards(ctx, incidentID)
	f.replyOnce(ctx, incidentID, out)
	return nil
}

// actLocked re-reads the incident under its lock, refuses what cannot be
// done any more (resolved meanwhile, say), writes PagerDuty and records
// the change; nil when nothing was done (the clicker was told why).
func (f *Feature) actLocked(ctx context.Context, place chat.Place, incidentID, viewID string, actor domain.Person, req request) (*outcome, error) {
	unlock, err := f.Store.LockIncident(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	inc, err := f.PagerDuty.Incident(ctx, incidentID)
	if err != nil {
		return nil, fmt.Errorf("read incident %s: %w", incidentID, err)
	}
	if msg := f.refusal(ctx, req.kind, inc); msg != "" {
		return nil, f.tell(ctx, place, msg)
	}
	out, err := f.write(ctx, place, actor, inc, viewID, req)
	if err != nil {
		// PagerDuty's refusals (an assignee it rejects, a priority gone)
		// are the person's to read, where they clicked.
		if errors.Is(err, domain.ErrInvalid) {
			f.Log.Info().Err(err).Str("incident", incidentID).Str("action", req.kind).Msg("incident action refused")
		} else {
			f.Log.Error().Err(err).Str("incident", incidentID).Str("action", req.kind).Msg("incident action failed")
		}
		return nil, f.tell(ctx, place, chat.UserMessage(err))
	}
	err = f.Store.RecordActivity(ctx, domain.Activity{IncidentID: incidentID, Kind: out.kind, SlackUserID: place.UserID,
		PDUserID: actor.ID, Detail: out.detail, At: f.now()})
	if err != nil {
		f.Log.Warn().Err(err).Str("incident", incidentID).Msg("activity not recorded")
	}
	f.adoptCard(ctx, incidentID, place)
	// Dirty under the lock: should the re-render below fail or toban stop,
	// card sync still shows the change.
	if err := f.Store.MarkCardDirty(ctx, incidentID); err != nil {
		f.Log.Warn().Err(err).Str("incident", incidentID).Msg("card not marked for update")
	}
	return out, nil
}

// write makes the change in PagerDuty as actor.
func (f *Feature) write(ctx context.Context, place chat.Place, actor domain.Person, inc domain.Incident, viewID string, req request) (*outcome, error) {
	who := "<@" + place.UserID + ">"
	key := func(kind string) []claim { return []claim{{key: "thread:" + inc.ID + ":" + kind + ":" + viewID}} }
	switch req.kind {
	case KindReassign:
		after, err := f.PagerDuty.Reassign(ctx, actor, inc.ID, req.to)
		if err != nil {
			return nil, fmt.Errorf("reassign %s: %w", inc.ID, err)
		}
		to := chat.Escape(req.toLabel)
		if req.to.EscalationPolicyID != "" {
			to = fmt.Sprintf("the escalation policy %s (now %s)", to, f.people(ctx, after.Assignees))
		}
		return &outcome{kind: domain.ActivityReassigned, detail: "to " + req.toLabel, claims: key(domain.ActivityReassigned),
			line: func([]string) string {
				return fmt.Sprintf(":bust_in_silhouette: %s reassigned #%d to %s.", who, inc.Number, to)
			}}, nil
	case KindSnooze:
		after, err := f.PagerDuty.Snooze(ctx, actor, inc.ID, req.snooze)
		if err != nil {
			return nil, fmt.Errorf("snooze %s: %w", inc.ID, err)
		}
		now := f.now()
		until := after.SnoozedUntil
		if until.IsZero() {
			until = now.Add(req.snooze)
		}
		span := chat.Duration(req.snooze)
		return &outcome{kind: domain.ActivitySnoozed, detail: "for " + span, claims: key(domain.ActivitySnoozed),
			line: func([]string) string {
				return fmt.Sprintf(":zzz: %s snoozed #%d for %s, until %s.", who, inc.Number, span, chat.SlackTime(now, until.In(now.Location())))
			}}, nil
	case KindPriority:
		after, err := f.PagerDuty.SetPriority(ctx, actor, inc.ID, req.priorityID)
		if err != nil {
			return nil, fmt.Errorf("set priority of %s: %w", inc.ID, err)
		}
		name := after.Priority.Name
		if name == "" {
			name = req.priorityName
		}
		was := ""
		if inc.Priority.Name != "" && inc.Priority.ID != after.Priority.ID {
			was = " (was " + chat.Escape(inc.Priority.Name) + ")"
		}
		return &outcome{kind: domain.ActivityPriority, detail: name, claims: key(domain.ActivityPriority),
			line: func([]string) string {
				return fmt.Sprintf(":label: %s changed priority of #%d to %s%s.", who, inc.Number, chat.Escape(name), was)
			}}, nil
	case KindResponders:
		return f.addResponders(ctx, actor, inc, viewID, who, req)
	}
	return nil, fmt.Errorf("incident action %q: %w", req.kind, domain.ErrInvalid)
}

// addResponders sends the responder request. The thread line is keyed per
// responder reached, the key PagerDuty's incident.responder.added webhook
// uses too, so each person is announced once whichever comes first.
func (f *Feature) addResponders(ctx context.Context, actor domain.Person, inc domain.Incident, viewID, who string, req request) (*outcome, error) {
	reached, err := f.PagerDuty.AddResponders(ctx, actor, inc.ID, actor.ID, req.message, req.targets)
	if err != nil {
		return nil, fmt.Errorf("add responders to %s: %w", inc.ID, err)
	}
	var claims []claim
	var plain []string
	for _, r := range reached {
		claims = append(claims, claim{key: "thread:" + inc.ID + ":responder:" + r.User.ID, name: f.person(ctx, r.User)})
		plain = append(plain, r.User.Name)
	}
	if len(reached) == 0 {
		// An escalation policy with nobody on call reaches nobody; the
		// request is still made, so say whom it went to.
		for _, t := range req.targets {
			claims = append(claims, claim{key: "thread:" + inc.ID + ":responders:" + viewID + ":" + t.ID, name: chat.Escape(req.targetNames[t])})
			plain = append(plain, req.targetNames[t])
		}
	}
	message := req.message
	return &outcome{kind: domain.ActivityResponders, detail: strings.Join(plain, ", "), claims: claims,
		line: func(names []string) string {
			return fmt.Sprintf(":sos: %s asked %s to help on #%d:\n%s", who, strings.Join(names, ", "), inc.Number, chat.Quote(message))
		}}, nil
}

// replyOnce posts the outcome's line in every card's thread, naming only
// the claims no one made before; nothing when all were.
func (f *Feature) replyOnce(ctx context.Context, incidentID string, out *outcome) {
	var fresh []string
	for _, c := range out.claims {
		first, err := f.Store.FirstClick(ctx, c.key)
		if err != nil {
			f.Log.Warn().Err(err).Str("incident", incidentID).Msg("thread line not claimed; not posted")
			continue
		}
		if first {
			fresh = append(fresh, c.name)
		}
	}
	if len(fresh) == 0 {
		return
	}
	if _, err := chat.InThreads(ctx, f.Store, f.Slack, incidentID, out.line(fresh)); err != nil {
		f.Log.Warn().Err(err).Str("incident", incidentID).Msg("thread reply not posted everywhere")
	}
}

// adoptCard records the channel message the menu was used on as the
// incident's card there, so that it is re-rendered and gets the thread
// line even if toban had not recorded it (a card from before a restore).
func (f *Feature) adoptCard(ctx context.Context, incidentID string, place chat.Place) {
	if place.MessageTS == "" || place.ChannelID == "" {
		return
	}
	err := f.Store.SaveCard(ctx, domain.Card{IncidentID: incidentID, ChannelID: place.ChannelID, TS: place.MessageTS})
	if err != nil && !errors.Is(err, domain.ErrCardExists) {
		f.Log.Warn().Err(err).Str("incident", incidentID).Msg("card not recorded")
	}
}
