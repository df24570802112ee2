package pagerduty

import (
	"encoding/json"
	"fmt"

	pd "github.com/PagerDuty/go-pagerduty"
)

// WarmCodecs builds encoding/json's decoders for the incident answers a
// click reads and writes (go-pagerduty's Incident is a large type: its
// first decode costs milliseconds that would otherwise fall on the first
// click after a start). It fails only if its sample no longer decodes.
func WarmCodecs() error {
	var got struct {
		Incident  pd.Incident   `json:"incident"`
		Incidents []pd.Incident `json:"incidents"`
	}
	if err := json.Unmarshal(sampleIncident, &got); err != nil {
		return fmt.Errorf("warm incident codec: %w", err)
	}
	if got.Incident.ID != "P1" || len(got.Incidents) != 1 {
		return fmt.Errorf("warm incident codec: sample decoded as %+v", got)
	}
	return nil
}

var sampleIncident = []byte(`{"incident":{"id":"P1","type":"incident","incident_number":1,"title":"t","status":"acknowledged","urgency":"high",
"created_at":"2026-01-01T00:00:00Z","service":{"id":"S1","type":"service_reference","summary":"API"},
"assignments":[{"at":"2026-01-01T00:00:00Z","assignee":{"id":"U1","type":"user_reference","summary":"Alice"}}],
"acknowledgements":[{"at":"2026-01-01T00:00:00Z","acknowledger":{"id":"U1","type":"user_reference","summary":"Alice"}}],
"last_status_change_by":{"id":"U1","type":"user_reference","summary":"Alice"},"escalation_policy":{"id":"E1","type":"escalation_policy_reference"},
"priority":{"id":"PR1","type":"priority","summary":"P1","name":"P1"},"html_url":"https://acme.pagerduty.com/incidents/P1"},
"incidents":[{"id":"P1","type":"incident"}]}`)
