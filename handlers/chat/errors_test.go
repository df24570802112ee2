package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

func TestUserMessage(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		wantIn string
	}{
		{"Invalid", domain.Invalid("End is before start."), "End is before start."},
		{"WrappedInvalid", fmt.Errorf("create: %w", domain.Invalid("bad")), "bad"},
		{"NotConfigured", fmt.Errorf("x: %w", domain.ErrNotConfigured), "PAGERDUTY_TOKEN"},
		{"NotFound", fmt.Errorf("get P1: %w", domain.ErrNotFound), "could not find"},
		{"Unauthorized", domain.ErrUnauthorized, "refused"},
		{"RateLimited", &domain.RateLimitError{Service: "pagerduty", RetryAfter: time.Second}, "rate-limiting"},
		{"Unavailable", domain.ErrUnavailable, "did not answer in time"},
		{"ServerError", fmt.Errorf("ack: %w", &domain.UnavailableError{Service: "PagerDuty", Reason: "answered with a server error (HTTP 500)"}), "PagerDuty answered with a server error (HTTP 500), so this may not have happened"},
		{"Deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), "did not answer in time"},
		{"Unknown", errors.New("sql: connection reset"), "Something went wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UserMessage(tt.err)
			if !strings.Contains(got, tt.wantIn) {
				t.Errorf("UserMessage(%v) = %q, want it to contain %q", tt.err, got, tt.wantIn)
			}
			if strings.Contains(got, "sql:") {
				t.Errorf("internal error text leaked to the person: %q", got)
			}
		})
	}
}
