package icsfeed

import (
	"strings"
	"sync"
	"time"
)

// zoneCache remembers time.LoadLocation answers, which read the zone
// database each time. It holds at most zoneCacheMax names, so a feed full of
// made-up TZIDs cannot grow it without bound.
var zoneCache struct {
	sync.Mutex
	m map[string]*time.Location // nil value: unknown
}

const zoneCacheMax = 512

// loadZone returns the IANA zone name, or nil. "Local" and "" are refused:
// they would mean the zone of the machine toban runs on.
func loadZone(name string) *time.Location {
	if name == "" || strings.EqualFold(name, "local") || len(name) > 100 {
		return nil
	}
	zoneCache.Lock()
	defer zoneCache.Unlock()
	if loc, ok := zoneCache.m[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = nil
	}
	if zoneCache.m == nil || len(zoneCache.m) >= zoneCacheMax {
		zoneCache.m = map[string]*time.Location{}
	}
	zoneCache.m[name] = loc
	return loc
}

// resolveTZID maps a TZID parameter to a zone: an IANA name (Google, Apple,
// Fastmail), an IANA name behind a prefix such as Mozilla's
// "/mozilla.org/20050126_1/Europe/Berlin", or a common Windows name
// (Outlook, Exchange). It returns nil for anything else.
func resolveTZID(tzid string) *time.Location {
	tzid = strings.Trim(strings.TrimSpace(tzid), `"`)
	if loc := loadZone(tzid); loc != nil {
		return loc
	}
	if iana, ok := windowsZones[tzid]; ok {
		return loadZone(iana)
	}
	parts := strings.Split(tzid, "/")
	for n := 3; n >= 2; n-- {
		if len(parts) > n {
			if loc := loadZone(strings.Join(parts[len(parts)-n:], "/")); loc != nil {
				return loc
			}
		}
	}
	return nil
}

// windowsZones maps the Windows zone names Outlook writes as TZIDs to IANA
// names (from CLDR's windowsZones.xml, territory 001), for the zones
// operations teams most often live in.
var windowsZones = map[string]string{
	"UTC":                             "UTC",
	"GMT Standard Time":               "Europe/London",
	"Greenwich Standard Time":         "Atlantic/Reykjavik",
	"W. Europe Standard Time":         "Europe/Berlin",
	"Central Europe Standard Time":    "Europe/Budapest",
	"Romance Standard Time":           "Europe/Paris",
	"Central European Standard Time":  "Europe/Warsaw",
	"E. Europe Standard Time":         "Europe/Chisinau",
	"FLE Standard Time":               "Europe/Kiev",
	"GTB Standard Time":               "Europe/Bucharest",
	"Russian Standard Time":           "Europe/Moscow",
	"Turkey Standard Time":            "Europe/Istanbul",
	"Israel Standard Time":            "Asia/Jerusalem",
	"South Africa Standard Time":      "Africa/Johannesburg",
	"Egypt Standard Time":             "Africa/Cairo",
	"Arabian Standard Time":           "Asia/Dubai",
	"India Standard Time":             "Asia/Kolkata",
	"SE Asia Standard Time":           "Asia/Bangkok",
	"China Standard Time":             "Asia/Shanghai",
	"Singapore Standard Time":         "Asia/Singapore",
	"Taipei Standard Time":            "Asia/Taipei",
	"Tokyo Standard Time":             "Asia/Tokyo",
	"Korea Standard Time":             "Asia/Seoul",
	"AUS Eastern Standard Time":       "Australia/Sydney",
	"E. Australia Standard Time":      "Australia/Brisbane",
	"W. Australia Standard Time":      "Australia/Perth",
	"New Zealand Standard Time":       "Pacific/Auckland",
	"Eastern Standard Time":           "America/New_York",
	"Central Standard Time":           "America/Chicago",
	"Mountain Standard Time":          "America/Denver",
	"US Mountain Standard Time":       "America/Phoenix",
	"Pacific Standard Time":           "America/Los_Angeles",
	"Alaskan Standard Time":           "America/Anchorage",
	"Hawaiian Standard Time":          "Pacific/Honolulu",
	"Atlantic Standard Time":          "America/Halifax",
	"Canada Central Standard Time":    "America/Regina",
	"Central Standard Time (Mexico)":  "America/Mexico_City",
	"SA Pacific Standard Time":        "America/Bogota",
	"E. South America Standard Time":  "America/Sao_Paulo",
	"Argentina Standard Time":         "America/Argentina/Buenos_Aires",
	"Pacific SA Standard Time":        "America/Santiago",
	"W. Central Africa Standard Time": "Africa/Lagos",
}

// wallOf returns t's local date and clock in its own location as a time in
// UTC: the "floating" frame in which recurrence rules are expanded, free of
// daylight-saving gaps and repeats.
func wallOf(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// atWall returns the instant at which the clocks of loc show the wall time
// w (read in the floating frame), the way RFC 5545 (section 3.3.5) and the
// scheduler package resolve daylight-saving transitions: a time skipped by
// a spring-forward gap is taken with the offset from before the gap (02:30
// becomes 03:30), and a time that happens twice is its first occurrence.
// Go's time.Date is not consistent in either case.
func atWall(w time.Time, loc *time.Location) time.Time {
	u := w.Unix()
	_, before := time.Unix(u-86400, 0).In(loc).Zone()
	_, after := time.Unix(u+86400, 0).In(loc).Zone()
	best := int64(0)
	found := false
	for _, off := range []int{before, after} {
		inst := u - int64(off)
		if _, o := time.Unix(inst, 0).In(loc).Zone(); o == off && (!found || inst < best) {
			best, found = inst, true
		}
	}
	if !found { // in a gap
		best = u - int64(before)
	}
	return time.Unix(best, 0).In(loc)
}
