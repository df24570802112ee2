// Package icsfeed turns an ICS calendar feed (a Google Calendar secret
// address, an Outlook or Nextcloud publish link) into toban tasks: Fetcher
// reads it over HTTP(S) with a size cap and cache validators, Parse reads
// it, Calendar.Expand lists the instances of its events in a window, and
// Sync makes the feed's one-off tasks match them.
//
// Parsing uses github.com/arran4/golang-ical (tagged releases, fuzzed
// upstream, tolerant of what real servers write); recurrence rules are
// expanded with github.com/teambition/rrule-go. Time values are read here
// rather than by either library, because both get floating times and
// daylight-saving gaps wrong for toban's purpose: recurrence is computed on
// wall clocks in the event's zone and resolved to instants the way RFC 5545
// and the scheduler package do (a skipped time moves forward by the gap, a
// repeated one is its first occurrence).
//
// A feed's URL is a secret: nothing in this package puts it in an error.
//
// It owns fetching, parsing and expanding feeds and the sync of their tasks,
// which it reaches through the Store and Scheduler interfaces it declares.
// It may import domain and scheduler; never an adapter or a feature.
package icsfeed
