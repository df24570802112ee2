package pagerduty

import (
	"context"
	"fmt"
	"strings"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
)

// Schedules lists on-call schedules whose name matches query (all when
// empty), fully paginated, sorted as PagerDuty sorts them (by name).
func (c *Client) Schedules(ctx context.Context, query string) ([]domain.Schedule, error) {
	ctx, rl := trackRateLimit(ctx)
	opts := pd.ListSchedulesOptions{Limit: 100, Query: strings.TrimSpace(query)}
	var out []domain.Schedule
	for {
		resp, err := c.api.ListSchedulesWithContext(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list schedules: %w", rl.mapError(err))
		}
		for _, s := range resp.Schedules {
			out = append(out, domain.Schedule{ID: s.ID, Name: firstNonEmpty(s.Name, s.Summary), TimeZone: s.TimeZone})
		}
		if !resp.More || len(resp.Schedules) == 0 {
			return out, nil
		}
		opts.Offset += uint(len(resp.Schedules))
	}
}
