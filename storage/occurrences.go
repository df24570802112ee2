package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tobanbot/toban/domain"
)

const occColumns = `id, task_id, due, late, channel_id, ts, state, claimed_at, started_by, started_at,
	done_by, done_at, skipped_by, skip_reason, skipped_at, snoozed_by, snoozed_until, escalate_at,
	escalated_at, incident_id`

func scanOccurrence(r rowScanner) (domain.Occurrence, error) {
	var o domain.Occurrence
	var due, claimed int64
	var started, done, skipped, snoozed, escalate, escalated sql.NullInt64
	err := r.Scan(&o.ID, &o.TaskID, &due, &o.Late, &o.ChannelID, &o.TS, &o.State, &claimed, &o.StartedBy,
		&started, &o.DoneBy, &done, &o.SkippedBy, &o.SkipReason, &skipped, &o.SnoozedBy, &snoozed,
		&escalate, &escalated, &o.IncidentID)
	if err != nil {
		return domain.Occurrence{}, err
	}
	o.Due, o.ClaimedAt = time.Unix(due, 0).UTC(), fromMillis(claimed)
	o.StartedAt, o.DoneAt, o.SkippedAt = nullMillisTime(started), nullMillisTime(done), nullMillisTime(skipped)
	o.SnoozedUntil, o.EscalateAt, o.EscalatedAt = nullMillisTime(snoozed), nullMillisTime(escalate), nullMillisTime(escalated)
	return o, nil
}

// millisOrNull stores a zero time as NULL.
func millisOrNull(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func nullMillisTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMillis(n.Int64)
}

// ClaimOccurrence records the task's occurrence due at due, in state
// claimed, before its card is posted, and reports whether this call created
// it: exactly-once across restarts starts here. If it already exists (a
// retry, or a run before a restart, claimed it), it is returned unchanged
// with claimed false; if it has a TS its card is posted and must not be
// posted again, and if not, the earlier attempt may have posted it just
// before crashing. escalateAt is when to escalate if nobody starts (zero:
// never); the caller computes it, usually due plus the task's grace.
func (db *DB) ClaimOccurrence(ctx context.Context, taskID string, due time.Time, late bool, channelID string, escalateAt time.Time) (domain.Occurrence, bool, error) {
	id := domain.OccurrenceID(taskID, due)
	if taskID == "" || due.IsZero() || channelID == "" {
		return domain.Occurrence{}, false, fmt.Errorf("claim occurrence %s: %w", id, domain.Invalid("an occurrence needs a task, a due time and a channel"))
	}
	out, err := db.claims.do(ctx, claimRequest{id: id, taskID: taskID, due: due, late: late, channelID: channelID, escalateAt: escalateAt},
		maxOccurrenceGroup, db.claimGroup)
	if err == nil {
		err = out.err
	}
	if err != nil {
		return domain.Occurrence{}, false, fmt.Errorf("claim occurrence %s: %w", id, err)
	}
	return out.occ, out.created, nil
}

// ClaimLease is how long a replica's claim on an occurrence or an inbox
// event outlives it when it stops renewing (it died).
const ClaimLease = 10 * time.Second

// claimTimes are now and the end of a claim taken now, in lease time;
// a handle without a holder takes claims that lapse at once.
func (db *DB) claimTimes() (now, until int64) {
	now = db.leaseNow().UnixMilli()
	if db.holder == "" {
		return now, 0
	}
	return now, now + ClaimLease.Milliseconds()
}

