package handlers

import (
	"context"
	"errors"
	"fmt"
	"github.com/tobanbot/toban/handlers/chat"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/storage"
)

// linkMaxAge is how long an automatic Slack → PagerDuty link is trusted
// before the email is looked up again (people change jobs and emails).
const linkMaxAge = 24 * time.Hour

// errNotLinked means the Slack user has no PagerDuty user toban may act as.
type errNotLinked struct{ email string }

func (e *errNotLinked) Error() string { return "slack user not linked to pagerduty" }

// actingAs finds the PagerDuty user a Slack user acts as: a stored link,
// else the PagerDuty user with the email of their Slack profile. Admins
// get no exception: nobody acts in PagerDuty as someone else.
func (a *App) actingAs(ctx context.Context, slackUserID string) (domain.Person, error) {
	link, err := a.Store.UserLink(ctx, slackUserID, linkMaxAge)
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
		return domain.Person{}, &errNotLinked{}
	}
	person, err := a.PagerDuty.UserByEmail(ctx, email)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Person{}, &errNotLinked{email: email}
	}
	if err != nil {
		return domain.Person{}, fmt.Errorf("pagerduty user for %s: %w", slackUserID, err)
	}
	if err := a.saveLink(ctx, slackUserID, person, false); err != nil {
		return domain.Person{}, err
	}
	return person, nil
}

func (a *App) saveLink(ctx context.Context, slackUserID string, p domain.Person, manual bool) error {
	err := a.Store.SaveUserLink(ctx, storage.UserLink{
		SlackUserID: slackUserID, PDUserID: p.ID, PDName: p.Name, Email: p.Email,
		Manual: manual, CheckedAt: a.now(),
	})
	if err != nil {
		return fmt.Errorf("save link of %s: %w", slackUserID, err)
	}
	return nil
}

// actorFor is the PagerDuty user the clicker acts as. When there is none,
// it tells them why and how to fix it, and returns ok false with the
// error of that message (nil when it was delivered).
func (a *App) actorFor(ctx context.Context, place chat.Place) (domain.Person, bool, error) {
	actor, err := a.actingAs(ctx, place.UserID)
	var notLinked *errNotLinked
	switch {
	case errors.As(err, &notLinked):
		return domain.Person{}, false, a.tellClicker(ctx, place, notLinkedMessage(notLinked))
	case err != nil:
		return domain.Person{}, false, err
	}
	return actor, true, nil
}

// notLinkedMessage explains why nothing happened, with a way out.
func notLinkedMessage(err *errNotLinked) chat.Message {
	why := "Your Slack profile shows no email, so I can't find your PagerDuty user."
	if err.email != "" {
		why = fmt.Sprintf("No PagerDuty user has the email on your Slack profile (%s).", err.email)
	}
	text := ":bust_in_silhouette: " + why + " I act in PagerDuty only as the person who clicks, so nothing was changed.\n" +
		"If your PagerDuty email is the same as Slack's, click *Link account*; otherwise ask an admin to run `/toban link @you your-pagerduty-email`."
	return chat.Message{Text: text, Blocks: []slack.Block{
		slack.NewSectionBlock(chat.Mrkdwn(text), nil, nil),
		slack.NewActionBlock("toban.link", runButton("Link account", "link")),
	}}
}

// link answers /toban link [email] and, for admins, /toban link @user email.
func (a *App) link(args []string, userID, responseURL string) chat.Response {
	if a.PagerDuty == nil {
		return chat.Response{Ack: chat.Ephemeral(chat.Message{Text: chat.NotConfigured})}
	}
	target, email := userID, ""
	switch len(args) {
	case 0:
	case 1:
		email = args[0]
	case 2:
		target, email = parseMention(args[0]), args[1]
		if target == "" {
			return chat.Response{Ack: usageMessage(":warning: The first word should be a person, like `/toban link @alice alice@example.com`.")}
		}
	default:
		return chat.Response{Ack: usageMessage(":warning: `/toban link` takes an email, or (admins) a person and an email.")}
	}
	email = strings.Trim(email, "<>")
	if i := strings.Index(email, "|"); strings.HasPrefix(email, "mailto:") && i > 0 {
		email = email[i+1:] // Slack turns typed emails into <mailto:a@b|a@b>
	}
	if email != "" && !strings.Contains(email, "@") {
		return chat.Response{Ack: usageMessage(fmt.Sprintf(":warning: %q is not an email address.", chat.Truncate(email, 60)))}
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

func (a *App) doLink(ctx context.Context, actor, target, email string) (chat.Message, error) {
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
	if err := a.saveLink(ctx, target, person, true); err != nil {
		return chat.Message{}, err
	}
	return chat.Message{Text: fmt.Sprintf(":link: <@%s> is linked to PagerDuty user *%s* (%s). toban acts in PagerDuty as them for their clicks.", target, chat.Escape(person.Name), person.Email)}, nil
}

// parseMention reads a user ID out of "<@U123|alice>" or "<@U123>".
func parseMention(s string) string {
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
