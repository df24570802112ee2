package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
)

// ErrNotAcknowledged is what snoozing an incident that is not acknowledged
// fails with: PagerDuty only snoozes acknowledged incidents. It is a
// *domain.InvalidError.
var ErrNotAcknowledged = &domain.InvalidError{Reason: "Only an acknowledged incident can be snoozed: acknowledge it first."}

// PostStatusUpdate posts a status update on an incident on behalf of from
// (PagerDuty needs from.Email). It is not retried on 5xx or connection
// errors, since PagerDuty may have posted it.
func (c *Client) PostStatusUpdate(ctx context.Context, from domain.Person, incidentID, message string) (domain.StatusUpdate, error) {
	if err := c.checkWrite(from, incidentID); err != nil {
		return domain.StatusUpdate{}, fmt.Errorf("post status update on %s: %w", incidentID, err)
	}
	if err := domain.ValidateStatusUpdate(message); err != nil {
		return domain.StatusUpdate{}, fmt.Errorf("post status update on %s: %w", incidentID, err)
	}
	ctx, rl := trackRateLimit(ctx)
	u, err := c.api.CreateIncidentStatusUpdate(ctx, incidentID, from.Email, message)
	if err != nil {
		return domain.StatusUpdate{}, fmt.Errorf("post status update on %s: %w", incidentID, rl.mapError(err))
	}
	by := domain.Person{ID: u.Sender.ID, Name: u.Sender.Summary, Email: from.Email}
	if by.ID == "" {
		by = from
	}
	return domain.StatusUpdate{ID: u.ID, IncidentID: incidentID, Message: u.Message, By: by, CreatedAt: parseTime(u.CreatedAt)}, nil
}

// AddResponders asks targets (users or escalation policies) to join an
// incident, on behalf of from, with requesterID (from's PagerDuty user ID)
// as the requester. It returns the responders PagerDuty reached, pending.
// It is not retried on 5xx or connection errors.
func (c *Client) AddResponders(ctx context.Context, from domain.Person, incidentID, requesterID, message string, targets []domain.ResponderTarget) ([]domain.Responder, error) {
	if err := c.checkWrite(from, incidentID); err != nil {
		return nil, fmt.Errorf("add responders to %s: %w", incidentID, err)
	}
	req := domain.ResponderRequest{RequesterID: requesterID, Message: message, Targets: targets}
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("add responders to %s: %w", incidentID, err)
	}
	opts := pd.ResponderRequestOptions{From: from.Email, RequesterID: requesterID, Message: strings.TrimSpace(message)}
	for _, t := range targets {
		typ := "user_reference"
		if t.Kind == domain.TargetEscalationPolicy {
			typ = "escalation_policy_reference"
		}
		opts.Targets = append(opts.Targets, pd.ResponderRequestTargetWrapper{
			Target: pd.ResponderRequestTarget{APIObject: pd.APIObject{ID: t.ID, Type: typ}}})
	}
	ctx, rl := trackRateLimit(ctx)
	resp, err := c.api.ResponderRequestWithContext(ctx, incidentID, opts)
	if err != nil {
		return nil, fmt.Errorf("add responders to %s: %w", incidentID, rl.mapError(err))
	}
	var out []domain.Responder
	seen := map[string]bool{}
	for _, t := range resp.ResponderRequest.Targets {
		for _, r := range t.Target.Responders {
			if seen[r.User.ID] {
				continue
			}
			seen[r.User.ID] = true
			out = append(out, toResponder(r))
		}
	}
	return out, nil
}

// Snooze snoozes an acknowledged incident for d (whole seconds, rounded
// up; at most a week) on behalf of from, and returns it as PagerDuty has
// it afterwards. A triggered incident gives ErrNotAcknowledged, a
// resolved one ErrAlreadyResolved.
func (c *Client) Snooze(ctx context.Context, from domain.Person, incidentID string, d time.Duration) (domain.Incident, error) {
	if err := c.checkWrite(from, incidentID); err != nil {
		return domain.Incident{}, fmt.Errorf("snooze %s: %w", incidentID, err)
	}
	if err := domain.ValidateSnooze(d); err != nil {
		return domain.Incident{}, fmt.Errorf("snooze %s: %w", incidentID, err)
	}
	secs := int64((d + time.Second - 1) / time.Second)
	ctx, rl := trackRateLimit(ctx)
	// Sent by hand: go-pagerduty's SnoozeIncidentWithContext sends no From,
	// which PagerDuty requires here.
	var out struct {
		Incident pd.Incident `json:"incident"`
	}
	err := c.sendJSON(ctx, http.MethodPost, "/incidents/"+incidentID+"/snooze", from.Email, map[string]int64{"duration": secs}, &out)
	if err != nil {
		var apiErr pd.APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest &&
			!apiErrorSays(apiErr, "already resolved") && apiErrorSays(apiErr, "acknowledged") {
			return domain.Incident{}, fmt.Errorf("snooze %s: %w: %w", incidentID, ErrNotAcknowledged, err)
		}
		return domain.Incident{}, fmt.Errorf("snooze %s: %w", incidentID, rl.mapError(err))
	}
	return toIncident(out.Incident), nil
}

