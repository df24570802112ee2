package storage

import (
	"context"
	"database/sql"
	"time"
)

// queryRows runs query and reads every row with scan, in order; no row is
// an empty list, not an error.
func queryRows[T any](ctx context.Context, q querier, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// lastDue is the newest due time (unix seconds in column due) of table's
// rows whose keyColumn is key; zero when there is none. It serves the
// scheduler.Store of tasks and of reports alike.
func (db *DB) lastDue(ctx context.Context, table, keyColumn, key string) (time.Time, error) {
	var due sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, `SELECT MAX(due) FROM `+table+` WHERE `+keyColumn+` = $1`, key).Scan(&due); err != nil {
		return time.Time{}, err
	}
	if !due.Valid {
		return time.Time{}, nil
	}
	return time.Unix(due.Int64, 0).UTC(), nil
}

// lastDueAll is lastDue of every key of table that has a row.
func (db *DB) lastDueAll(ctx context.Context, table, keyColumn string) (map[string]time.Time, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+keyColumn+`, MAX(due) FROM `+table+` GROUP BY `+keyColumn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	last := make(map[string]time.Time)
	for rows.Next() {
		var id string
		var due int64
		if err := rows.Scan(&id, &due); err != nil {
			return nil, err
		}
		last[id] = time.Unix(due, 0).UTC()
	}
	return last, rows.Err()
}
