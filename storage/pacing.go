package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ReservePace reserves the next write under key (a channel's posts, or
// chat.update), for writers that space themselves every interval with
// bursts of burst, shared by every replica: it returns when the write may
// go, now or later (the generic cell rate algorithm, its state one row;
// each call takes one slot, so callers queue as with rate.Limiter.Wait).
// A Retry-After recorded by PausePace moves that time past the pause.
// now is the caller's wall clock: pacing is about Slack's time, not a
// scheduler's. Concurrent reservations (a burst of posts to many
// channels) share a statement.
func (db *DB) ReservePace(ctx context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Time, error) {
	out, err := db.paces.do(ctx, paceRequest{key: key, step: interval.Milliseconds(), burst: max(burst, 1), now: now.UnixMilli()},
		maxPaceBatch, db.reservePaces)
	if err != nil {
		return time.Time{}, fmt.Errorf("pace %s: %w", key, err)
	}
	return out, nil
}

// maxPaceBatch bounds the keys of one grouped reservation.
const maxPaceBatch = 200

// paceRequest is one ReservePace call, its times in Unix milliseconds.
type paceRequest struct {
	key       string
	step, now int64
	burst     int
}

// reservePaces reserves a batch of writes. A key may appear only once in
// an upsert, so a key reserved twice in the batch goes in a second
// statement, after the first: its callers still queue in arrival order.
// Keys go in sorted, so that replicas' overlapping batches lock the rows
// in one order. The statement's now is the latest of its callers' (a
// millisecond or two later than some: a reservation can only move later).
func (db *DB) reservePaces(ctx context.Context, reqs []paceRequest) ([]time.Time, error) {
	out := make([]time.Time, len(reqs))
	pending := make([]int, len(reqs))
	for i := range reqs {
		pending[i] = i
	}
	for len(pending) > 0 {
		seen := map[string]bool{}
		var round, later []int
		for _, i := range pending {
			if seen[reqs[i].key] {
				later = append(later, i)
				continue
			}
			seen[reqs[i].key] = true
			round = append(round, i)
		}
		slices.SortFunc(round, func(a, b int) int { return cmp.Compare(reqs[a].key, reqs[b].key) })
		var now int64
		for _, i := range round {
			now = max(now, reqs[i].now)
		}
		// The earliest a write may go is tat − (burst−1)·interval; the
		// new tat is one interval after max(tat, now, the end of a
		// pause). A new key's row is inserted with tat = now + interval,
		// which is also how the update learns each row's interval.
		var values strings.Builder
		args := []any{now}
		for k, i := range round {
			args = appendRow(&values, k == 0, args, "(?, ?, 0)", reqs[i].key, now+reqs[i].step)
		}
		rows, err := db.sql.QueryContext(ctx, `
			INSERT INTO slack_pacing (key, tat, paused_until) VALUES `+values.String()+`
			ON CONFLICT (key) DO UPDATE SET tat = (CASE
				WHEN slack_pacing.paused_until > $1 AND slack_pacing.paused_until > slack_pacing.tat THEN slack_pacing.paused_until
				WHEN slack_pacing.tat > $1 THEN slack_pacing.tat ELSE $1 END) + (excluded.tat - $1)
			RETURNING key, tat, paused_until`, args...)
		if err != nil {
			return nil, err
		}
		type state struct{ tat, paused int64 }
		got := make(map[string]state, len(round))
		for rows.Next() {
			var key string
			var st state
			if err := rows.Scan(&key, &st.tat, &st.paused); err != nil {
				rows.Close()
				return nil, err
			}
			got[key] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, i := range round {
			r := reqs[i]
			st, ok := got[r.key]
			if !ok {
				return nil, fmt.Errorf("pace %s: no row returned", r.key)
			}
			at := st.tat - int64(r.burst)*r.step
			if st.paused > r.now && at < st.paused {
				at = st.paused
			}
			out[i] = time.UnixMilli(max(at, r.now))
		}
		pending = later
	}
	return out, nil
}
