// Package pagerduty is toban's adapter to PagerDuty's REST API v2, over
// go-pagerduty. It returns domain types and errors of domain's kinds.
package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/metrics"
)

// Config says how to reach PagerDuty.
type Config struct {
	Token     string
	APIURL    string
	EventsURL string
	// Timeout bounds one API call; default 15s.
	Timeout time.Duration
}

// Client is a PagerDuty REST API client.
type Client struct {
	api *pd.Client
	now func() time.Time
}

// New builds a client whose calls are counted in m by result.
func New(cfg Config, m *metrics.Registry) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	api := pd.NewClient(cfg.Token, pd.WithAPIEndpoint(cfg.APIURL), pd.WithV2EventsAPIEndpoint(cfg.EventsURL))
	api.HTTPClient = &http.Client{
		Timeout:   cfg.Timeout,
		Transport: &countingTransport{base: http.DefaultTransport, m: m},
	}
	return &Client{api: api, now: time.Now}
}

// countingTransport counts calls by result.
type countingTransport struct {
	base http.RoundTripper
	m    *metrics.Registry
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	result := "ok"
	switch {
	case err != nil:
		result = "network_error"
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			result = "timeout"
		}
	case resp.StatusCode == http.StatusTooManyRequests:
		result = "ratelimited"
	case resp.StatusCode >= 500:
		result = "server_error"
	case resp.StatusCode >= 400:
		result = "client_error"
	}
	if t.m != nil {
		t.m.PagerDutyCalls.WithLabelValues(result).Inc()
	}
	return resp, err
}

// mapError wraps err with the domain kind it belongs to.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var apiErr pd.APIError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.RateLimited():
			return fmt.Errorf("%w: %w", &domain.RateLimitError{Service: "pagerduty", RetryAfter: time.Minute}, err)
		case apiErr.NotFound():
			return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
		case apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden:
			return fmt.Errorf("%w: %w", domain.ErrUnauthorized, err)
		case apiErr.Temporary():
			return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
		case apiErr.StatusCode == http.StatusBadRequest:
			msg := "PagerDuty refused the request"
			if apiErr.APIError.Valid {
				msg += ": " + apiErr.APIError.ErrorObject.Message
				if len(apiErr.APIError.ErrorObject.Errors) > 0 {
					msg += " (" + strings.Join(apiErr.APIError.ErrorObject.Errors, "; ") + ")"
				}
			}
			return fmt.Errorf("%w: %w", domain.Invalid("%s", msg), err)
		}
		return err
	}
	// go-pagerduty flattens transport errors with %v, so timeouts and
	// refused connections cannot be told apart here: all are "unavailable".
	return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
}

// Ping proves the token works by reading one service.
func (c *Client) Ping(ctx context.Context) error {
	if _, err := c.api.ListServicesWithContext(ctx, pd.ListServiceOptions{Limit: 1}); err != nil {
		return fmt.Errorf("list services: %w", mapError(err))
	}
	return nil
}

// OnCalls lists who is on call now, one entry per policy level and person,
// keeping only the escalation policies or schedules whose name contains
// filter (case-insensitive; all when empty).
func (c *Client) OnCalls(ctx context.Context, filter string) ([]domain.OnCall, error) {
	filter = strings.ToLower(strings.TrimSpace(filter))
	var out []domain.OnCall
	opts := pd.ListOnCallOptions{Limit: 100, Earliest: true}
	for {
		resp, err := c.api.ListOnCallsWithContext(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list oncalls: %w", mapError(err))
		}
		for _, o := range resp.OnCalls {
			e := domain.OnCall{
				EscalationPolicyID:   o.EscalationPolicy.ID,
				EscalationPolicyName: firstNonEmpty(o.EscalationPolicy.Name, o.EscalationPolicy.Summary),
				Level:                int(o.EscalationLevel),
				ScheduleName:         firstNonEmpty(o.Schedule.Name, o.Schedule.Summary),
				User: domain.Person{
					ID:    o.User.ID,
					Name:  firstNonEmpty(o.User.Name, o.User.Summary),
					Email: o.User.Email,
				},
				Start: parseTime(o.Start),
				End:   parseTime(o.End),
			}
			if filter != "" && !strings.Contains(strings.ToLower(e.EscalationPolicyName), filter) &&
				!strings.Contains(strings.ToLower(e.ScheduleName), filter) {
				continue
			}
			out = append(out, e)
		}
		if !resp.More || len(resp.OnCalls) == 0 {
			return out, nil
		}
		opts.Offset += uint(len(resp.OnCalls))
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
