package storage

import (
	"context"
	"fmt"
)

// TasksVersion changes whenever a task is added, changed or deleted, so a
// caller can notice changes made outside its process (an import) with one
// cheap query instead of reading every task.
func (db *DB) TasksVersion(ctx context.Context) (string, error) {
	var n, newest int64
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM tasks`).Scan(&n, &newest); err != nil {
		return "", fmt.Errorf("tasks version: %w", err)
	}
	return fmt.Sprintf("%d:%d", n, newest), nil
}
