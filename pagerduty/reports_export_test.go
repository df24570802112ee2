package pagerduty

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// ReportLimits lowers the paging caps of reports for one test (0 keeps a
// cap) and lifts their request rate, so that small fixtures exercise the
// range splitting quickly.
func ReportLimits(t *testing.T, incidentOffset, logOffset int, window time.Duration) {
	t.Helper()
	oldInc, oldLog, oldWin, oldRate, oldBurst := maxIncidentOffset, maxLogOffset, maxIncidentWindow, reportRate, reportBurst
	t.Cleanup(func() {
		maxIncidentOffset, maxLogOffset, maxIncidentWindow, reportRate, reportBurst = oldInc, oldLog, oldWin, oldRate, oldBurst
	})
	if incidentOffset > 0 {
		maxIncidentOffset = incidentOffset
	}
	if logOffset > 0 {
		maxLogOffset = logOffset
	}
	if window > 0 {
		maxIncidentWindow = window
	}
	reportRate, reportBurst = rate.Inf, 1
}
