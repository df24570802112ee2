package identity

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

type links map[string]domain.UserLink

func (l links) UserLink(_ context.Context, id string, _ time.Duration) (domain.UserLink, error) {
	if k, ok := l[id]; ok {
		return k, nil
	}
	return domain.UserLink{}, domain.ErrNotFound
}

func (l links) SaveUserLink(_ context.Context, k domain.UserLink) error {
	l[k.SlackUserID] = k
	return nil
}

type emails map[string]string

func (e emails) UserEmail(_ context.Context, id string) (string, error) { return e[id], nil }

type directory map[string]domain.Person

func (d directory) UserByEmail(_ context.Context, email string) (domain.Person, error) {
	if p, ok := d[email]; ok {
		return p, nil
	}
	return domain.Person{}, domain.ErrNotFound
}

func TestActingAs(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	store := links{}
	r := &Resolver{
		Links:     store,
		Slack:     emails{"UALICE": "alice@example.com", "UBOB": "bob@example.com"},
		PagerDuty: directory{"alice@example.com": {ID: "PALICE", Name: "Alice", Email: "alice@example.com"}},
		Now:       func() time.Time { return now },
	}
	ctx := context.Background()
	p, err := r.ActingAs(ctx, "UALICE")
	if err != nil || p.ID != "PALICE" {
		t.Fatalf("alice: %v %v", p, err)
	}
	if k := store["UALICE"]; k.PDUserID != "PALICE" || k.Manual || !k.CheckedAt.Equal(now) {
		t.Errorf("link not saved from the lookup: %+v", k)
	}
	var notLinked *NotLinkedError
	if _, err := r.ActingAs(ctx, "UBOB"); !errors.As(err, &notLinked) || notLinked.Email != "bob@example.com" {
		t.Fatalf("bob: %v", err)
	}
	if _, err := r.ActingAs(ctx, "UNOEMAIL"); !errors.As(err, &notLinked) || notLinked.Email != "" {
		t.Fatalf("no email: %v", err)
	}
	if msg := NotLinkedMessage(&NotLinkedError{Email: "bob@example.com"}); len(msg.Blocks) != 2 {
		t.Errorf("not-linked message has no Link account button: %+v", msg)
	}
}

func TestParseMention(t *testing.T) {
	for in, want := range map[string]string{"<@U123|alice>": "U123", "<@W9>": "W9", "U123": "", "<@u1>": "", "<@>": ""} {
		if got := ParseMention(in); got != want {
			t.Errorf("ParseMention(%q) = %q, want %q", in, got, want)
		}
	}
}
