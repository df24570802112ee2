package runbook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tobanbot/toban/domain"
)

// Runner runs one action (Executor does).
type Runner interface {
	Run(ctx context.Context, a *Action, inc Incident, from string) Result
}

// Runs records runs (the database).
type Runs interface {
	// StartRunbookRun fails with domain.ErrRunInProgress when the action
	// is already running for the incident.
	StartRunbookRun(ctx context.Context, r domain.RunbookRun) (int64, error)
	FinishRunbookRun(ctx context.Context, id int64, status, summary, output string, truncated bool) (bool, error)
}

// Incidents is the part of PagerDuty a response writes to, always as a
// person (PagerDuty's From).
type Incidents interface {
	CurrentLevel(ctx context.Context, inc domain.Incident) (int, error)
	Escalate(ctx context.Context, id string, level int, as domain.Person) (domain.Incident, error)
	Resolve(ctx context.Context, id string, as domain.Person) (domain.Incident, error)
	AddNote(ctx context.Context, id string, as domain.Person, content string) (domain.Note, error)
}

// Teller tells people in the incident's card thread what a response does.
type Teller interface {
	// Tell posts one line.
	Tell(ctx context.Context, incidentID, text string) error
	// Result posts how a run ended, with its output.
	Result(ctx context.Context, incidentID string, a *Action, res Result) error
	// Offer asks whether to run recovery or escalate (the phone menu's 1
	// and 2) after check failed.
	Offer(ctx context.Context, incidentID string, check *Action, res Result, recovery *Action) error
	// Changed says toban changed the incident in PagerDuty (resolved or
	// escalated it), so its cards show the change now.
	Changed(ctx context.Context, incidentID string)
}

// Actor is who a run is for: a Slack user and their linked PagerDuty user,
// or toban itself (empty SlackUserID) acting as the configured user.
type Actor struct {
	SlackUserID string
	Person      domain.Person
}

func (a Actor) mention() string {
	if a.SlackUserID == "" {
		return "toban"
	}
	return "<@" + a.SlackUserID + ">"
}

// Responder runs check → recover → check, then resolves or escalates, and
// tells every step. One response per incident at a time; Stop ends it.
type Responder struct {
	Actions   *Set
	Runner    Runner
	Runs      Runs
	Incidents Incidents
	Teller    Teller
	Now       func() time.Time
	// Self is who toban acts as in PagerDuty when nobody clicked; without
	// an email an automatic response stops at offering the choice.
	Self domain.Person

	mu     sync.Mutex
	active map[string]*response
}

type response struct {
	cancel    context.CancelFunc
	stoppedBy string
}

// ErrBusy means a response for the incident is already under way.
var ErrBusy = errors.New("a runbook response is already under way for this incident")

// begin registers a response for the incident, refusing a second.
func (r *Responder) begin(ctx context.Context, incidentID string) (context.Context, *response, func(), error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active == nil {
		r.active = map[string]*response{}
	}
	if r.active[incidentID] != nil {
		return nil, nil, nil, ErrBusy
	}
	ctx, cancel := context.WithCancel(ctx)
	resp := &response{cancel: cancel}
	r.active[incidentID] = resp
	return ctx, resp, func() {
		cancel()
		r.mu.Lock()
		delete(r.active, incidentID)
		r.mu.Unlock()
	}, nil
}

// Stop ends the incident's response: the running action is cancelled and
// nothing further is done. It reports whether one was under way.
func (r *Responder) Stop(incidentID string, by Actor) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	resp := r.active[incidentID]
	if resp == nil {
		return false
	}
	resp.stoppedBy = by.mention()
	resp.cancel()
	return true
}

// Running reports whether a response is under way for the incident.
func (r *Responder) Running(incidentID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active[incidentID] != nil
}

func (r *Responder) stopped(ctx context.Context, inc domain.Incident, resp *response) bool {
	if ctx.Err() == nil {
		return false
	}
	r.mu.Lock()
	by := resp.stoppedBy
	r.mu.Unlock()
	if by != "" {
		r.tell(context.WithoutCancel(ctx), inc.ID, fmt.Sprintf("Runbook stopped by %s; nothing more will be done automatically.", by))
	}
	return true
}

