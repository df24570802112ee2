package domain

import (
	"errors"
	"fmt"
	"time"
)

// The kinds of failure toban tells people about. Adapters wrap their errors
// with one of these so that handlers map them to a message in one place.
var (
	// ErrNotFound: the thing asked for does not exist (or is not visible).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the input was wrong; the message says how.
	ErrInvalid = errors.New("invalid input")
	// ErrUnauthorized: the person or token may not do this.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrRateLimited: a vendor asked us to slow down; try again later.
	ErrRateLimited = errors.New("rate limited")
	// ErrNotConfigured: the feature needs configuration that is missing.
	ErrNotConfigured = errors.New("not configured")
	// ErrUnavailable: a vendor failed or timed out; try again later.
	ErrUnavailable = errors.New("unavailable")
)

// InvalidError is an ErrInvalid that carries a message meant for the person
// who gave the input.
type InvalidError struct{ Reason string }

// Invalid returns an error of kind ErrInvalid with a reason people can read.
func Invalid(format string, args ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

func (e *InvalidError) Error() string { return e.Reason }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// RateLimitError is an ErrRateLimited that knows when to try again.
type RateLimitError struct {
	Service    string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s rate limited, retry after %s", e.Service, e.RetryAfter)
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// UnavailableError is an ErrUnavailable that says what went wrong, in
// words for the person ("answered with a server error (HTTP 503)").
type UnavailableError struct {
	Service string
	Reason  string
}

func (e *UnavailableError) Error() string { return e.Service + " " + e.Reason }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }
