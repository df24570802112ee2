package runbook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	rb "github.com/tobanbot/toban/runbook"
)

// Thread is a message whose thread tells an incident's story: one per card.
type Thread struct{ ChannelID, TS string }

// Slack is what the feature says in Slack.
type Slack interface {
	PostMessage(ctx context.Context, channel string, msg chat.Message) (ts string, err error)
	// UpdateMessage replaces the message at ts: a run's "Running…" line
	// loses its Stop button when the run ends.
	UpdateMessage(ctx context.Context, channel, ts string, msg chat.Message) error
	// UploadFileIn shares a file as a reply in the thread threadTS.
	UploadFileIn(ctx context.Context, channel, threadTS, filename, title string, content []byte) error
	// GroupHandles lists the handles ("@sre") of the user groups a user is in.
	GroupHandles(ctx context.Context, userID string) ([]string, error)
}

// Threads finds the threads of an incident's cards, and brings the cards
// up to date after toban changed the incident.
type Threads interface {
	IncidentThreads(ctx context.Context, incidentID string) ([]Thread, error)
	RefreshCards(ctx context.Context, incidentID string)
}

// Runs reads the record of runs.
type Runs interface {
	LastRunbookRuns(ctx context.Context) (map[string]domain.RunbookRun, error)
	InterruptStaleRunbookRuns(ctx context.Context, grace time.Duration) ([]domain.RunbookRun, error)
}

// Incidents reads an incident as PagerDuty has it now.
type Incidents interface {
	Incident(ctx context.Context, id string) (domain.Incident, error)
}

// Activities records what toban did to an incident (domain.Activity),
// for the incident's timeline.
type Activities interface {
	RecordActivity(ctx context.Context, a domain.Activity) error
}

// Clicker is who clicked, as the router and identity know them.
type Clicker struct {
	SlackUserID string
	Admin       bool
	// Person is their linked PagerDuty user; zero when not linked.
	Person domain.Person
}

// Feature puts runbook actions on incident cards and runs them. A nil
// *Feature means no actions file is configured.
type Feature struct {
	Actions   *rb.Set
	Responder *rb.Responder
	Slack     Slack
	Threads   Threads
	Runs      Runs
	Incidents Incidents
	// Activities records each run's result (kind "runbook") for the
	// incident's timeline; nil records nothing.
	Activities Activities
	Location   *time.Location
	Log        zerolog.Logger
	// Workers bounds how many responses run at once (default 4).
	Workers int

	once sync.Once
	jobs chan func(context.Context)

	// stoppable holds, per incident, the "Running…" lines this replica
	// posted with a Stop button, to take the button away when the run
	// ends.
	mu        sync.Mutex
	stoppable map[string][]postedLine
}

// postedLine is a message toban posted in a card's thread.
type postedLine struct {
	channel, ts string
	msg         chat.Message
}

// queueSize bounds the responses waiting for a worker; an alert storm on a
// service with checks would otherwise start hundreds at once.
const queueSize = 256

// interruptGrace is how long past its deadline a run may still finish
// before it counts as cut short by a restart (replicas' clocks may differ
// by a little); interruptCheck is how often runs are looked at.
const (
	interruptGrace = 5 * time.Second
	interruptCheck = 2 * time.Second
)

func (f *Feature) init() {
	f.once.Do(func() { f.jobs = make(chan func(context.Context), queueSize) })
}

// Run works through queued responses and tells runs cut short by a restart,
// until ctx ends; then it waits for the responses under way.
func (f *Feature) Run(ctx context.Context) error {
	f.init()
	workers := f.Workers
	if workers <= 0 {
		workers = 4
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case job := <-f.jobs:
					job(ctx)
				}
			}
		}()
	}
	ticker := time.NewTicker(interruptCheck)
	defer ticker.Stop()
	for {
		f.tellInterrupted(ctx)
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-ticker.C:
		}
	}
}

