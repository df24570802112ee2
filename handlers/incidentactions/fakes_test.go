package incidentactions

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

// fakeSlack records what the feature says and the modals it opens.
type fakeSlack struct {
	mu      sync.Mutex
	told    []string // to the clicker (response_url or ephemeral)
	threads []string // "channel/thread_ts: text"
	views   []slack.ModalViewRequest
}

func (s *fakeSlack) Respond(_ context.Context, _ string, m chat.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.told = append(s.told, m.Text)
	return nil
}
func (s *fakeSlack) PostEphemeral(_ context.Context, _, _ string, m chat.Message) error {
	return s.Respond(context.Background(), "", m)
}
func (s *fakeSlack) PostMessage(_ context.Context, ch string, m chat.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.threads = append(s.threads, ch+"/"+m.ThreadTS+": "+m.Text)
	return "9.9", nil
}
func (s *fakeSlack) OpenView(_ context.Context, _ string, v slack.ModalViewRequest) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.views = append(s.views, v)
	return "V1", nil
}

// fakePD is one incident and the writes made to it.
type fakePD struct {
	inc    domain.Incident
	prios  []domain.Priority
	err    error // returned by the next write
	hang   bool  // reads wait for their deadline
	writes []string
	froms  []string
}

func (p *fakePD) Incident(ctx context.Context, _ string) (domain.Incident, error) {
	if p.hang {
		<-ctx.Done()
		return domain.Incident{}, fmt.Errorf("read: %w", ctx.Err())
	}
	return p.inc, nil
}
func (p *fakePD) write(from domain.Person, what string) error {
	p.writes = append(p.writes, what)
	p.froms = append(p.froms, from.Email)
	err := p.err
	p.err = nil
	return err
}
func (p *fakePD) Reassign(_ context.Context, from domain.Person, _ string, to domain.Reassignment) (domain.Incident, error) {
	if err := p.write(from, "reassign "+strings.Join(to.UserIDs, ",")+to.EscalationPolicyID); err != nil {
		return domain.Incident{}, err
	}
	p.inc.Assignees = []domain.Person{{ID: "PBOB", Name: "Bob Ops"}}
	return p.inc, nil
}
func (p *fakePD) Snooze(_ context.Context, from domain.Person, _ string, d time.Duration) (domain.Incident, error) {
	if err := p.write(from, "snooze "+d.String()); err != nil {
		return domain.Incident{}, err
	}
	p.inc.SnoozedUntil = testNow.Add(d)
	return p.inc, nil
}
func (p *fakePD) SetPriority(_ context.Context, from domain.Person, _, id string) (domain.Incident, error) {
	if err := p.write(from, "priority "+id); err != nil {
		return domain.Incident{}, err
	}
	for _, pr := range p.prios {
		if pr.ID == id {
			p.inc.Priority = pr
		}
	}
	return p.inc, nil
}
func (p *fakePD) AddResponders(_ context.Context, from domain.Person, _, requester, msg string, targets []domain.ResponderTarget) ([]domain.Responder, error) {
	if err := p.write(from, "responders "+requester+" "+msg); err != nil {
		return nil, err
	}
	var out []domain.Responder
	for _, t := range targets {
		if t.Kind == domain.TargetUser {
			out = append(out, domain.Responder{User: domain.Person{ID: t.ID, Name: "Name of " + t.ID}, State: "pending"})
		}
	}
	return out, nil
}
func (p *fakePD) Priorities(context.Context) ([]domain.Priority, error) { return p.prios, nil }

type fakeDirectory struct{ policyReads *int }

