package domain

import "time"

// Override puts one person on call in a schedule during [Start, End),
// whoever the rota says: PagerDuty's schedule override.
type Override struct {
	ID         string
	ScheduleID string
	User       Person
	Start, End time.Time
}

// NewOverride is one override to create: User on call during [Start, End).
type NewOverride struct {
	User       Person
	Start, End time.Time
}

// OverrideResult is PagerDuty's answer for one override of a bulk
// request, which it accepts or refuses item by item: Created with the
// override and its ID, or Refused saying why (Override then holds what
// was asked, without ID).
type OverrideResult struct {
	Override Override
	Created  bool
	Refused  string
}

// Shift is one stretch of a schedule's final rota (layers and overrides
// applied): User is on call during [Start, End).
type Shift struct {
	User       Person
	Start, End time.Time
}

// ErrMaintenanceEnded is what changing a maintenance window that has
// already ended fails with. It is an *InvalidError, so it reads well as is.
var ErrMaintenanceEnded = &InvalidError{Reason: "That maintenance window has already ended."}

// MaintenanceWindow silences services during [Start, End): PagerDuty opens
// no incidents for them meanwhile.
type MaintenanceWindow struct {
	ID          string
	Description string
	Services    []Service
	Start, End  time.Time
	// CreatedBy names who created it in PagerDuty ("" when unknown).
	CreatedBy string
	URL       string
}

// Ongoing reports whether the window silences its services at now.
func (m MaintenanceWindow) Ongoing(now time.Time) bool {
	return !now.Before(m.Start) && now.Before(m.End)
}

// NewMaintenanceWindow is what someone asks for to silence services.
type NewMaintenanceWindow struct {
	ServiceIDs  []string
	Start, End  time.Time
	Description string
}
