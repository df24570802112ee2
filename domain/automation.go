package domain

// AutomationInvocation is one run of a PagerDuty Automation Action
// (Runbook Automation) and the state PagerDuty reports for it: created,
// sent, queued, running, then completed, error or aborted.
type AutomationInvocation struct {
	ID    string
	State string
}