// Triggered is the response to a new incident: its service's on-trigger
// checks run; when one fails, the service's recovery runs (when declared
// on_trigger and toban has a PagerDuty user to act as) or is offered.
func (r *Responder) Triggered(ctx context.Context, inc domain.Incident, details map[string]string) error {
	var checks []*Action
	for _, a := range r.Actions.ForService(inc.ServiceID, inc.ServiceName) {
		if a.Role == RoleCheck && a.OnTrigger {
			checks = append(checks, a)
		}
	}
	if len(checks) == 0 {
		return nil
	}
	ctx, resp, done, err := r.begin(ctx, inc.ID)
	if err != nil {
		return err
	}
	defer done()
	self := Actor{Person: r.Self}
	for _, check := range checks {
		res, err := r.RunOne(ctx, check, inc, details, self)
		if err != nil || r.stopped(ctx, inc, resp) {
			return err
		}
		if res.OK() {
			continue
		}
		recovery := r.recoveryFor(inc)
		switch {
		case recovery == nil:
			r.tell(ctx, inc.ID, fmt.Sprintf("%s failed and no recovery is declared for %s: over to the people on call.", check.Name, inc.ServiceName))
			return nil
		case recovery.OnTrigger && r.Self.Email != "":
			return r.recover(ctx, resp, inc, details, check, recovery, self)
		default:
			return r.Teller.Offer(ctx, inc.ID, check, res, recovery)
		}
	}
	r.tell(ctx, inc.ID, "Every check passes: the service answers as expected.")
	return nil
}

// Recover runs the incident's recovery as by (who chose "Auto-recover"),
// then the failing check again: resolved on success, escalated otherwise.
func (r *Responder) Recover(ctx context.Context, inc domain.Incident, details map[string]string, by Actor) error {
	recovery := r.recoveryFor(inc)
	if recovery == nil {
		return domain.Invalid("No recovery action is declared for %s.", inc.ServiceName)
	}
	ctx, resp, done, err := r.begin(ctx, inc.ID)
	if err != nil {
		return err
	}
	defer done()
	var check *Action
	for _, a := range r.Actions.ForService(inc.ServiceID, inc.ServiceName) {
		if a.Role == RoleCheck {
			check = a
			break
		}
	}
	return r.recover(ctx, resp, inc, details, check, recovery, by)
}

// EscalateNow escalates one level as by (who chose "Escalate now").
func (r *Responder) EscalateNow(ctx context.Context, inc domain.Incident, by Actor) error {
	return r.escalate(ctx, inc, by, fmt.Sprintf("%s chose to escalate instead of recovering.", by.mention()))
}

func (r *Responder) recoveryFor(inc domain.Incident) *Action {
	for _, a := range r.Actions.ForService(inc.ServiceID, inc.ServiceName) {
		if a.Role == RoleRecover {
			return a
		}
	}
	return nil
}

func (r *Responder) recover(ctx context.Context, resp *response, inc domain.Incident, details map[string]string, check, recovery *Action, by Actor) error {
	res, err := r.RunOne(ctx, recovery, inc, details, by)
	if err != nil || r.stopped(ctx, inc, resp) {
		return err
	}
	if !res.OK() {
		return r.escalate(ctx, inc, by, fmt.Sprintf("%s did not recover it (%s).", recovery.Name, res.Summary))
	}
	if check != nil {
		again, err := r.RunOne(ctx, check, inc, details, by)
		if err != nil || r.stopped(ctx, inc, resp) {
			return err
		}
		if !again.OK() {
			return r.escalate(ctx, inc, by, fmt.Sprintf("%s ran, but %s still fails (%s).", recovery.Name, check.Name, again.Summary))
		}
	}
	what := recovery.Name + " succeeded"
	if check != nil {
		what += " and " + check.Name + " passes"
	}
	if _, err := r.Incidents.AddNote(ctx, inc.ID, by.Person, "Recovered by toban's runbook: "+what+"."); err != nil {
		return fmt.Errorf("note recovery on %s: %w", inc.ID, err)
	}
	if _, err := r.Incidents.Resolve(ctx, inc.ID, by.Person); err != nil {
		return fmt.Errorf("resolve %s after recovery: %w", inc.ID, err)
	}
	r.Teller.Changed(ctx, inc.ID)
	r.tell(ctx, inc.ID, fmt.Sprintf(":white_check_mark: Recovered: %s. Incident resolved by %s.", what, by.mention()))
	return nil
}

