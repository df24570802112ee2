package incidents

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// Link answers /toban link [email] and, for admins, /toban link @user
// email; usage says what is wrong with the words and lists the commands.
func (a *Feature) Link(args []string, userID, responseURL string, usage func(problem string) chat.Reply) chat.Response {
	if a.PagerDuty == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	target, email := userID, ""
	switch len(args) {
	case 0:
	case 1:
		email = args[0]
	case 2:
		target, email = identity.ParseMention(args[0]), args[1]
		if target == "" {
			return chat.Response{Ack: usage(":warning: The first word should be a person, like `/toban link @alice alice@example.com`.")}
		}
	default:
		return chat.Response{Ack: usage(":warning: `/toban link` takes an email, or (admins) a person and an email.")}
	}
	email = strings.Trim(email, "<>")
	if i := strings.Index(email, "|"); strings.HasPrefix(email, "mailto:") && i > 0 {
		email = email[i+1:] // Slack turns typed emails into <mailto:a@b|a@b>
	}
	if email != "" && !strings.Contains(email, "@") {
		return chat.Response{Ack: usage(fmt.Sprintf(":warning: %q is not an email address.", chat.Truncate(email, 60)))}
	}
	if target != userID && !a.Admins[userID] {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: ":no_entry: Only toban admins can link someone else's account."})}
	}
	return chat.Response{Then: func(ctx context.Context) error {
		msg, err := a.doLink(ctx, userID, target, email)
		if err != nil {
			return err
		}
		return a.Slack.Respond(ctx, responseURL, msg)
	}}
}

func (a *Feature) doLink(ctx context.Context, actor, target, email string) (chat.Message, error) {
	profileEmail, err := a.Slack.UserEmail(ctx, target)
	if err != nil {
		return chat.Message{}, fmt.Errorf("email of %s: %w", target, err)
	}
	if email == "" {
		if profileEmail == "" {
			return chat.Message{Text: ":warning: Your Slack profile shows no email. Run `/toban link your-pagerduty-email`."}, nil
		}
		email = profileEmail
	}
	// Linking to an email that is not your own would let you act in
	// PagerDuty as someone else; only admins may vouch for a different one.
	if !strings.EqualFold(email, profileEmail) && !a.Admins[actor] {
		return chat.Message{Text: fmt.Sprintf(":no_entry: %s is not the email on your Slack profile. Ask a toban admin to run `/toban link <@%s> %s`.", email, target, email)}, nil
	}
	person, err := a.PagerDuty.UserByEmail(ctx, email)
	if errors.Is(err, domain.ErrNotFound) {
		return chat.Message{Text: fmt.Sprintf(":mag: No PagerDuty user has the email %s. Check the address in PagerDuty (My Profile).", email)}, nil
	}
	if err != nil {
		return chat.Message{}, fmt.Errorf("link %s: %w", email, err)
	}
	if err := a.identity().SaveLink(ctx, target, person, true); err != nil {
		return chat.Message{}, err
	}
	return chat.Message{Text: fmt.Sprintf(":link: <@%s> is linked to PagerDuty user *%s* (%s). toban acts in PagerDuty as them for their clicks.", target, chat.Escape(person.Name), person.Email)}, nil
}

// identity is who the feature's users act as, over its database, Slack and
// PagerDuty ports.
func (a *Feature) identity() *identity.Resolver {
	return &identity.Resolver{Links: a.Store, Slack: a.Slack, PagerDuty: a.PagerDuty, Now: a.now}
}

// ActingAs is the PagerDuty user a Slack user acts as (identity.Resolver);
// features that act as someone are given it.
func (a *Feature) ActingAs(ctx context.Context, slackUserID string) (domain.Person, error) {
	return a.identity().ActingAs(ctx, slackUserID)
}

// LinkSelf links the Slack user to the PagerDuty user with their Slack
// profile's email, as `/toban link` without arguments does, and says what
// happened (the App Home's Link account button).
func (a *Feature) LinkSelf(ctx context.Context, slackUserID string) (chat.Message, error) {
	if a.PagerDuty == nil {
		return chat.Message{Text: chat.NotConfigured}, nil
	}
	return a.doLink(ctx, slackUserID, slackUserID, "")
}
