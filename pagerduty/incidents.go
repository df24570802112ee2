package pagerduty

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
)

// IncidentFilter narrows OpenIncidents: ServiceIDs keeps incidents on any
// of those services, UserIDs those currently assigned to any of those
// users; empty fields do not filter. It is domain.IncidentFilter.
type IncidentFilter = domain.IncidentFilter

// Incident reads one incident by ID (or incident number).
func (c *Client) Incident(ctx context.Context, id string) (domain.Incident, error) {
	if err := checkID("incident", id); err != nil {
		return domain.Incident{}, fmt.Errorf("incident %s: %w", id, err)
	}
	ctx, rl := trackRateLimit(ctx)
	inc, err := c.api.GetIncidentWithContext(ctx, id)
	if err != nil {
		return domain.Incident{}, fmt.Errorf("incident %s: %w", id, rl.mapError(err))
	}
	return toIncident(*inc), nil
}

// OpenIncidents lists the triggered and acknowledged incidents matching f,
// of any age, oldest first, reading every page.
func (c *Client) OpenIncidents(ctx context.Context, f IncidentFilter) ([]domain.Incident, error) {
	ctx, rl := trackRateLimit(ctx)
	opts := pd.ListIncidentsOptions{
		Limit:      100,
		DateRange:  "all", // otherwise PagerDuty only looks at the last month
		Statuses:   []string{string(domain.StatusTriggered), string(domain.StatusAcknowledged)},
		ServiceIDs: f.ServiceIDs,
		UserIDs:    f.UserIDs,
		SortBy:     "created_at:asc",
	}
	var out []domain.Incident
	seen := map[string]bool{}
	for {
		resp, err := c.api.ListIncidentsWithContext(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list open incidents: %w", rl.mapError(err))
		}
		for _, inc := range resp.Incidents {
			// Offsets shift when incidents change between pages; skip repeats.
			if seen[inc.ID] {
				continue
			}
			seen[inc.ID] = true
			out = append(out, toIncident(inc))
		}
		if !resp.More || len(resp.Incidents) == 0 {
			return out, nil
		}
		opts.Offset += uint(len(resp.Incidents))
	}
}

// Acknowledge acknowledges an incident on behalf of as (PagerDuty needs
// as.Email) and returns it as PagerDuty has it afterwards. An incident that
// is already resolved gives ErrAlreadyResolved.
func (c *Client) Acknowledge(ctx context.Context, id string, as domain.Person) (domain.Incident, error) {
	inc, err := c.manage(ctx, as, pd.ManageIncidentsOptions{ID: id, Status: string(domain.StatusAcknowledged)})
	if err != nil {
		return domain.Incident{}, fmt.Errorf("acknowledge %s: %w", id, err)
	}
	return inc, nil
}

// Resolve resolves an incident on behalf of as and returns it as PagerDuty
// has it afterwards. An incident that is already resolved gives
// ErrAlreadyResolved.
func (c *Client) Resolve(ctx context.Context, id string, as domain.Person) (domain.Incident, error) {
	inc, err := c.manage(ctx, as, pd.ManageIncidentsOptions{ID: id, Status: string(domain.StatusResolved)})
	if err != nil {
		return domain.Incident{}, fmt.Errorf("resolve %s: %w", id, err)
	}
	return inc, nil
}

// Escalate moves an incident to level (1-based) of its escalation policy on
// behalf of as, re-triggering it for that level's on-call people, and
// returns it as PagerDuty has it afterwards. A level the policy does not
// have is a domain.ErrInvalid; a resolved incident gives ErrAlreadyResolved.
func (c *Client) Escalate(ctx context.Context, id string, level int, as domain.Person) (domain.Incident, error) {
	if level < 1 {
		return domain.Incident{}, fmt.Errorf("escalate %s: %w", id, domain.Invalid("There is no escalation level %d.", level))
	}
	inc, err := c.manage(ctx, as, pd.ManageIncidentsOptions{ID: id, EscalationLevel: uint(level)})
	if err != nil {
		return domain.Incident{}, fmt.Errorf("escalate %s to level %d: %w", id, level, err)
	}
	return inc, nil
}

// manage sends one incident update (PUT /incidents, From: as.Email) and
// returns the incident from PagerDuty's answer, re-reading it if the answer
// lacks it.
func (c *Client) manage(ctx context.Context, as domain.Person, m pd.ManageIncidentsOptions) (domain.Incident, error) {
	if err := checkID("incident", m.ID); err != nil {
		return domain.Incident{}, err
	}
	if err := checkRequester(as); err != nil {
		return domain.Incident{}, err
	}
	ctx, rl := trackRateLimit(ctx)
	resp, err := c.api.ManageIncidentsWithContext(ctx, as.Email, []pd.ManageIncidentsOptions{m})
	if err != nil {
		return domain.Incident{}, rl.mapError(err)
	}
	for _, inc := range resp.Incidents {
		if inc.ID == m.ID {
			return toIncident(inc), nil
		}
	}
	// Addressed by number, or an answer without the incident: read it.
	inc, err := c.api.GetIncidentWithContext(ctx, m.ID)
	if err != nil {
		return domain.Incident{}, fmt.Errorf("re-read: %w", rl.mapError(err))
	}
	return toIncident(*inc), nil
}

