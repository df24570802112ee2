package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

func TestIncidentOpsValidate(t *testing.T) {
	user := domain.ResponderTarget{Kind: domain.TargetUser, ID: "PU1"}
	ep := domain.ResponderTarget{Kind: domain.TargetEscalationPolicy, ID: "PEP1"}
	for _, tc := range []struct {
		name string
		err  error
		want string // "" for valid
	}{
		{"StatusUpdate", domain.ValidateStatusUpdate("DB failover done"), ""},
		{"StatusUpdateEmpty", domain.ValidateStatusUpdate("  "), "empty"},
		{"StatusUpdateLong", domain.ValidateStatusUpdate(strings.Repeat("x", 3001)), "longer"},
		{"Target", user.Validate(), ""},
		{"TargetKind", domain.ResponderTarget{Kind: "schedule", ID: "S1"}.Validate(), "user or an escalation policy"},
		{"TargetID", domain.ResponderTarget{Kind: domain.TargetUser, ID: "../x"}.Validate(), "not a PagerDuty ID"},
		{"Request", domain.ResponderRequest{RequesterID: "PU9", Message: "help", Targets: []domain.ResponderTarget{user, ep}}.Validate(), ""},
		{"RequestNoMessage", domain.ResponderRequest{RequesterID: "PU9", Targets: []domain.ResponderTarget{user}}.Validate(), "message"},
		{"RequestNoTargets", domain.ResponderRequest{RequesterID: "PU9", Message: "help"}.Validate(), "at least one"},
		{"RequestTwice", domain.ResponderRequest{RequesterID: "PU9", Message: "help", Targets: []domain.ResponderTarget{user, user}}.Validate(), "twice"},
		{"RequestNoRequester", domain.ResponderRequest{Message: "help", Targets: []domain.ResponderTarget{user}}.Validate(), "user ID"},
		{"ReassignUsers", domain.Reassignment{UserIDs: []string{"PU1", "PU2"}}.Validate(), ""},
		{"ReassignEP", domain.Reassignment{EscalationPolicyID: "PEP1"}.Validate(), ""},
		{"ReassignNothing", domain.Reassignment{}.Validate(), "Pick someone"},
		{"ReassignBoth", domain.Reassignment{UserIDs: []string{"PU1"}, EscalationPolicyID: "PEP1"}.Validate(), "not both"},
		{"ReassignBadUser", domain.Reassignment{UserIDs: []string{"a b"}}.Validate(), "user ID"},
		{"Snooze", domain.ValidateSnooze(time.Hour), ""},
		{"SnoozeZero", domain.ValidateSnooze(0), "at least"},
		{"SnoozeLong", domain.ValidateSnooze(8 * 24 * time.Hour), "at most a week"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			switch {
			case tc.want == "" && tc.err != nil:
				t.Errorf("got %v, want valid", tc.err)
			case tc.want != "" && (tc.err == nil || !strings.Contains(tc.err.Error(), tc.want)):
				t.Errorf("got %v, want an error mentioning %q", tc.err, tc.want)
			case tc.want != "" && !errors.Is(tc.err, domain.ErrInvalid):
				t.Errorf("got %v, want an ErrInvalid", tc.err)
			}
		})
	}
}