// tellInterrupted marks runs cut short by a restart and says so in their
// incidents' threads, once each; none is run again by itself.
func (f *Feature) tellInterrupted(ctx context.Context) {
	runs, err := f.Runs.InterruptStaleRunbookRuns(ctx, interruptGrace)
	if err != nil {
		f.Log.Error().Err(err).Msg("mark interrupted runbook runs")
		return
	}
	for _, r := range runs {
		f.Log.Warn().Str("incident", r.IncidentID).Str("action", r.Action).Msg("runbook run interrupted by a restart")
		_ = f.Tell(ctx, r.IncidentID, fmt.Sprintf(":octagonal_sign: *%s* was interrupted: toban stopped during the run. It will not be run again by itself; run it from the card if it is still needed.", escape(r.Action)))
	}
}

// enqueue hands a response to the workers without blocking the caller.
func (f *Feature) enqueue(incidentID string, job func(context.Context)) error {
	f.init()
	select {
	case f.jobs <- job:
		return nil
	default:
		f.Log.Warn().Str("incident", incidentID).Int("queue", queueSize).Msg("runbook queue full: response not started")
		return domain.Invalid("Too many runbook responses are waiting; try again in a minute.")
	}
}

// Triggered starts the response to a new incident (its service's checks),
// in the background.
func (f *Feature) Triggered(inc domain.Incident) {
	_ = f.enqueue(inc.ID, func(ctx context.Context) {
		if err := f.Responder.Triggered(ctx, inc, nil); err != nil && !errors.Is(err, rb.ErrBusy) {
			f.Log.Error().Err(err).Str("incident", inc.ID).Msg("runbook response")
			_ = f.Tell(ctx, inc.ID, ":warning: The runbook response stopped: "+chat.UserMessage(err))
		}
	})
}

// ForIncident returns the actions of the incident's service.
func (f *Feature) ForIncident(inc domain.Incident) []*rb.Action {
	return f.Actions.ForService(inc.ServiceID, inc.ServiceName)
}

// CardBlockFor is the runbook row of the incident's card (nil for none).
func (f *Feature) CardBlockFor(inc domain.Incident) slack.Block {
	return CardBlock(f.ForIncident(inc), inc, f.Responder.Running(inc.ID))
}

// Click answers a runbook button or menu. Refusals come back as
// domain.Invalid errors, which the router tells the clicker.
func (f *Feature) Click(ctx context.Context, who Clicker, act *slack.BlockAction) error {
	switch {
	case strings.HasPrefix(act.ActionID, ActionRun+":") || act.ActionID == ActionPick:
		value := act.Value
		if act.ActionID == ActionPick {
			value = act.SelectedOption.Value
		}
		incidentID, name, ok := ParseRunValue(value)
		if !ok {
			return domain.Invalid("That runbook button is not valid.")
		}
		return f.runClicked(ctx, who, incidentID, name)
	case act.ActionID == ActionRecover:
		inc, err := f.openIncident(ctx, act.Value)
		if err != nil {
			return err
		}
		recovery := f.recoveryOf(inc)
		if recovery == nil {
			return domain.Invalid("No recovery action is declared for %s.", inc.ServiceName)
		}
		if err := f.allowed(ctx, who, recovery); err != nil {
			return err
		}
		return f.enqueue(inc.ID, func(ctx context.Context) {
			f.report(ctx, inc.ID, f.Responder.Recover(ctx, inc, nil, rb.Actor{SlackUserID: who.SlackUserID, Person: who.Person}))
		})
	case act.ActionID == ActionEscalate:
		if who.Person.Email == "" {
			return domain.Invalid("Link your Slack account to PagerDuty first (`/toban link`): toban escalates as you.")
		}
		inc, err := f.openIncident(ctx, act.Value)
		if err != nil {
			return err
		}
		return f.Responder.EscalateNow(ctx, inc, rb.Actor{SlackUserID: who.SlackUserID, Person: who.Person})
	case act.ActionID == ActionStop:
		if who.Person.Email == "" && !who.Admin {
			return domain.Invalid("Only people linked to PagerDuty, and admins, can stop a runbook.")
		}
		if !f.Responder.Stop(act.Value, rb.Actor{SlackUserID: who.SlackUserID, Person: who.Person}) {
			return domain.Invalid("No runbook response is under way for that incident.")
		}
		return nil
	}
	return domain.Invalid("That runbook button is not known.")
}

