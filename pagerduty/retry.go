package pagerduty

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Retry policy. go-pagerduty never retries, so the Client's HTTP transport
// does, below go-pagerduty and above countingTransport (every attempt is
// counted by result):
//
//   - 429 is retried for every method: PagerDuty did nothing. The wait is the
//     ratelimit-reset header (seconds), else Retry-After, else backoff.
//   - 5xx and connection errors are retried only for idempotent methods
//     (GET, HEAD, OPTIONS, PUT, DELETE; PUT /incidents sets a status, so
//     repeating it is harmless). A POST (note, new incident, event) may
//     have been applied, so it is not repeated. The wait is Retry-After,
//     else backoff.
//   - Backoff is 200 ms, doubling per attempt.
//   - At most Config.MaxAttempts attempts. No wait runs past the request's
//     deadline (Config.Timeout or the caller's) or exceeds maxRetryWait:
//     then the last answer or error is returned at once.
const (
	baseBackoff  = 200 * time.Millisecond
	maxRetryWait = time.Minute
)

// retryTransport implements the retry policy above.
type retryTransport struct {
	base        http.RoundTripper
	maxAttempts int
	// sleep waits d or until ctx ends, returning ctx.Err() then.
	sleep func(ctx context.Context, d time.Duration) error
}

// RoundTrip sends req, retrying it as the policy allows.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	seen := rateLimitSeenFrom(ctx)
	r := detach(req)
	for attempt := 1; ; attempt++ {
		resp, err := t.base.RoundTrip(r)
		wait, retry := retryWait(req.Method, resp, err, attempt)
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
			seen.note(wait)
		}
		if !retry || attempt >= t.maxAttempts || ctx.Err() != nil || wait > maxRetryWait || !fitsDeadline(ctx, wait) {
			return resp, err
		}
		next, ok := rewind(req)
		if !ok {
			return resp, err
		}
		discard(resp)
		if serr := t.sleep(ctx, wait); serr != nil {
			if next.Body != nil {
				_ = next.Body.Close()
			}
			return nil, serr
		}
		r = next
	}
}

// retryWait says whether the outcome of attempt (1-based) may be retried for
// method, and after how long.
func retryWait(method string, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	backoff := baseBackoff << (attempt - 1)
	switch {
	case err != nil:
		return backoff, idempotent(method)
	case resp.StatusCode == http.StatusTooManyRequests:
		if d, ok := resetHeader(resp.Header); ok {
			return d, true
		}
		if d, ok := retryAfterHeader(resp.Header); ok {
			return d, true
		}
		return backoff, true
	case resp.StatusCode >= 500:
		if d, ok := retryAfterHeader(resp.Header); ok {
			return d, idempotent(method)
		}
		return backoff, idempotent(method)
	}
	return 0, false
}

// idempotent reports whether repeating a request with method is harmless.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// resetHeader reads PagerDuty's ratelimit-reset: seconds until the window
// resets.
func resetHeader(h http.Header) (time.Duration, bool) {
	v := h.Get("ratelimit-reset")
	if v == "" {
		return 0, false
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 {
		return 0, false
	}
	return time.Duration(min(secs, 86400) * float64(time.Second)), true
}

// retryAfterHeader reads Retry-After: seconds or an HTTP date.
func retryAfterHeader(h http.Header) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, 86400)) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(at)), true
	}
	return 0, false
}

// fitsDeadline reports whether waiting d leaves ctx's deadline ahead.
func fitsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

// rewind returns a copy of req to send again, with a fresh body from
// GetBody; false when the body cannot be replayed.
func rewind(req *http.Request) (*http.Request, bool) {
	next := detach(req)
	if req.Body == nil || req.Body == http.NoBody {
		return next, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	next.Body = body
	return next, true
}

// detach returns a copy of req cancelled by its context alone. For
// transports it does not know (like this one), http.Client sets both a
// context deadline and the deprecated Cancel channel, and which one stops
// the request first is a race: the error then says "context deadline
// exceeded" or "request canceled", and countingTransport would count a
// timeout as a network error. The context always carries the earlier
// deadline, so dropping Cancel loses nothing.
func detach(req *http.Request) *http.Request {
	r := req.Clone(req.Context())
	//lint:ignore SA1019 clearing the deprecated field is the point (see above).
	r.Cancel = nil
	return r
}

// discard drains (a little of) and closes a response that will not be
// returned, so that its connection can be reused.
func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rateLimitKey is the context key of a call's *rateLimitSeen.
type rateLimitKey struct{}

// rateLimitSeen carries, from the transport back to the call that made the
// request, the wait PagerDuty's last 429 asked for: go-pagerduty's APIError
// has no headers.
type rateLimitSeen struct {
	ctx  context.Context
	mu   sync.Mutex
	wait time.Duration
}

// trackRateLimit starts tracking 429s for one call made with the returned
// context. Map the call's error with the tracker's mapError.
func trackRateLimit(ctx context.Context) (context.Context, *rateLimitSeen) {
	s := &rateLimitSeen{ctx: ctx}
	return context.WithValue(ctx, rateLimitKey{}, s), s
}

func (s *rateLimitSeen) note(d time.Duration) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wait = d
}

func (s *rateLimitSeen) last() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wait
}
