package pagerduty

import (
	"context"
	"time"
)

// SetSleep replaces the wait between attempts, for tests.
func SetSleep(c *Client, f func(ctx context.Context, d time.Duration) error) { c.sleep = f }
