// Package scheduler is the engine behind toban's scheduled operations tasks
// (daily checks, monthly reports, certificate renewals): it knows when each
// task is next due and calls a FireFunc at that time. It does no Slack and no
// SQL: the caller posts the card and records the occurrence, and tells the
// engine what was already recorded through the Store interface.
//
// # Rules
//
// A Rule says when a task is due: once, daily, on weekdays, weekly on some
// days, monthly on a day of the month, on the last day of every month, or by
// a five-field cron expression. Every rule is evaluated in its own time zone
// (Rule.Location; nil means UTC), at minute precision: due times always fall
// on a whole minute of local time.
//
// # Daylight saving time
//
// Rules name local wall-clock times, and twice a year some of those times do
// not exist or exist twice. Every kind of rule, cron included, resolves them
// the same way:
//
//   - A local time skipped by a spring-forward transition is due at the
//     instant it would have been had the clocks not moved: it is shifted
//     forward by the length of the gap. 02:30 in America/New_York on
//     2026-03-08 (clocks go 02:00 EST → 03:00 EDT) is due at 03:30 EDT;
//     02:30 in Europe/Berlin on 2026-03-29 is due at 03:30 CEST. The task
//     still fires that day; it is never skipped. (Go's time.Date is not
//     consistent here: it gives 01:30 EST for the New York case and 03:30
//     CEST for the Berlin one, so the package resolves such times itself.)
//   - A local time repeated by a fall-back transition is due once, at its
//     first occurrence (the daylight-time one): 01:30 in America/New_York on
//     2026-11-01 is due at 01:30 EDT and not again at 01:30 EST; 02:30 in
//     Europe/Berlin on 2026-10-25 is due at 02:30 CEST only. For a cron
//     expression this holds for every minute of the repeated hour, so an
//     hourly expression ("0 * * * *") fires at 01:00 EDT and next at 02:00
//     EST, two real hours later.
//   - When two local times resolve to the same instant (a cron expression
//     listing both 02:30 and 03:30 on a spring-forward day), the task is due
//     once at that instant.
//
// Cron expressions are parsed by github.com/robfig/cron/v3 (ParseStandard)
// but evaluated by this package. robfig's own SpecSchedule.Next, given a
// time zone, skips a time that falls in a spring-forward gap (the task would
// not run that day at all) and returns a time repeated by a fall-back twice
// (the task would run twice); the tests pin both behaviours down and the
// package avoids them.
//
// # Engine
//
// The Engine keeps every task in a min-heap keyed by next due time and
// sleeps on one timer until the earliest one; between due times it does no
// work at all. See Engine for catch-up after downtime, retries and the
// never-twice guarantee.
//
// It owns recurrence rules (Rule, with its one text encoding) and the
// engine. It imports no toban package, so domain (a Task's Rule), storage
// and the features may import it.
package scheduler
