package main

import "time"

// defaultCalendarRefresh is how often attached ICS calendars are read
// again (TOBAN_CALENDAR_REFRESH).
const defaultCalendarRefresh = 15 * time.Minute

// calendarRefresh is the refresh interval in use: TOBAN_CALENDAR_REFRESH.
func (m *Main) calendarRefresh() time.Duration {
	if m.Config.CalendarRefresh > 0 {
		return m.Config.CalendarRefresh
	}
	return defaultCalendarRefresh
}
