package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrTargetNotEmpty means Copy found rows in the target and was not told to
// replace them.
var ErrTargetNotEmpty = errors.New("target database is not empty")

// TableCount is one table's row count after Copy, the same in both.
type TableCount struct {
	Table string
	Rows  int64
}

// notCopied are tables each database keeps for itself.
var notCopied = map[string]bool{"goose_db_version": true, "sqlite_sequence": true}

// copyFirst are tables others reference, so they are filled first.
var copyFirst = []string{"digests"}

// Copy moves an installation between engines (or files): both databases
// are brought to this binary's schema, then every table is copied in one
// transaction on the target and each table's row count is compared before
// it commits. A target holding rows is refused with ErrTargetNotEmpty
// unless replace is set, in which case its rows are deleted first. Stop
// toban before copying: rows written during the copy are not in it.
func Copy(ctx context.Context, from, to string, replace bool) ([]TableCount, error) {
	src, err := Open(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	dst, err := Open(ctx, to)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	defer dst.Close()
	if src.target == dst.target {
		return nil, errors.New("source and target are the same database")
	}
	tables, err := src.tables(ctx)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	if dstTables, err := dst.tables(ctx); err != nil {
		return nil, fmt.Errorf("target: %w", err)
	} else if !slices.Equal(tables, dstTables) {
		return nil, fmt.Errorf("the databases have different tables: %v and %v", tables, dstTables)
	}

	// A read transaction gives the counts and rows of one moment.
	stx, err := src.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	defer stx.Rollback()
	dtx, err := dst.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	defer dtx.Rollback()

	var nonEmpty []string
	for _, t := range tables {
		if n, err := count(ctx, dtx, t); err != nil {
			return nil, fmt.Errorf("target: %w", err)
		} else if n > 0 && t != "heartbeat" {
			nonEmpty = append(nonEmpty, fmt.Sprintf("%s (%d rows)", t, n))
		}
	}
	if len(nonEmpty) > 0 && !replace {
		return nil, fmt.Errorf("%w: %s; pass --force to replace its rows", ErrTargetNotEmpty, strings.Join(nonEmpty, ", "))
	}
	for _, t := range slices.Backward(tables) {
		if _, err := dtx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return nil, fmt.Errorf("target: empty %s: %w", t, err)
		}
	}

	var counts []TableCount
	for _, t := range tables {
		n, err := copyTable(ctx, src, stx, dst, dtx, t)
		if err != nil {
			return nil, fmt.Errorf("copy %s: %w", t, err)
		}
		want, err := count(ctx, stx, t)
		if err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		got, err := count(ctx, dtx, t)
		if err != nil {
			return nil, fmt.Errorf("target: %w", err)
		}
		if got != want || n != want {
			return nil, fmt.Errorf("copy %s: %d rows in the source, %d copied, %d in the target; nothing committed", t, want, n, got)
		}
		counts = append(counts, TableCount{Table: t, Rows: got})
	}
	if dst.pg {
		if err := resetIdentities(ctx, dtx); err != nil {
			return nil, fmt.Errorf("target: %w", err)
		}
	}
	if err := dtx.Commit(); err != nil {
		return nil, fmt.Errorf("target: commit: %w", err)
	}
	return counts, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tables lists the database's tables to copy, referenced ones first, then
// by name.
func (db *DB) tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if db.pg {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	names, err := strs(ctx, db.sql, q)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return notCopied[n] })
	slices.SortFunc(names, func(a, b string) int {
		ai, bi := slices.Index(copyFirst, a), slices.Index(copyFirst, b)
		if (ai >= 0) != (bi >= 0) {
			return bi - ai // the one in copyFirst sorts first
		}
		return strings.Compare(a, b)
	})
	return names, nil
}

// columns lists a table's columns.
func (db *DB) columns(ctx context.Context, q querier, table string) ([]string, error) {
	query := `SELECT name FROM pragma_table_info($1) ORDER BY cid`
	if db.pg {
		query = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`
	}
	return strs(ctx, q, query, table)
}

func strs(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func count(ctx context.Context, q querier, table string) (int64, error) {
	var n int64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

// copyTable copies the columns both sides have: PostgreSQL's calendars
// has a rowid column that SQLite keeps implicitly, and the target numbers
// it itself, in the order the rows arrive.
func copyTable(ctx context.Context, src *DB, stx *sql.Tx, dst *DB, dtx *sql.Tx, table string) (int64, error) {
	srcCols, err := src.columns(ctx, stx, table)
	if err != nil {
		return 0, err
	}
	dstCols, err := dst.columns(ctx, dtx, table)
	if err != nil {
		return 0, err
	}
	cols := slices.DeleteFunc(slices.Clone(srcCols), func(c string) bool { return !slices.Contains(dstCols, c) })
	for _, c := range srcCols {
		if c != "rowid" && !slices.Contains(cols, c) {
			return 0, fmt.Errorf("column %s is missing in the target", c)
		}
	}
	order := ""
	if slices.Contains(srcCols, "rowid") {
		order = " ORDER BY rowid"
	}
	rows, err := stx.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table+order)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	marks := make([]string, len(cols))
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	stmt, err := dtx.PrepareContext(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		if _, err := stmt.ExecContext(ctx, vals...); err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		n++
	}
	return n, rows.Err()
}

// resetIdentities moves PostgreSQL's identity sequences past the copied
// ids, which were inserted explicitly and so did not advance them.
func resetIdentities(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES' AND identity_generation = 'BY DEFAULT'`)
	if err != nil {
		return fmt.Errorf("list identity columns: %w", err)
	}
	type col struct{ table, column string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.column); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range cols {
		_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX(`+c.column+`), 0) + 1, false) FROM `+c.table,
			c.table, c.column)
		if err != nil {
			return fmt.Errorf("reset %s.%s: %w", c.table, c.column, err)
		}
	}
	return nil
}