func (f *Feature) runClicked(ctx context.Context, who Clicker, incidentID, name string) error {
	a := f.Actions.Named(name)
	if a == nil {
		return domain.Invalid("The action %q is no longer declared.", name)
	}
	if err := f.allowed(ctx, who, a); err != nil {
		return err
	}
	inc, err := f.openIncident(ctx, incidentID)
	if err != nil {
		return err
	}
	return f.enqueue(inc.ID, func(ctx context.Context) {
		_, err := f.Responder.RunOne(ctx, a, inc, nil, rb.Actor{SlackUserID: who.SlackUserID, Person: who.Person})
		f.report(ctx, inc.ID, err)
	})
}

// allowed refuses a clicker the action does not permit, naming who may.
func (f *Feature) allowed(ctx context.Context, who Clicker, a *rb.Action) error {
	caller := rb.Caller{Admin: who.Admin, Linked: who.Person.Email != ""}
	for _, w := range a.Allowed {
		if strings.HasPrefix(w, "@") {
			groups, err := f.Slack.GroupHandles(ctx, who.SlackUserID)
			if err != nil {
				return fmt.Errorf("user groups of %s: %w", who.SlackUserID, err)
			}
			caller.Groups = groups
			break
		}
	}
	if !a.Permits(caller) {
		return domain.Invalid("You may not run *%s*: only %s may.", a.Name, a.WhoMayRun())
	}
	return nil
}

func (f *Feature) openIncident(ctx context.Context, id string) (domain.Incident, error) {
	inc, err := f.Incidents.Incident(ctx, id)
	if err != nil {
		return domain.Incident{}, fmt.Errorf("read incident %s: %w", id, err)
	}
	if !inc.Open() {
		return domain.Incident{}, domain.Invalid("Incident #%d is already resolved.", inc.Number)
	}
	return inc, nil
}

func (f *Feature) recoveryOf(inc domain.Incident) *rb.Action {
	for _, a := range f.ForIncident(inc) {
		if a.Role == rb.RoleRecover {
			return a
		}
	}
	return nil
}

// report tells the thread why a response clicked from it stopped.
func (f *Feature) report(ctx context.Context, incidentID string, err error) {
	switch {
	case err == nil:
	case errors.Is(err, rb.ErrBusy):
		_ = f.Tell(ctx, incidentID, "A runbook response is already under way for this incident.")
	case errors.Is(err, domain.ErrInvalid):
		_ = f.Tell(ctx, incidentID, ":warning: "+chat.UserMessage(err))
	default:
		f.Log.Error().Err(err).Str("incident", incidentID).Msg("runbook response")
		_ = f.Tell(ctx, incidentID, ":warning: "+chat.UserMessage(err))
	}
}

// Command is /toban runbook: the actions and their last results.
func (f *Feature) Command(ctx context.Context) (chat.Message, error) {
	last, err := f.Runs.LastRunbookRuns(ctx)
	if err != nil {
		return chat.Message{}, fmt.Errorf("last runbook runs: %w", err)
	}
	loc := f.Location
	if loc == nil {
		loc = time.UTC
	}
	return chat.Message{Text: "Runbook actions", Blocks: ListBlocks(f.Actions, last, loc)}, nil
}

// HasActions says whether any runbook action applies to inc (the incident
// feature runs checks of new incidents that have some).
func (f *Feature) HasActions(inc domain.Incident) bool { return len(f.ForIncident(inc)) > 0 }
