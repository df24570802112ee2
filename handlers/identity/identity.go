// Package identity decides who a Slack user acts as in PagerDuty: a stored
// link, else the PagerDuty user with their Slack profile's email. Nobody
// acts as someone else. It owns the link and the "not linked" answer; it
// reaches the database, Slack and PagerDuty through the three small ports
// below and may import domain and handlers/chat only.
package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// LinkMaxAge is how long an automatic Slack → PagerDuty link is trusted
// before the email is looked up again (people change jobs and emails).
const LinkMaxAge = 24 * time.Hour

// Links keeps links; UserLink fails with domain.ErrNotFound when there is
// none younger than maxAge.
type Links interface {
	UserLink(ctx context.Context, slackUserID string, maxAge time.Duration) (domain.UserLink, error)
	SaveUserLink(ctx context.Context, l domain.UserLink) error
}

// Emails reads a Slack user's profile email ("" when hidden).
type Emails interface {
	UserEmail(ctx context.Context, userID string) (string, error)
}

// Directory finds a PagerDuty user by email (domain.ErrNotFound if none).
type Directory interface {
	UserByEmail(ctx context.Context, email string) (domain.Person, error)
}

// Resolver finds who people act as. Now stamps new links.
type Resolver struct {
	Links     Links
	Slack     Emails
	PagerDuty Directory
	Now       func() time.Time
}

// NotLinkedError means the Slack user has no PagerDuty user toban may act
// as; Email is the profile email that matched nobody ("" when hidden).
type NotLinkedError struct{ Email string }

func (e *NotLinkedError) Error() string { return "slack user not linked to pagerduty" }

// ActingAs finds the PagerDuty user a Slack user acts as: a stored link,
// else the PagerDuty user with the email of their Slack profile. Admins
// get no exception: nobody acts in PagerDuty as someone else.
func (a *Resolver) ActingAs(ctx context.Context, slackUserID string) (domain.Person, error) {
	link, err := a.Links.UserLink(ctx, slackUserID, LinkMaxAge)
	if err == nil {
		return domain.Person{ID: link.PDUserID, Name: link.PDName, Email: link.Email}, nil
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return domain.Person{}, fmt.Errorf("read link of %s: %w", slackUserID, err)
	}
	email, err := a.Slack.UserEmail(ctx, slackUserID)
	if err != nil {
		return domain.Person{}, fmt.Errorf("email of %s: %w", slackUserID, err)
	}
	if email == "" {
		return domain.Person{}, &NotLinkedError{}
	}
	person, err := a.PagerDuty.UserByEmail(ctx, email)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Person{}, &NotLinkedError{Email: email}
	}
	if err != nil {
		return domain.Person{}, fmt.Errorf("pagerduty user for %s: %w", slackUserID, err)
	}
	if err := a.SaveLink(ctx, slackUserID, person, false); err != nil {
		return domain.Person{}, err
	}
	return person, nil
}

// SaveLink records that slackUserID acts as p; manual is /toban link's.
func (a *Resolver) SaveLink(ctx context.Context, slackUserID string, p domain.Person, manual bool) error {
	err := a.Links.SaveUserLink(ctx, domain.UserLink{
		SlackUserID: slackUserID, PDUserID: p.ID, PDName: p.Name, Email: p.Email,
		Manual: manual, CheckedAt: a.Now(),
	})
	if err != nil {
		return fmt.Errorf("save link of %s: %w", slackUserID, err)
	}
	return nil
}

// Actor says who a Slack user acts as in PagerDuty: a *Resolver, or the
// port a feature declares for it.
type Actor interface {
	ActingAs(ctx context.Context, slackUserID string) (domain.Person, error)
}

// ActorFor is the PagerDuty user the clicker at place acts as. When there
// is none, it tells them why and how to fix it (chat.TellClicker), and
// returns ok false with the error of that message (nil when it was
// delivered).
func ActorFor(ctx context.Context, who Actor, s chat.Teller, place chat.Place) (domain.Person, bool, error) {
	actor, err := who.ActingAs(ctx, place.UserID)
	var notLinked *NotLinkedError
	switch {
	case errors.As(err, &notLinked):
		return domain.Person{}, false, chat.TellClicker(ctx, s, place, NotLinkedMessage(notLinked))
	case err != nil:
		return domain.Person{}, false, err
	}
	return actor, true, nil
}

// NotLinkedMessage explains why nothing happened, with a way out.
func NotLinkedMessage(err *NotLinkedError) chat.Message {
	why := "Your Slack profile shows no email, so I can't find your PagerDuty user."
	if err.Email != "" {
		why = fmt.Sprintf("No PagerDuty user has the email on your Slack profile (%s).", err.Email)
	}
	text := ":bust_in_silhouette: " + why + " I act in PagerDuty only as the person who clicks, so nothing was changed.\n" +
		"If your PagerDuty email is the same as Slack's, click *Link account*; otherwise ask an admin to run `/toban link @you your-pagerduty-email`."
	return chat.Message{Text: text, Blocks: []slack.Block{
		slack.NewSectionBlock(chat.Mrkdwn(text), nil, nil),
		slack.NewActionBlock("toban.link", chat.RunButton("Link account", "link")),
	}}
}

// ParseMention reads a user ID out of "<@U123|alice>" or "<@U123>".
func ParseMention(s string) string {
	if !strings.HasPrefix(s, "<@") || !strings.HasSuffix(s, ">") {
		return ""
	}
	id := strings.TrimSuffix(strings.TrimPrefix(s, "<@"), ">")
	if i := strings.IndexByte(id, '|'); i >= 0 {
		id = id[:i]
	}
	if !slackUserIDPattern(id) {
		return ""
	}
	return id
}

func slackUserIDPattern(id string) bool {
	if len(id) < 2 || (id[0] != 'U' && id[0] != 'W') {
		return false
	}
	for _, r := range id[1:] {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
