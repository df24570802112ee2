package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tobanbot/toban/domain"
)

// When many tasks come due at once, the scheduler's workers claim and
// record their occurrences concurrently. Each claim and each posted
// record is grouped with the others waiting (batcher): one multi-row
// statement and one commit for the lot, instead of a commit each behind
// SQLite's single writer, and on PostgreSQL one round trip where several
// replicas race for the same occurrences.

// maxOccurrenceGroup bounds one grouped statement: ten parameters a row
// stay far below both engines' parameter limits.
const maxOccurrenceGroup = 200

// claimRequest is one ClaimOccurrence call.
type claimRequest struct {
	id, taskID, channelID string
	due, escalateAt       time.Time
	late                  bool
}

// claimOutcome is what ClaimOccurrence returns for one request.
type claimOutcome struct {
	occ     domain.Occurrence
	created bool
	err     error
}

// claimGroup claims a batch of occurrences. The rows go in sorted by ID
// so that replicas inserting overlapping batches take the rows' locks in
// one order and cannot deadlock. Occurrences that already existed are
// read back in one query; only those whose claim lapsed (their replica
// died) or is this holder's own are retaken, one by one, as before.
func (db *DB) claimGroup(ctx context.Context, reqs []claimRequest) ([]claimOutcome, error) {
	order := make([]int, 0, len(reqs))
	first := map[string]int{}
	for i, r := range reqs {
		if _, dup := first[r.id]; !dup {
			first[r.id] = i
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(reqs[a].id, reqs[b].id) })
	now, until := db.claimTimes()
	claimedAt := db.now().UnixMilli()

	var q strings.Builder
	q.WriteString(`INSERT INTO task_occurrences (id, task_id, due, late, channel_id, state, claimed_at, escalate_at, claimed_by, claim_until) VALUES `)
	args := make([]any, 0, len(order)*9)
	for k, i := range order {
		r := reqs[i]
		args = appendRow(&q, k == 0, args, "(?, ?, ?, ?, ?, '"+domain.OccClaimed+"', ?, ?, ?, ?)",
			r.id, r.taskID, r.due.Unix(), boolInt(r.late), r.channelID, claimedAt, millisOrNull(r.escalateAt), db.holder, until)
	}
	q.WriteString(` ON CONFLICT DO NOTHING RETURNING ` + occColumns)
	created, err := db.queryOccurrences(ctx, q.String(), args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]claimOutcome, len(reqs))
	for _, o := range created {
		byID[o.ID] = claimOutcome{occ: o, created: true}
	}
	var existing []any
	for _, i := range order {
		if _, ok := byID[reqs[i].id]; !ok {
			existing = append(existing, reqs[i].id)
		}
	}
	if len(existing) > 0 {
		rows, err := db.sql.QueryContext(ctx, `SELECT `+occColumns+`, claimed_by, claim_until
			FROM task_occurrences WHERE id IN (`+placeholderList(1, len(existing))+`)`, existing...)
		if err != nil {
			return nil, err
		}
		type found struct {
			occ   domain.Occurrence
			claim occurrenceClaim
		}
		var all []found
		for rows.Next() {
			var f found
			if f.occ, err = scanOccurrence(withExtra{rows, []any{&f.claim.by, &f.claim.until}}); err != nil {
				rows.Close()
				return nil, err
			}
			all = append(all, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, f := range all {
			byID[f.occ.ID] = db.claimExisting(ctx, f.occ, f.claim, now, until)
		}
	}
	out := make([]claimOutcome, len(reqs))
	for i, r := range reqs {
		res, ok := byID[r.id]
		switch {
		case !ok:
			res = claimOutcome{err: fmt.Errorf("occurrence %s neither inserted nor found", r.id)}
		case first[r.id] != i:
			// The same occurrence twice in one batch: the first call
			// has it, and posts its card.
			res = claimOutcome{occ: res.occ, err: res.err}
			res.occ.HeldElsewhere = res.occ.TS == ""
		}
		out[i] = res
	}
	return out, nil
}

// occurrenceClaim is who holds an occurrence's claim, and until when.
type occurrenceClaim struct {
	by    string
	until int64
}

// withExtra scans a row's columns into Scan's destinations followed by
// extra ones, for a query that selects a little more than a scanner reads.
type withExtra struct {
	rows  *sql.Rows
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.rows.Scan(append(dest, w.extra...)...) }

// claimExisting decides about an occurrence claimed before: posted, it is
// returned as it is; unposted with its claim lapsed (the replica that
// claimed it died) or held by this holder, it is retaken; held by a live
// replica, it is left to it.
func (db *DB) claimExisting(ctx context.Context, o domain.Occurrence, c occurrenceClaim, now, until int64) claimOutcome {
	if o.TS != "" {
		return claimOutcome{occ: o}
	}
	mine := c.by == db.holder && c.by != ""
	if c.until > now && !mine {
		o.HeldElsewhere = true
		return claimOutcome{occ: o}
	}
	retaken, err := scanOccurrence(db.sql.QueryRowContext(ctx, `
		UPDATE task_occurrences SET claimed_by = $1, claim_until = $2
		WHERE id = $3 AND ts = '' AND (claim_until <= $4 OR (claimed_by = $1 AND claimed_by <> ''))
		RETURNING `+occColumns, db.holder, until, o.ID, now))
	switch {
	case err == nil:
		return claimOutcome{occ: retaken}
	case !errors.Is(err, sql.ErrNoRows):
		return claimOutcome{err: err}
	}
	// Another replica retook or posted it in the meantime.
	fresh, err := db.Occurrence(ctx, o.ID)
	if err != nil {
		return claimOutcome{err: err}
	}
	fresh.HeldElsewhere = fresh.TS == ""
	return claimOutcome{occ: fresh}
}

// postedRequest is one SetOccurrencePosted call.
type postedRequest struct{ id, ts string }

// postedOutcome is what SetOccurrencePosted returns for one request.
type postedOutcome struct {
	occ domain.Occurrence
	err error
}

// postedGroup records a batch of posted cards in one statement; a
// request whose occurrence had a ts already is checked on its own (the
// same ts again is fine, another is domain.ErrAlreadyPosted).
func (db *DB) postedGroup(ctx context.Context, reqs []postedRequest) ([]postedOutcome, error) {
	order := make([]int, 0, len(reqs))
	seen := map[string]bool{}
	for i, r := range reqs {
		if !seen[r.id] {
			seen[r.id] = true
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(reqs[a].id, reqs[b].id) })
	var values strings.Builder
	args := make([]any, 0, 2*len(order))
	for k, i := range order {
		args = appendRow(&values, k == 0, args, "(?, ?)", reqs[i].id, reqs[i].ts)
	}
	updated, err := db.queryOccurrences(ctx, `UPDATE task_occurrences SET ts = v.column2,
			state = CASE WHEN state = '`+domain.OccClaimed+`' THEN '`+domain.OccPosted+`' ELSE state END
		FROM (VALUES `+values.String()+`) AS v
		WHERE task_occurrences.id = v.column1 AND task_occurrences.ts = ''
		RETURNING `+qualified("task_occurrences", occColumns), args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]domain.Occurrence, len(updated))
	for _, o := range updated {
		byID[o.ID] = o
	}
	out := make([]postedOutcome, len(reqs))
	for i, r := range reqs {
		if o, ok := byID[r.id]; ok && o.TS == r.ts {
			out[i] = postedOutcome{occ: o}
			continue
		}
		cur, err := db.Occurrence(ctx, r.id)
		switch {
		case err != nil:
			out[i] = postedOutcome{err: err}
		case cur.TS == r.ts:
			out[i] = postedOutcome{occ: cur}
		default:
			out[i] = postedOutcome{err: fmt.Errorf("posted as %s: %w as %s", r.ts, domain.ErrAlreadyPosted, cur.TS)}
		}
	}
	return out, nil
}

// appendRow writes one row of a multi-row VALUES list to b: row, with
// each ? numbered as the parameter after those in args, preceded by ", "
// unless it is the list's first. It returns args with the row's values.
func appendRow(b *strings.Builder, first bool, args []any, row string, values ...any) []any {
	if !first {
		b.WriteString(", ")
	}
	n := len(args)
	for _, part := range strings.SplitAfter(row, "?") {
		if p, ok := strings.CutSuffix(part, "?"); ok {
			n++
			fmt.Fprintf(b, "%s$%d", p, n)
		} else {
			b.WriteString(part)
		}
	}
	return append(args, values...)
}

// anySlice is ids as statement arguments.
func anySlice[T any](ids []T) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// placeholderList is "$from, $from+1, …" for n parameters.
func placeholderList(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// qualified prefixes each of the comma-separated columns with table.
func qualified(table, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = table + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
