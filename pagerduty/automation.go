package pagerduty

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tobanbot/toban/domain"
)

// go-pagerduty has no Automation Actions calls, so these two go through
// sendJSON (token, Accept header, retries and counting included).

// InvokeAutomationAction starts a PagerDuty Automation Action for an
// incident: POST /automation_actions/actions/{id}/invocations with
// {"invocation":{"metadata":{"incident_id"}}}, as the user with email from
// when given.
func (c *Client) InvokeAutomationAction(ctx context.Context, actionID, incidentID, from string) (domain.AutomationInvocation, error) {
	if err := checkID("automation action", actionID); err != nil {
		return domain.AutomationInvocation{}, fmt.Errorf("invoke automation action: %w", err)
	}
	if err := checkID("incident", incidentID); err != nil {
		return domain.AutomationInvocation{}, fmt.Errorf("invoke automation action %s: %w", actionID, err)
	}
	body := map[string]any{"invocation": map[string]any{"metadata": map[string]string{"incident_id": incidentID}}}
	inv, err := c.invocationCall(ctx, http.MethodPost, "/automation_actions/actions/"+actionID+"/invocations", from, body)
	if err != nil {
		return domain.AutomationInvocation{}, fmt.Errorf("invoke automation action %s: %w", actionID, err)
	}
	return inv, nil
}

// AutomationInvocation reads an invocation's state:
// GET /automation_actions/invocations/{id}.
func (c *Client) AutomationInvocation(ctx context.Context, invocationID string) (domain.AutomationInvocation, error) {
	if err := checkID("invocation", invocationID); err != nil {
		return domain.AutomationInvocation{}, fmt.Errorf("read invocation: %w", err)
	}
	inv, err := c.invocationCall(ctx, http.MethodGet, "/automation_actions/invocations/"+invocationID, "", nil)
	if err != nil {
		return domain.AutomationInvocation{}, fmt.Errorf("read invocation %s: %w", invocationID, err)
	}
	return inv, nil
}

func (c *Client) invocationCall(ctx context.Context, method, path, from string, body any) (domain.AutomationInvocation, error) {
	ctx, rl := trackRateLimit(ctx)
	var out struct {
		Invocation *struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"invocation"`
	}
	if err := c.sendJSON(ctx, method, path, from, body, &out); err != nil {
		return domain.AutomationInvocation{}, rl.mapError(err)
	}
	if out.Invocation == nil || out.Invocation.ID == "" {
		return domain.AutomationInvocation{}, fmt.Errorf("decode invocation: the answer has none")
	}
	return domain.AutomationInvocation{ID: out.Invocation.ID, State: out.Invocation.State}, nil
}
