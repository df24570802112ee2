package chat

import (
	"context"
	"errors"
	"fmt"

	"github.com/tobanbot/toban/domain"
)

// NotConfigured is what incident features say without PAGERDUTY_TOKEN.
const NotConfigured = "PagerDuty is not configured, so this needs an admin first: set `PAGERDUTY_TOKEN` and restart toban. Everything else works."

// UserMessage maps an error to the sentence shown to the person who acted.
// It is the one place where error kinds become words.
func UserMessage(err error) string {
	var invalid *domain.InvalidError
	var unavailable *domain.UnavailableError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &invalid):
		return ":warning: " + invalid.Reason
	case errors.Is(err, domain.ErrNotConfigured):
		return NotConfigured
	case errors.Is(err, domain.ErrNotFound):
		return ":mag: PagerDuty could not find that. It may have been deleted, or toban's API key may not see it."
	case errors.Is(err, domain.ErrUnauthorized):
		return ":no_entry: PagerDuty refused this request. Check that you are allowed to do it in PagerDuty."
	case errors.Is(err, domain.ErrRateLimited):
		return ":hourglass: PagerDuty is rate-limiting toban right now. Try again in a minute."
	case errors.As(err, &unavailable):
		return fmt.Sprintf(":warning: %s %s, so this may not have happened. The card shows the last state I know; try again in a moment.", unavailable.Service, unavailable.Reason)
	case errors.Is(err, domain.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return ":hourglass: PagerDuty did not answer in time. Try again in a moment."
	default:
		return ":boom: Something went wrong on toban's side. It has been logged; try again, and tell your admin if it keeps happening."
	}
}