// RetakeUnposted claims, for this handle's holder, the occurrences
// claimed but never posted whose claims have lapsed (their replica died
// between claim and post, or before a restart; on PostgreSQL, at once
// when their replica's session has ended), and returns them oldest
// claim first: their cards are owed, and may have reached Slack just
// before the crash.
func (db *DB) RetakeUnposted(ctx context.Context) ([]domain.Occurrence, error) {
	now, until := db.claimTimes()
	lapsed := `claim_until <= $3`
	if db.pg {
		// A claim whose holder's session is gone lapses at once
		// (liveness.go).
		lapsed += ` OR (claimed_by <> $1 AND claimed_by <> '' AND NOT ` + fmt.Sprintf(holderAlive, "claimed_by") + `)`
	}
	occs, err := db.queryOccurrences(ctx, `UPDATE task_occurrences SET claimed_by = $1, claim_until = $2
		WHERE ts = '' AND (`+lapsed+`) RETURNING `+occColumns, db.holder, until, now)
	if err != nil {
		return nil, fmt.Errorf("retake unposted occurrences: %w", err)
	}
	slices.SortFunc(occs, func(a, b domain.Occurrence) int {
		if c := a.ClaimedAt.Compare(b.ClaimedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return occs, nil
}

// RenewOccurrenceClaims extends this handle's live claims on unposted
// occurrences by ClaimLease, and returns how many it extended.
func (db *DB) RenewOccurrenceClaims(ctx context.Context) (int64, error) {
	now, until := db.claimTimes()
	if db.holder == "" {
		return 0, nil
	}
	res, err := db.sql.ExecContext(ctx, `UPDATE task_occurrences SET claim_until = $1
		WHERE ts = '' AND claimed_by = $2 AND claim_until > $3`, until, db.holder, now)
	if err != nil {
		return 0, fmt.Errorf("renew occurrence claims: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("renew occurrence claims: %w", err)
	}
	return n, nil
}

// SetOccurrencePosted records that the claimed occurrence's card is the
// message ts, making it posted. Recording the same ts again is a no-op,
// whatever the state since; another ts gives domain.ErrAlreadyPosted. It
// returns the occurrence as recorded, so a caller sees a click that
// reached it before its ts did.
func (db *DB) SetOccurrencePosted(ctx context.Context, id, ts string) (domain.Occurrence, error) {
	if ts == "" {
		return domain.Occurrence{}, fmt.Errorf("occurrence %s posted: %w", id, domain.Invalid("empty message ts"))
	}
	out, err := db.posts.do(ctx, postedRequest{id: id, ts: ts}, maxOccurrenceGroup, db.postedGroup)
	if err == nil {
		err = out.err
	}
	if err != nil {
		return domain.Occurrence{}, fmt.Errorf("occurrence %s posted: %w", id, err)
	}
	return out.occ, nil
}

// Occurrence returns the occurrence with the ID.
func (db *DB) Occurrence(ctx context.Context, id string) (domain.Occurrence, error) {
	o, err := scanOccurrence(db.sql.QueryRowContext(ctx, `SELECT `+occColumns+` FROM task_occurrences WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return domain.Occurrence{}, fmt.Errorf("occurrence %s: %w", id, err)
	}
	return o, nil
}

// OccurrenceByMessage returns the occurrence whose card is the message ts in
// the channel, for example the one whose button was clicked.
func (db *DB) OccurrenceByMessage(ctx context.Context, channelID, ts string) (domain.Occurrence, error) {
	if ts == "" { // unposted occurrences have an empty ts
		return domain.Occurrence{}, fmt.Errorf("occurrence for an empty message ts: %w", domain.ErrNotFound)
	}
	o, err := scanOccurrence(db.sql.QueryRowContext(ctx,
		`SELECT `+occColumns+` FROM task_occurrences WHERE channel_id = $1 AND ts = $2 AND ts <> ''`, channelID, ts))
	if errors.Is(err, sql.ErrNoRows) {
		err = domain.ErrNotFound
	}
	if err != nil {
		return domain.Occurrence{}, fmt.Errorf("occurrence for message %s in %s: %w", ts, channelID, err)
	}
	return o, nil
}

// UnpostedOccurrences returns the claimed occurrences not yet posted,
// oldest claim first: after a crash between claim and post, their cards are
// owed. An occurrence being posted right now is one too, so call it at
// start, before the scheduler runs.
func (db *DB) UnpostedOccurrences(ctx context.Context) ([]domain.Occurrence, error) {
	occs, err := db.queryOccurrences(ctx, `SELECT `+occColumns+` FROM task_occurrences
		WHERE ts = '' ORDER BY claimed_at, id`)
	if err != nil {
		return nil, fmt.Errorf("unposted occurrences: %w", err)
	}
	return occs, nil
}

// transition runs an UPDATE ... WHERE id = ? AND <allowed state> and
// returns the occurrence after it with changed true, or, when the state did
// not allow it, the occurrence as it is with changed false and no error.
func (db *DB) transition(ctx context.Context, op, id, query string, args ...any) (domain.Occurrence, bool, error) {
	o, err := scanOccurrence(db.sql.QueryRowContext(ctx, query+` RETURNING `+occColumns, args...))
	if err == nil {
		return o, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return domain.Occurrence{}, false, fmt.Errorf("%s occurrence %s: %w", op, id, err)
	}
	o, err = db.Occurrence(ctx, id)
	if err != nil {
		return domain.Occurrence{}, false, fmt.Errorf("%s: %w", op, err)
	}
	return o, false, nil
}

func (db *DB) checkActor(op, id, user string, at time.Time) (time.Time, error) {
	if user == "" {
		return at, fmt.Errorf("%s occurrence %s: %w", op, id, domain.Invalid("who did it is required"))
	}
	if at.IsZero() {
		at = db.now()
	}
	return at, nil
}

// StartOccurrence records that user started the posted occurrence at at
// (zero: now) and clears its pending escalation. changed is false, with no
// error, when it is not posted (started already, finished, or not yet
// posted): a double click or a stale card.
func (db *DB) StartOccurrence(ctx context.Context, id, user string, at time.Time) (domain.Occurrence, bool, error) {
	at, err := db.checkActor("start", id, user, at)
	if err != nil {
		return domain.Occurrence{}, false, err
	}
	return db.transition(ctx, "start", id, `UPDATE task_occurrences
		SET state = '`+domain.OccStarted+`', started_by = $1, started_at = $2, escalate_at = NULL
		WHERE id = $3 AND state IN ('`+domain.OccClaimed+`', '`+domain.OccPosted+`')`, user, at.UnixMilli(), id)
}

// CompleteOccurrence records that user finished the posted or started
// occurrence at at (zero: now) and clears its pending escalation; changed
// is false, with no error, in any other state.
func (db *DB) CompleteOccurrence(ctx context.Context, id, user string, at time.Time) (domain.Occurrence, bool, error) {
	at, err := db.checkActor("complete", id, user, at)
	if err != nil {
		return domain.Occurrence{}, false, err
	}
	return db.transition(ctx, "complete", id, `UPDATE task_occurrences
		SET state = '`+domain.OccDone+`', done_by = $1, done_at = $2, escalate_at = NULL
		WHERE id = $3 AND state IN ('`+domain.OccClaimed+`', '`+domain.OccPosted+`', '`+domain.OccStarted+`')`, user, at.UnixMilli(), id)
}

// SkipOccurrence records that user skipped the posted or started occurrence
// at at (zero: now), with an optional reason of at most MaxTaskDescription
// runes, and clears its pending escalation; changed is false, with no
// error, in any other state.
func (db *DB) SkipOccurrence(ctx context.Context, id, user, reason string, at time.Time) (domain.Occurrence, bool, error) {
	at, err := db.checkActor("skip", id, user, at)
	if err != nil {
		return domain.Occurrence{}, false, err
	}
	if n := utf8.RuneCountInString(reason); n > domain.MaxTaskDescription {
		return domain.Occurrence{}, false, fmt.Errorf("skip occurrence %s: %w", id, domain.Invalid("The reason is %d characters long; keep it to %d.", n, domain.MaxTaskDescription))
	}
	return db.transition(ctx, "skip", id, `UPDATE task_occurrences
		SET state = '`+domain.OccSkipped+`', skipped_by = $1, skip_reason = $2, skipped_at = $3, escalate_at = NULL
		WHERE id = $4 AND state IN ('`+domain.OccClaimed+`', '`+domain.OccPosted+`', '`+domain.OccStarted+`')`, user, reason, at.UnixMilli(), id)
}

// SnoozeOccurrence records that user snoozed the posted, not started,
// occurrence until until, and replaces its escalation deadline with
// escalateAt (zero: none). It stays posted; an earlier EscalatedAt and
// IncidentID are kept. changed is false, with no error, in any other state.
func (db *DB) SnoozeOccurrence(ctx context.Context, id, user string, until, escalateAt time.Time) (domain.Occurrence, bool, error) {
	if user == "" || until.IsZero() {
		return domain.Occurrence{}, false, fmt.Errorf("snooze occurrence %s: %w", id, domain.Invalid("a snooze needs who and until when"))
	}
	return db.transition(ctx, "snooze", id, `UPDATE task_occurrences
		SET snoozed_by = $1, snoozed_until = $2, escalate_at = $3
		WHERE id = $4 AND state IN ('`+domain.OccClaimed+`', '`+domain.OccPosted+`')`, user, until.UnixMilli(), millisOrNull(escalateAt), id)
}

// NextEscalation returns the posted occurrence with the earliest pending
// escalation deadline, and false when none is pending. It does not look at
// the clock: the caller waits until EscalateAt.
func (db *DB) NextEscalation(ctx context.Context) (domain.Occurrence, bool, error) {
	o, err := scanOccurrence(db.sql.QueryRowContext(ctx, `SELECT `+occColumns+` FROM task_occurrences
		WHERE state = '`+domain.OccPosted+`' AND escalate_at IS NOT NULL ORDER BY escalate_at, id LIMIT 1`))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return domain.Occurrence{}, false, nil
	case err != nil:
		return domain.Occurrence{}, false, fmt.Errorf("next escalation: %w", err)
	}
	return o, true, nil
}

// MarkEscalated records that the occurrence was escalated at at (zero:
// now), with the incident it triggered if incidentID is not empty, and
// clears its pending deadline. It is recorded whatever the state, and
// repeating it is harmless.
func (db *DB) MarkEscalated(ctx context.Context, id string, at time.Time, incidentID string) error {
	if at.IsZero() {
		at = db.now()
	}
	n, err := rowsChanged(db.sql.ExecContext(ctx, `UPDATE task_occurrences
		SET escalated_at = $1, escalate_at = NULL, incident_id = CASE WHEN $2 <> '' THEN $3 ELSE incident_id END
		WHERE id = $4`, at.UnixMilli(), incidentID, incidentID, id))
	if err == nil && n == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("mark occurrence %s escalated: %w", id, err)
	}
	return nil
}

// PostponeEscalation moves the pending escalation deadline of the posted
// occurrence to at, to retry an escalation that failed (PagerDuty down).
// Without a pending deadline (started, finished, or escalated meanwhile)
// it does nothing, so a retry never undoes a click; a missing occurrence
// gives ErrNotFound.
func (db *DB) PostponeEscalation(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("postpone escalation of %s: %w", id, domain.Invalid("no new deadline"))
	}
	n, err := rowsChanged(db.sql.ExecContext(ctx, `UPDATE task_occurrences SET escalate_at = $1
		WHERE id = $2 AND state = '`+domain.OccPosted+`' AND escalate_at IS NOT NULL`, at.UnixMilli(), id))
	switch {
	case err != nil:
		return fmt.Errorf("postpone escalation of %s: %w", id, err)
	case n == 0: // nothing pending, or no such occurrence
		if _, err := db.Occurrence(ctx, id); err != nil {
			return fmt.Errorf("postpone escalation: %w", err)
		}
	}
	return nil
}

// OccurrencesForIncidents returns the occurrences that triggered any of
// the PagerDuty incidents, oldest due first: one query for a batch of
// incident changes.
func (db *DB) OccurrencesForIncidents(ctx context.Context, incidentIDs []string) ([]domain.Occurrence, error) {
	if len(incidentIDs) == 0 {
		return nil, nil
	}
	args := make([]any, len(incidentIDs))
	for i, id := range incidentIDs {
		if id == "" { // would match every occurrence never escalated
			return nil, fmt.Errorf("occurrences for incidents: %w", domain.Invalid("empty incident ID"))
		}
		args[i] = id
	}
	occs, err := db.queryOccurrences(ctx, `SELECT `+occColumns+` FROM task_occurrences
		WHERE incident_id IN (`+placeholderList(1, len(args))+`) ORDER BY due, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("occurrences for %d incidents: %w", len(args), err)
	}
	return occs, nil
}

// LastFired returns the due time of the task's newest claimed occurrence,
// or the zero time if there is none. It implements scheduler.Store.
func (db *DB) LastFired(ctx context.Context, taskID string) (time.Time, error) {
	last, err := db.lastDue(ctx, "task_occurrences", "task_id", taskID)
	if err != nil {
		return time.Time{}, fmt.Errorf("last fired %s: %w", taskID, err)
	}
	return last, nil
}

// LastFiredAll returns LastFired of every task that has an occurrence,
// deleted tasks with history included. It implements scheduler.BulkStore.
func (db *DB) LastFiredAll(ctx context.Context) (map[string]time.Time, error) {
	last, err := db.lastDueAll(ctx, "task_occurrences", "task_id")
	if err != nil {
		return nil, fmt.Errorf("last fired: %w", err)
	}
	return last, nil
}

// OccurrencesBetween returns the occurrences due in [from, to), in every
// state, by due time then task, for reports.
func (db *DB) OccurrencesBetween(ctx context.Context, from, to time.Time) ([]domain.Occurrence, error) {
	occs, err := db.queryOccurrences(ctx, `SELECT `+occColumns+` FROM task_occurrences
		WHERE due >= $1 AND due < $2 ORDER BY due, task_id`, ceilUnix(from), ceilUnix(to))
	if err != nil {
		return nil, fmt.Errorf("occurrences between %s and %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return occs, nil
}

// ceilUnix is t in unix seconds, rounded up: due times are whole seconds,
// so due >= t exactly when due >= ceilUnix(t).
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

func (db *DB) queryOccurrences(ctx context.Context, query string, args ...any) ([]domain.Occurrence, error) {
	return queryRows(ctx, db.sql, scanOccurrence, query, args...)
}