// AddNote adds a note to an incident on behalf of as. It is not retried on
// 5xx or connection errors, since PagerDuty may have added it.
func (c *Client) AddNote(ctx context.Context, id string, as domain.Person, content string) (domain.Note, error) {
	if err := checkID("incident", id); err != nil {
		return domain.Note{}, fmt.Errorf("add note to %s: %w", id, err)
	}
	if err := checkRequester(as); err != nil {
		return domain.Note{}, fmt.Errorf("add note to %s: %w", id, err)
	}
	if strings.TrimSpace(content) == "" {
		return domain.Note{}, fmt.Errorf("add note to %s: %w", id, domain.Invalid("The note is empty."))
	}
	ctx, rl := trackRateLimit(ctx)
	// Sent by hand: go-pagerduty also sends the note's "user", a field
	// PagerDuty's schema does not have (the author is the From header).
	var out struct {
		Note pd.IncidentNote `json:"note"`
	}
	err := c.sendJSON(ctx, http.MethodPost, "/incidents/"+id+"/notes", as.Email,
		map[string]map[string]string{"note": {"content": content}}, &out)
	if err != nil {
		return domain.Note{}, fmt.Errorf("add note to %s: %w", id, rl.mapError(err))
	}
	n := out.Note
	by := domain.Person{ID: n.User.ID, Name: n.User.Summary, Email: as.Email}
	if by.ID == "" {
		by = as
	}
	return domain.Note{ID: n.ID, Content: n.Content, By: by, CreatedAt: parseTime(n.CreatedAt)}, nil
}

// CreateIncident opens an incident on in.ServiceID on behalf of as. A second
// open incident with the same IncidentKey is refused (domain.ErrInvalid).
// It is not retried on 5xx or connection errors, since PagerDuty may have
// opened it.
func (c *Client) CreateIncident(ctx context.Context, in domain.NewIncident, as domain.Person) (domain.Incident, error) {
	switch {
	case strings.TrimSpace(in.Title) == "":
		return domain.Incident{}, fmt.Errorf("create incident: %w", domain.Invalid("The incident needs a title."))
	case in.Urgency != "" && in.Urgency != "high" && in.Urgency != "low":
		return domain.Incident{}, fmt.Errorf("create incident: %w", domain.Invalid("Urgency must be high or low, not %q.", in.Urgency))
	}
	if err := checkID("service", in.ServiceID); err != nil {
		return domain.Incident{}, fmt.Errorf("create incident: %w", err)
	}
	if err := checkRequester(as); err != nil {
		return domain.Incident{}, fmt.Errorf("create incident: %w", err)
	}
	// Sent by hand: go-pagerduty v1.8.0 sends "priority": null, which
	// PagerDuty's schema does not allow (priority is a reference or absent).
	body := newIncidentBody{Type: "incident", Title: in.Title, Urgency: in.Urgency, IncidentKey: in.IncidentKey,
		Service: pd.APIReference{ID: in.ServiceID, Type: "service_reference"}}
	if in.Details != "" {
		body.Body = &pd.APIDetails{Type: "incident_body", Details: in.Details}
	}
	ctx, rl := trackRateLimit(ctx)
	var out struct {
		Incident pd.Incident `json:"incident"`
	}
	err := c.sendJSON(ctx, http.MethodPost, "/incidents", as.Email, map[string]newIncidentBody{"incident": body}, &out)
	if err != nil {
		return domain.Incident{}, fmt.Errorf("create incident on %s: %w", in.ServiceID, rl.mapError(err))
	}
	inc := &out.Incident
	return toIncident(*inc), nil
}

// newIncidentBody is PagerDuty's IncidentsCreate "incident": only the
// fields toban sets, each omitted when empty.
type newIncidentBody struct {
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Service     pd.APIReference `json:"service"`
	Urgency     string          `json:"urgency,omitempty"`
	IncidentKey string          `json:"incident_key,omitempty"`
	Body        *pd.APIDetails  `json:"body,omitempty"`
}

// toIncident maps go-pagerduty's incident to domain's.
func toIncident(in pd.Incident) domain.Incident {
	out := domain.Incident{
		ID:                   in.ID,
		Number:               int(in.IncidentNumber),
		Title:                firstNonEmpty(in.Title, in.Summary),
		ServiceID:            in.Service.ID,
		ServiceName:          in.Service.Summary,
		Urgency:              in.Urgency,
		Status:               domain.Status(in.Status),
		CreatedAt:            parseTime(in.CreatedAt),
		URL:                  in.HTMLURL,
		EscalationPolicyID:   in.EscalationPolicy.ID,
		EscalationPolicyName: in.EscalationPolicy.Summary,
		LastStatusChangeBy:   toActor(in.LastStatusChangeBy),
		LastStatusChangeAt:   parseTime(in.LastStatusChangeAt),
		UpdatedAt:            parseTime(in.UpdatedAt),
	}
	for _, a := range in.Assignments {
		out.Assignees = append(out.Assignees, domain.Person{ID: a.Assignee.ID, Name: a.Assignee.Summary})
	}
	if in.Priority != nil {
		out.Priority = domain.Priority{ID: in.Priority.ID, Name: firstNonEmpty(in.Priority.Name, in.Priority.Summary),
			Description: in.Priority.Description}
	}
	for _, r := range in.IncidentResponders {
		out.Responders = append(out.Responders, toResponder(r))
	}
	for _, a := range in.PendingActions {
		if a.Type == "unacknowledge" { // a snooze's end
			out.SnoozedUntil = parseTime(a.At)
		}
	}
	for _, a := range in.Acknowledgements {
		out.Acknowledgements = append(out.Acknowledgements, domain.Acknowledgement{
			By: toActor(a.Acknowledger),
			At: parseTime(a.At),
		})
	}
	return out
}

// toActor maps who did something. Only users get an ID: a service or an
// integration (an automatic resolve, say) is shown by name alone, so that
// its ID is never taken for a user's.
func toActor(o pd.APIObject) domain.Person {
	switch o.Type {
	case "user", "user_reference":
		return domain.Person{ID: o.ID, Name: o.Summary}
	case "":
		if o.ID == "" {
			return domain.Person{}
		}
	}
	return domain.Person{Name: firstNonEmpty(o.Summary, o.ID)}
}