func (r *Responder) escalate(ctx context.Context, inc domain.Incident, by Actor, reason string) error {
	if by.Person.Email == "" {
		r.tell(ctx, inc.ID, reason+" toban has no PagerDuty user to escalate as: over to the people on call.")
		return nil
	}
	level, err := r.Incidents.CurrentLevel(ctx, inc)
	if err != nil {
		return fmt.Errorf("escalate %s: %w", inc.ID, err)
	}
	if _, err := r.Incidents.AddNote(ctx, inc.ID, by.Person, "toban's runbook escalated: "+reason); err != nil {
		return fmt.Errorf("note escalation on %s: %w", inc.ID, err)
	}
	if _, err := r.Incidents.Escalate(ctx, inc.ID, level+1, by.Person); err != nil {
		return fmt.Errorf("escalate %s to level %d: %w", inc.ID, level+1, err)
	}
	r.Teller.Changed(ctx, inc.ID)
	r.tell(ctx, inc.ID, fmt.Sprintf(":arrow_double_up: Escalated to level %d by %s: %s", level+1, by.mention(), reason))
	return nil
}

// RunOne runs one action for the incident as by: recorded (one run per
// incident and action at a time), told in the thread before and after, and
// noted in PagerDuty when by has a PagerDuty user.
func (r *Responder) RunOne(ctx context.Context, a *Action, inc domain.Incident, details map[string]string, by Actor) (Result, error) {
	start := r.Now()
	id, err := r.Runs.StartRunbookRun(ctx, domain.RunbookRun{IncidentID: inc.ID, Action: a.Name, RunBy: by.SlackUserID,
		Status: "running", StartedAt: start, Deadline: start.Add(a.Timeout)})
	if errors.Is(err, domain.ErrRunInProgress) {
		return Result{}, domain.Invalid("%s is already running for incident #%d.", a.Name, inc.Number)
	}
	if err != nil {
		return Result{}, fmt.Errorf("run %s: %w", a.Name, err)
	}
	r.tell(ctx, inc.ID, fmt.Sprintf("Running *%s* for %s…", a.Name, by.mention()))
	res := r.Runner.Run(ctx, a, Incident{ID: inc.ID, Number: inc.Number, Title: inc.Title, Service: inc.ServiceName,
		Urgency: inc.Urgency, Details: details}, by.Person.Email)
	// The record, the thread and the note must happen even when the run
	// was stopped: people need to see where it ended.
	ctx = context.WithoutCancel(ctx)
	if _, err := r.Runs.FinishRunbookRun(ctx, id, string(res.Status), res.Summary, string(res.Output), res.Truncated); err != nil {
		return res, fmt.Errorf("record %s: %w", a.Name, err)
	}
	if err := r.Teller.Result(ctx, inc.ID, a, res); err != nil {
		return res, fmt.Errorf("tell %s result: %w", a.Name, err)
	}
	if by.Person.Email != "" {
		note := fmt.Sprintf("toban runbook: %s ran %s (%s): %s — %s in %s.", by.Person.Name, a.Name, a.Role, res.Status, res.Summary, res.Duration.Round(time.Millisecond))
		if _, err := r.Incidents.AddNote(ctx, inc.ID, by.Person, strings.TrimSpace(note)); err != nil {
			return res, fmt.Errorf("note %s result: %w", a.Name, err)
		}
	}
	return res, nil
}

// tell posts a line. A failure to tell does not stop a response: the
// Teller logs its own failures, and the runs are recorded either way.
func (r *Responder) tell(ctx context.Context, incidentID, text string) {
	_ = r.Teller.Tell(context.WithoutCancel(ctx), incidentID, text)
}
