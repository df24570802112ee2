// Package pagerduty is toban's adapter to PagerDuty's REST API v2, over
// go-pagerduty. It returns domain types and errors of domain's kinds.
//
// It is an adapter: it owns the REST calls, retries and the mapping of
// PagerDuty's errors to domain's kinds. It may import domain, metrics and
// report (the report's incident type); never another adapter, the router or
// a feature.
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
	// Timeout bounds one API call, retries and the waits between them
	// included; default 15s.
	Timeout time.Duration
	// MaxAttempts caps how many times one request is sent (see retry.go);
	// default 4. 1 disables retries.
	MaxAttempts int
	// Now is toban's clock: "who is on call now" asks PagerDuty about this
	// instant, not the machine's. Required.
	Now func() time.Time
}

// Client is a PagerDuty REST API client.
type Client struct {
	api *pd.Client
	// apiURL is the REST base, for the few calls made without go-pagerduty's
	// request builders.
	apiURL string
	now    func() time.Time
	// sleep waits between attempts; tests replace it to make retries instant
	// and to see the waits asked for.
	sleep func(ctx context.Context, d time.Duration) error
	// prio caches the account's priorities (see Priorities).
	prio priorityCache
}

// New builds a client whose requests are retried as retry.go describes and
// counted in m by result, one count per attempt.
func New(cfg Config, m *metrics.Registry) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 4
	}
	if cfg.Now == nil {
		panic("pagerduty.New: Config.Now is required")
	}
	c := &Client{apiURL: strings.TrimRight(cfg.APIURL, "/"), now: cfg.Now, sleep: sleepCtx}
	c.api = pd.NewClient(cfg.Token, pd.WithAPIEndpoint(cfg.APIURL), pd.WithV2EventsAPIEndpoint(cfg.EventsURL))
	c.api.HTTPClient = &http.Client{
		Timeout: cfg.Timeout,
		Transport: &retryTransport{
			base:        &countingTransport{base: http.DefaultTransport, m: m},
			maxAttempts: cfg.MaxAttempts,
			sleep:       func(ctx context.Context, d time.Duration) error { return c.sleep(ctx, d) },
		},
	}
	return c
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
func mapError(err error) error { return mapErrorWait(err, 0) }

// mapErrorWait is mapError for a call whose last 429 asked to wait
// retryAfter (0 when unknown: a minute is assumed).
func mapErrorWait(err error, retryAfter time.Duration) error {
	if err == nil {
		return nil
	}
	if retryAfter <= 0 {
		retryAfter = time.Minute
	}
	var apiErr pd.APIError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.RateLimited():
			return fmt.Errorf("%w: %w", &domain.RateLimitError{Service: "pagerduty", RetryAfter: retryAfter}, err)
		case apiErr.NotFound():
			return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
		case apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden:
			return fmt.Errorf("%w: %w", domain.ErrUnauthorized, err)
		case apiErr.StatusCode == http.StatusPaymentRequired:
			// The account's plan lacks the feature (priorities, responder
			// requests): only PagerDuty's admins can change that.
			return fmt.Errorf("%w: the PagerDuty account's plan lacks this feature: %w", domain.ErrNotConfigured, err)
		case apiErr.Temporary():
			return fmt.Errorf("%w: %w", &domain.UnavailableError{Service: "PagerDuty",
				Reason: fmt.Sprintf("answered with a server error (HTTP %d)", apiErr.StatusCode)}, err)
		case apiErr.StatusCode == http.StatusBadRequest && apiErrorSays(apiErr, "already resolved"):
			return fmt.Errorf("%w: %w", ErrAlreadyResolved, err)
		case apiErr.StatusCode == http.StatusBadRequest && (apiErr.APIError.ErrorObject.Code == codeRequesterNotFound ||
			apiErrorSays(apiErr, "requester user not found")):
			return fmt.Errorf("%w: %w", ErrUnknownRequester, err)
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
	return fmt.Errorf("%w: %w", &domain.UnavailableError{Service: "PagerDuty",
		Reason: "did not answer in time or could not be reached"}, err)
}

// Ping proves the token works by reading one service.
func (c *Client) Ping(ctx context.Context) error {
	ctx, rl := trackRateLimit(ctx)
	if _, err := c.api.ListServicesWithContext(ctx, pd.ListServiceOptions{Limit: 1}); err != nil {
		return fmt.Errorf("list services: %w", rl.mapError(err))
	}
	return nil
}

// onCallLookahead is how far ahead OnCalls looks for the next shift.
const onCallLookahead = 7 * 24 * time.Hour

// OnCalls lists who is on call now and in the coming week, one entry per
// policy level and shift (with the person's email), keeping only the escalation policies or
// schedules whose name contains filter (case-insensitive; all when empty).
func (c *Client) OnCalls(ctx context.Context, filter string) ([]domain.OnCall, error) {
	filter = strings.ToLower(strings.TrimSpace(filter))
	var out []domain.OnCall
	ctx, rl := trackRateLimit(ctx)
	// include[]=users: without it PagerDuty answers users without email.
	// The week ahead shows who is next after the current shift.
	now := c.now().UTC()
	opts := pd.ListOnCallOptions{Limit: 100, Includes: []string{"users"},
		Since: now.Format(time.RFC3339), Until: now.Add(onCallLookahead).Format(time.RFC3339)}
	for {
		resp, err := c.api.ListOnCallsWithContext(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list oncalls: %w", rl.mapError(err))
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
