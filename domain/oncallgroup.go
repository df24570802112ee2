package domain

import "errors"

// OnCallGroup ties a Slack user group (@oncall-primary) to who is on call
// for a PagerDuty schedule, or for one level of an escalation policy:
// toban keeps the group's members equal to them (handlers/oncallgroups).
type OnCallGroup struct {
	ID int64
	// GroupID and Handle name the Slack user group (S0…, "oncall-primary").
	GroupID, Handle string
	// ScheduleID is set for a tie to a schedule; PolicyID and Level for a
	// tie to an escalation policy's level. Exactly one of the two.
	ScheduleID string
	PolicyID   string
	Level      int
	// SourceName is the schedule's or policy's name when the tie was made.
	SourceName string
	// ChannelID is where the tie was made and where warnings go.
	ChannelID string
	CreatedBy string
	// Members is the member set toban last wrote (sorted Slack user IDs).
	Members []string
	// GapWarned is set once the channel was told nobody is on call; it is
	// cleared when someone is on call again. FreePlanWarned is set once the
	// channel was told Slack refuses user groups on a free plan.
	GapWarned, FreePlanWarned bool
}

// ErrPaidPlanOnly is Slack refusing user group changes on a free plan
// (paid_teams_only).
var ErrPaidPlanOnly = errors.New("slack user groups need a paid plan")

// Validate says what is wrong with a tie about to be saved.
func (g OnCallGroup) Validate() error {
	switch {
	case g.GroupID == "":
		return Invalid("an on-call user group needs a user group")
	case g.ChannelID == "":
		return Invalid("an on-call user group needs a channel")
	case g.ScheduleID == "" && g.PolicyID == "":
		return Invalid("an on-call user group needs a schedule or an escalation policy")
	case g.ScheduleID != "" && g.PolicyID != "":
		return Invalid("an on-call user group follows a schedule or an escalation policy, not both")
	case g.PolicyID != "" && (g.Level < 1 || g.Level > 20):
		return Invalid("an escalation level is between 1 and 20")
	case g.ScheduleID != "" && g.Level != 0:
		return Invalid("a schedule has no escalation level")
	}
	return nil
}

// UserGroup is a Slack user group as toban reads it.
type UserGroup struct {
	ID, Handle, Name string
	// Members are Slack user IDs.
	Members []string
}
