package pagerduty

import (
	"context"
	"fmt"
	"strings"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
)

// EscalationPolicy reads an escalation policy: its levels, numbered from 1,
// with the names of the users and schedules each notifies.
func (c *Client) EscalationPolicy(ctx context.Context, id string) (domain.EscalationPolicy, error) {
	if err := checkID("escalation policy", id); err != nil {
		return domain.EscalationPolicy{}, fmt.Errorf("escalation policy %s: %w", id, err)
	}
	ctx, rl := trackRateLimit(ctx)
	ep, err := c.api.GetEscalationPolicyWithContext(ctx, id, nil)
	if err != nil {
		return domain.EscalationPolicy{}, fmt.Errorf("escalation policy %s: %w", id, rl.mapError(err))
	}
	out := domain.EscalationPolicy{ID: ep.ID, Name: firstNonEmpty(ep.Name, ep.Summary)}
	for i, r := range ep.EscalationRules {
		l := domain.EscalationLevel{Level: i + 1}
		for _, t := range r.Targets {
			l.Targets = append(l.Targets, firstNonEmpty(t.Summary, t.ID))
		}
		out.Levels = append(out.Levels, l)
	}
	return out, nil
}

// Services lists the services whose name contains query (case-insensitive,
// as PagerDuty matches; all when empty), by name, at most limit of them
// (all when limit <= 0).
func (c *Client) Services(ctx context.Context, query string, limit int) ([]domain.Service, error) {
	ctx, rl := trackRateLimit(ctx)
	opts := pd.ListServiceOptions{Limit: 100, Query: strings.TrimSpace(query), SortBy: "name"}
	if limit > 0 && limit < 100 {
		opts.Limit = uint(limit)
	}
	var out []domain.Service
	// Paginated by hand: ListServicesPaginated loops forever on "limit": 0.
	for {
		resp, err := c.api.ListServicesWithContext(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list services: %w", rl.mapError(err))
		}
		for _, s := range resp.Services {
			out = append(out, domain.Service{
				ID:                 s.ID,
				Name:               firstNonEmpty(s.Name, s.Summary),
				EscalationPolicyID: s.EscalationPolicy.ID,
			})
			if limit > 0 && len(out) == limit {
				return out, nil
			}
		}
		if !resp.More || len(resp.Services) == 0 {
			return out, nil
		}
		opts.Offset += uint(len(resp.Services))
	}
}

// UserByEmail finds the PagerDuty user with this email (case-insensitive).
// None gives an error of kind domain.ErrNotFound.
func (c *Client) UserByEmail(ctx context.Context, email string) (domain.Person, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return domain.Person{}, fmt.Errorf("user by email: %w", domain.Invalid("No email address to look up."))
	}
	ctx, rl := trackRateLimit(ctx)
	// PagerDuty has no lookup by email: query matches names and emails by
	// substring, so keep the exact match.
	opts := pd.ListUsersOptions{Limit: 100, Query: email}
	for {
		resp, err := c.api.ListUsersWithContext(ctx, opts)
		if err != nil {
			return domain.Person{}, fmt.Errorf("user by email %s: %w", email, rl.mapError(err))
		}
		for _, u := range resp.Users {
			if strings.EqualFold(u.Email, email) {
				return domain.Person{ID: u.ID, Name: firstNonEmpty(u.Name, u.Summary), Email: u.Email}, nil
			}
		}
		if !resp.More || len(resp.Users) == 0 {
			return domain.Person{}, fmt.Errorf("user by email %s: %w", email, domain.ErrNotFound)
		}
		opts.Offset += uint(len(resp.Users))
	}
}

// CurrentLevel says which level of its escalation policy inc is at, since
// PagerDuty's incidents do not say: it reads who is on call now for the
// policy and picks the level whose people are inc's assignees (the level
// with exactly the assignees first, then the one with the most of them,
// then the lowest). When nothing matches — no policy, no assignees (e.g.
// resolved), someone assigned by hand, or a hand-off since — it answers 1.
func (c *Client) CurrentLevel(ctx context.Context, inc domain.Incident) (int, error) {
	if inc.EscalationPolicyID == "" || len(inc.Assignees) == 0 {
		return 1, nil
	}
	if err := checkID("escalation policy", inc.EscalationPolicyID); err != nil {
		return 1, fmt.Errorf("current level of %s: %w", inc.ID, err)
	}
	assigned := map[string]bool{}
	for _, a := range inc.Assignees {
		assigned[a.ID] = true
	}
	ctx, rl := trackRateLimit(ctx)
	levels := map[int]map[string]bool{} // level -> users on call there
	opts := pd.ListOnCallOptions{Limit: 100, EscalationPolicyIDs: []string{inc.EscalationPolicyID}}
	for {
		resp, err := c.api.ListOnCallsWithContext(ctx, opts)
		if err != nil {
			return 1, fmt.Errorf("current level of %s: %w", inc.ID, rl.mapError(err))
		}
		for _, o := range resp.OnCalls {
			if o.EscalationPolicy.ID != "" && o.EscalationPolicy.ID != inc.EscalationPolicyID {
				continue
			}
			l := int(o.EscalationLevel)
			if levels[l] == nil {
				levels[l] = map[string]bool{}
			}
			levels[l][o.User.ID] = true
		}
		if !resp.More || len(resp.OnCalls) == 0 {
			break
		}
		opts.Offset += uint(len(resp.OnCalls))
	}
	return bestLevel(levels, assigned), nil
}

// bestLevel picks the level whose on-call users match the assignees best:
// an exact match, else the most assignees, else the lowest level; 1 when no
// level has any assignee.
func bestLevel(levels map[int]map[string]bool, assigned map[string]bool) int {
	best, bestExact, bestHits := 1, false, 0
	for l, users := range levels {
		if l < 1 {
			continue
		}
		hits := 0
		for id := range assigned {
			if users[id] {
				hits++
			}
		}
		if hits == 0 {
			continue
		}
		exact := hits == len(assigned) && hits == len(users)
		better := bestHits == 0 ||
			(exact && !bestExact) ||
			(exact == bestExact && (hits > bestHits || hits == bestHits && l < best))
		if better {
			best, bestExact, bestHits = l, exact, hits
		}
	}
	return best
}

// Users finds at most limit PagerDuty users whose name or email contains
// query (case-insensitive, as PagerDuty matches it), for type-aheads.
func (c *Client) Users(ctx context.Context, query string, limit int) ([]domain.Person, error) {
	if limit < 1 || limit > 100 {
		limit = 100
	}
	ctx, rl := trackRateLimit(ctx)
	resp, err := c.api.ListUsersWithContext(ctx, pd.ListUsersOptions{Limit: uint(limit), Query: strings.TrimSpace(query)})
	if err != nil {
		return nil, fmt.Errorf("search users %q: %w", query, rl.mapError(err))
	}
	out := make([]domain.Person, 0, len(resp.Users))
	for _, u := range resp.Users {
		out = append(out, domain.Person{ID: u.ID, Name: firstNonEmpty(u.Name, u.Summary), Email: u.Email})
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
