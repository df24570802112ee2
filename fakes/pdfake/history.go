package pdfake

import (
	"fmt"
	"time"
)

// AddEscalation records in an incident's log that it was escalated to
// level at a past time, as PagerDuty's log shows an escalation: an
// escalate_log_entry created at at, assigned to that level's on-call
// users at that time, by userID from the website ("" means PagerDuty
// escalated on its own, channel "timeout"). It seeds history, like
// AddIncident's Acknowledgers: the incident's current status, level and
// assignees are left as they are, so seed them to match. It fails for an
// unknown incident or a level the incident's policy does not have.
func (s *Server) AddEscalation(incidentID string, level int, userID string, at time.Time) error {
	return s.mutate(incidentID, func(st *incidentState) error {
		ep := s.eps[st.EscalationPolicyID]
		if ep == nil || level < 1 || level > len(ep.Levels) {
			return fmt.Errorf("Escalation level %d does not exist on escalation policy %q", level, st.EscalationPolicyID)
		}
		by, channel, how := agent{}, "timeout", fmt.Sprintf("Escalated to level %d", level)
		if userID != "" {
			by, channel = userAgent(userID), "website"
			how += " by " + s.userName(userID)
		}
		s.logAtLocked(at, st, LogEscalate, how+".", by, channel, s.levelUsersLocked(st.EscalationPolicyID, level, at), nil)
		return nil
	})
}
