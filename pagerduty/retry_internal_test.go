package pagerduty

import (
	"errors"
	"net/http"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
)

func TestRetryWait(t *testing.T) {
	resp := func(status int, h ...string) *http.Response {
		r := &http.Response{StatusCode: status, Header: http.Header{}}
		for i := 0; i+1 < len(h); i += 2 {
			r.Header.Set(h[i], h[i+1])
		}
		return r
	}
	errConn := errors.New("connection refused")
	tests := []struct {
		name      string
		method    string
		resp      *http.Response
		err       error
		attempt   int
		want      time.Duration
		wantRetry bool
	}{
		{"OK", "GET", resp(200), nil, 1, 0, false},
		{"NotFound", "GET", resp(404), nil, 1, 0, false},
		{"RateLimitReset", "POST", resp(429, "ratelimit-reset", "7"), nil, 1, 7 * time.Second, true},
		{"RateLimitResetFraction", "GET", resp(429, "ratelimit-reset", "0.5"), nil, 1, 500 * time.Millisecond, true},
		{"RateLimitResetWins", "GET", resp(429, "ratelimit-reset", "3", "Retry-After", "9"), nil, 1, 3 * time.Second, true},
		{"RateLimitRetryAfter", "GET", resp(429, "Retry-After", "2"), nil, 1, 2 * time.Second, true},
		{"RateLimitBadHeader", "GET", resp(429, "ratelimit-reset", "soon"), nil, 2, 400 * time.Millisecond, true},
		{"RateLimitBackoff", "POST", resp(429), nil, 3, 800 * time.Millisecond, true},
		{"ServerErrorGET", "GET", resp(500), nil, 1, 200 * time.Millisecond, true},
		{"ServerErrorPUT", "PUT", resp(503, "Retry-After", "4"), nil, 1, 4 * time.Second, true},
		{"ServerErrorDELETE", "DELETE", resp(502), nil, 2, 400 * time.Millisecond, true},
		{"ServerErrorPOST", "POST", resp(500), nil, 1, 200 * time.Millisecond, false},
		{"ConnGET", "GET", nil, errConn, 1, 200 * time.Millisecond, true},
		{"ConnPOST", "POST", nil, errConn, 1, 200 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, retry := retryWait(tt.method, tt.resp, tt.err, tt.attempt)
			if retry != tt.wantRetry || (retry && got != tt.want) {
				t.Errorf("got %v, %v; want %v, %v", got, retry, tt.want, tt.wantRetry)
			}
		})
	}
}

func TestBestLevel(t *testing.T) {
	set := func(ids ...string) map[string]bool {
		m := map[string]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	tests := []struct {
		name     string
		levels   map[int]map[string]bool
		assigned map[string]bool
		want     int
	}{
		{"Simple", map[int]map[string]bool{1: set("a"), 2: set("b")}, set("b"), 2},
		{"NoMatch", map[int]map[string]bool{1: set("a"), 2: set("b")}, set("z"), 1},
		{"NoLevels", nil, set("a"), 1},
		{"ExactWins", map[int]map[string]bool{1: set("a", "b"), 2: set("a")}, set("a"), 2},
		{"MostWins", map[int]map[string]bool{1: set("a", "x"), 2: set("a", "b", "y")}, set("a", "b"), 2},
		{"TieLowest", map[int]map[string]bool{3: set("a"), 2: set("a")}, set("a"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bestLevel(tt.levels, tt.assigned); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestMapErrorBadRequest(t *testing.T) {
	apiErr := func(code int, msg string, errs ...string) error {
		return pd.APIError{StatusCode: 400, APIError: pd.NullAPIErrorObject{Valid: true,
			ErrorObject: pd.APIErrorObject{Code: code, Message: msg, Errors: errs}}}
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"AlreadyResolved", apiErr(2001, "Invalid Input Provided", "Incident Already Resolved"), ErrAlreadyResolved},
		{"UnknownRequester", apiErr(1008, "Requester User Not Found"), ErrUnknownRequester},
		{"Other", apiErr(2001, "Invalid Input Provided", "Title cannot be empty"), domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mapError(tt.err)
			var invalid *domain.InvalidError
			if !errors.Is(got, tt.want) || !errors.Is(got, domain.ErrInvalid) || !errors.As(got, &invalid) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("RateLimitWait", func(t *testing.T) {
		var rl *domain.RateLimitError
		err := mapErrorWait(pd.APIError{StatusCode: 429}, 3*time.Second)
		if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
			t.Errorf("got %v, want RetryAfter 3s", err)
		}
	})
}
