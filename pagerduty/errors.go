package pagerduty

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
)

// ErrAlreadyResolved is what acting on a resolved incident (acknowledge,
// resolve, escalate) fails with: PagerDuty answers 400 "Incident Already
// Resolved". It is a *domain.InvalidError, so errors.Is(err,
// domain.ErrInvalid) holds too; handlers usually treat it as a stale button.
var ErrAlreadyResolved = &domain.InvalidError{Reason: "This incident is already resolved."}

// ErrUnknownRequester is what a write fails with when PagerDuty has no user
// with the acting person's email (400 "Requester User Not Found"), or when
// the person has no email at all. It is a *domain.InvalidError.
var ErrUnknownRequester = &domain.InvalidError{
	Reason: "PagerDuty has no user with your email address, so toban cannot do this on your behalf.",
}

// codeRequesterNotFound is PagerDuty's error code for an unknown From.
const codeRequesterNotFound = 1008

// apiErrorSays reports whether the error's message or details contain s
// (lower case).
func apiErrorSays(e pd.APIError, s string) bool {
	if !e.APIError.Valid {
		return false
	}
	if strings.Contains(strings.ToLower(e.APIError.ErrorObject.Message), s) {
		return true
	}
	for _, d := range e.APIError.ErrorObject.Errors {
		if strings.Contains(strings.ToLower(d), s) {
			return true
		}
	}
	return false
}

// idPattern is what PagerDuty IDs (and incident numbers) look like. IDs are
// pasted into URL paths by go-pagerduty, so anything else is refused.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)

// checkID refuses an ID that could not be a PagerDuty ID of kind.
func checkID(kind, id string) error {
	if !idPattern.MatchString(id) {
		return domain.Invalid("%q is not a PagerDuty %s ID.", id, kind)
	}
	return nil
}

// checkRequester refuses to write on behalf of someone without an email:
// PagerDuty needs it in the From header.
func checkRequester(as domain.Person) error {
	if strings.TrimSpace(as.Email) == "" {
		return fmt.Errorf("no email for %q: %w", as.Name, ErrUnknownRequester)
	}
	return nil
}

// mapError maps err as the package-level mapError does, adding what only the call knows: the
// wait the last 429 asked for, and the caller's own cancellation (which
// go-pagerduty flattens away).
func (s *rateLimitSeen) mapError(err error) error {
	if err == nil {
		return nil
	}
	if s == nil {
		return mapError(err)
	}
	mapped := mapErrorWait(err, s.last())
	if cerr := s.ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%w)", mapped, cerr)
	}
	return mapped
}

// rateLimitSeenFrom returns the tracker installed by trackRateLimit, or nil.
func rateLimitSeenFrom(ctx context.Context) *rateLimitSeen {
	s, _ := ctx.Value(rateLimitKey{}).(*rateLimitSeen)
	return s
}
