package pagerduty

import (
	"context"
	"fmt"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
)

// OnCallsFor lists the on-call entries of one schedule (scheduleID set) or
// of one escalation policy's level (policyID and level set) overlapping
// [now, now+ahead), with each person's email: who is on call now, and
// whose shift starts or ends soon. PagerDuty has no level filter; levels
// are kept here.
func (c *Client) OnCallsFor(ctx context.Context, scheduleID, policyID string, level int, ahead time.Duration) ([]domain.OnCall, error) {
	now := c.now().UTC()
	opts := pd.ListOnCallOptions{Limit: 100, Includes: []string{"users"},
		Since: now.Format(time.RFC3339), Until: now.Add(ahead).Format(time.RFC3339)}
	what := "schedule " + scheduleID
	switch {
	case scheduleID != "" && policyID == "":
		if err := checkID("schedule", scheduleID); err != nil {
			return nil, fmt.Errorf("oncalls of %s: %w", what, err)
		}
		opts.ScheduleIDs = []string{scheduleID}
	case policyID != "" && scheduleID == "":
		what = fmt.Sprintf("escalation policy %s level %d", policyID, level)
		if err := checkID("escalation policy", policyID); err != nil {
			return nil, fmt.Errorf("oncalls of %s: %w", what, err)
		}
		opts.EscalationPolicyIDs = []string{policyID}
	default:
		return nil, fmt.Errorf("oncalls: %w", domain.Invalid("a schedule or an escalation policy, not both"))
	}
	ctx, rl := trackRateLimit(ctx)
	var out []domain.OnCall
	seen := map[string]bool{}
	for {
		resp, err := c.api.ListOnCallsWithContext(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("oncalls of %s: %w", what, rl.mapError(err))
		}
		for _, o := range resp.OnCalls {
			if policyID != "" && int(o.EscalationLevel) != level {
				continue
			}
			e := domain.OnCall{
				EscalationPolicyID:   o.EscalationPolicy.ID,
				EscalationPolicyName: firstNonEmpty(o.EscalationPolicy.Name, o.EscalationPolicy.Summary),
				Level:                int(o.EscalationLevel),
				ScheduleName:         firstNonEmpty(o.Schedule.Name, o.Schedule.Summary),
				User:                 domain.Person{ID: o.User.ID, Name: firstNonEmpty(o.User.Name, o.User.Summary), Email: o.User.Email},
				Start:                parseTime(o.Start),
				End:                  parseTime(o.End),
			}
			// A schedule in several policies is listed once per policy.
			key := e.User.ID + "|" + o.Start + "|" + o.End
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, e)
		}
		if !resp.More || len(resp.OnCalls) == 0 {
			return out, nil
		}
		opts.Offset += uint(len(resp.OnCalls))
	}
}

// EscalationPolicies lists every escalation policy (ID and name), by name.
func (c *Client) EscalationPolicies(ctx context.Context) ([]domain.EscalationPolicy, error) {
	ctx, rl := trackRateLimit(ctx)
	opts := pd.ListEscalationPoliciesOptions{Limit: 100, SortBy: "name"}
	var out []domain.EscalationPolicy
	for {
		resp, err := c.api.ListEscalationPoliciesWithContext(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list escalation policies: %w", rl.mapError(err))
		}
		for _, p := range resp.EscalationPolicies {
			ep := domain.EscalationPolicy{ID: p.ID, Name: firstNonEmpty(p.Name, p.Summary)}
			for i := range p.EscalationRules {
				ep.Levels = append(ep.Levels, domain.EscalationLevel{Level: i + 1})
			}
			out = append(out, ep)
		}
		if !resp.More || len(resp.EscalationPolicies) == 0 {
			return out, nil
		}
		opts.Offset += uint(len(resp.EscalationPolicies))
	}
}