// prioritiesTTL is how long Priorities keeps the account's priorities:
// they change rarely, and every "change priority" menu lists them.
const prioritiesTTL = 10 * time.Minute

// priorityCache holds the account's priorities between reads.
type priorityCache struct {
	mu   sync.Mutex
	list []domain.Priority
	at   time.Time
}

// Priorities lists the account's incident priorities, most severe first,
// read at most once per prioritiesTTL. An account with priorities turned
// off has none.
func (c *Client) Priorities(ctx context.Context) ([]domain.Priority, error) {
	c.prio.mu.Lock()
	defer c.prio.mu.Unlock()
	now := c.now()
	if !c.prio.at.IsZero() && !now.Before(c.prio.at) && now.Sub(c.prio.at) < prioritiesTTL {
		return append([]domain.Priority(nil), c.prio.list...), nil
	}
	ctx, rl := trackRateLimit(ctx)
	opts := pd.ListPrioritiesOptions{Limit: 100}
	var out []domain.Priority
	for {
		resp, err := c.api.ListPrioritiesWithContext(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list priorities: %w", rl.mapError(err))
		}
		for _, p := range resp.Priorities {
			out = append(out, domain.Priority{ID: p.ID, Name: firstNonEmpty(p.Name, p.Summary), Description: p.Description})
		}
		if !resp.More || len(resp.Priorities) == 0 {
			break
		}
		opts.Offset += uint(len(resp.Priorities))
	}
	c.prio.list, c.prio.at = out, now
	return append([]domain.Priority(nil), out...), nil
}

// Reassign reassigns an incident on behalf of from, to users or to an
// escalation policy (whose first level then gets it), and returns it as
// PagerDuty has it afterwards. A resolved incident gives
// ErrAlreadyResolved.
func (c *Client) Reassign(ctx context.Context, from domain.Person, incidentID string, to domain.Reassignment) (domain.Incident, error) {
	if err := to.Validate(); err != nil {
		return domain.Incident{}, fmt.Errorf("reassign %s: %w", incidentID, err)
	}
	m := pd.ManageIncidentsOptions{ID: incidentID}
	for _, id := range to.UserIDs {
		m.Assignments = append(m.Assignments, pd.Assignee{Assignee: pd.APIObject{ID: id, Type: "user_reference"}})
	}
	if to.EscalationPolicyID != "" {
		m.EscalationPolicy = &pd.APIReference{ID: to.EscalationPolicyID, Type: "escalation_policy_reference"}
	}
	inc, err := c.manage(ctx, from, m)
	if err != nil {
		return domain.Incident{}, fmt.Errorf("reassign %s: %w", incidentID, err)
	}
	return inc, nil
}

// SetPriority sets an incident's priority (one of Priorities' IDs) on
// behalf of from and returns it as PagerDuty has it afterwards. A
// resolved incident gives ErrAlreadyResolved; an unknown priority, or an
// account with priorities off, a domain.ErrInvalid.
func (c *Client) SetPriority(ctx context.Context, from domain.Person, incidentID, priorityID string) (domain.Incident, error) {
	if err := checkID("priority", priorityID); err != nil {
		return domain.Incident{}, fmt.Errorf("set priority of %s: %w", incidentID, err)
	}
	inc, err := c.manage(ctx, from, pd.ManageIncidentsOptions{ID: incidentID,
		Priority: &pd.APIReference{ID: priorityID, Type: "priority_reference"}})
	if err != nil {
		return domain.Incident{}, fmt.Errorf("set priority of %s to %s: %w", incidentID, priorityID, err)
	}
	return inc, nil
}

// checkWrite refuses a write PagerDuty would: a malformed incident ID, or
// no email to act as.
func (c *Client) checkWrite(from domain.Person, incidentID string) error {
	if err := checkID("incident", incidentID); err != nil {
		return err
	}
	return checkRequester(from)
}

// toResponder maps one of an incident's responders.
func toResponder(r pd.IncidentResponders) domain.Responder {
	return domain.Responder{
		User:        domain.Person{ID: r.User.ID, Name: r.User.Summary},
		State:       r.State,
		RequestedBy: domain.Person{ID: r.Requester.ID, Name: r.Requester.Summary},
		RequestedAt: parseTime(r.RequestedAt),
		Message:     r.Message,
	}
}