func (fakeDirectory) Users(_ context.Context, q string, _ int) ([]domain.Person, error) {
	var out []domain.Person
	for _, p := range []domain.Person{{ID: "PALICE", Name: "Alice Ops"}, {ID: "PBOB", Name: "Bob Ops"}} {
		if strings.Contains(strings.ToLower(p.Name), strings.ToLower(q)) {
			out = append(out, p)
		}
	}
	return out, nil
}
func (d fakeDirectory) EscalationPolicies(context.Context) ([]domain.EscalationPolicy, error) {
	*d.policyReads++
	return []domain.EscalationPolicy{{ID: "PEP1", Name: "Web Ops"}, {ID: "PEP2", Name: "Database"}}, nil
}

// fakeStore keeps activities, claims and one card.
type fakeStore struct {
	mu         sync.Mutex
	claimed    map[string]bool
	activities []domain.Activity
	dirty      int
	cards      []domain.Card
}

func (s *fakeStore) FirstClick(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claimed[key] {
		return false, nil
	}
	s.claimed[key] = true
	return true, nil
}
func (s *fakeStore) LockIncident(context.Context, string) (func(), error) {
	s.mu.Lock()
	return s.mu.Unlock, nil
}
func (s *fakeStore) RecordActivity(_ context.Context, a domain.Activity) error {
	if err := a.Validate(); err != nil {
		return err
	}
	s.activities = append(s.activities, a) // under the incident lock
	return nil
}
func (s *fakeStore) MarkCardDirty(context.Context, string) error { s.dirty++; return nil }

// SaveCard is called under the incident lock, which holds s.mu.
func (s *fakeStore) SaveCard(_ context.Context, c domain.Card) error {
	for _, have := range s.cards {
		if have.ChannelID == c.ChannelID && have.TS == c.TS {
			return domain.ErrCardExists
		}
	}
	s.cards = append(s.cards, c)
	return nil
}
func (s *fakeStore) CardsForIncident(context.Context, string) ([]domain.Card, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cards, nil
}
func (s *fakeStore) SlackUserFor(_ context.Context, id string) (string, error) {
	if id == "PALICE" {
		return "U1", nil
	}
	return "", domain.ErrNotFound
}

type fakeCards struct{ refreshed int }

func (c *fakeCards) RefreshCards(context.Context, string) { c.refreshed++ }

// actors: U1 is alice (linked); anyone else is not linked.
type actors struct{}

func (actors) ActingAs(_ context.Context, id string) (domain.Person, error) {
	if id == "U1" {
		return domain.Person{ID: "PALICE", Name: "Alice Ops", Email: "alice@example.com"}, nil
	}
	return domain.Person{}, &identity.NotLinkedError{Email: id + "@example.com"}
}

var testNow = time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)

type world struct {
	f     *Feature
	slack *fakeSlack
	pd    *fakePD
	store *fakeStore
	cards *fakeCards
	// policyReads counts EscalationPolicies calls; now is the clock.
	policyReads int
	now         time.Time
}

func newWorld(t *testing.T, status domain.Status) *world {
	t.Helper()
	w := &world{
		slack: &fakeSlack{},
		pd: &fakePD{
			inc: domain.Incident{ID: "Q1", Number: 12, Title: "DB <down>", Status: status,
				Assignees: []domain.Person{{ID: "PALICE", Name: "Alice Ops"}}, Priority: domain.Priority{ID: "PP3", Name: "P3"},
				LastStatusChangeBy: domain.Person{ID: "PBOB", Name: "Bob Ops"}, LastStatusChangeAt: testNow.Add(-time.Hour)},
			prios: []domain.Priority{{ID: "PP1", Name: "P1", Description: "Critical"}, {ID: "PP3", Name: "P3"}},
		},
		store: &fakeStore{claimed: map[string]bool{}, cards: []domain.Card{{IncidentID: "Q1", ChannelID: "C1", TS: "1.0"}}},
		cards: &fakeCards{},
	}
	w.now = testNow
	w.f = &Feature{Slack: w.slack, PagerDuty: w.pd, Directory: fakeDirectory{&w.policyReads}, Store: w.store, Cards: w.cards,
		Identity: actors{}, Now: func() time.Time { return w.now }, Log: zerolog.Nop()}
	return w
}
