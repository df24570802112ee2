package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/tobanbot/toban/storage"
)

// openExisting opens the database at target for a command that reads or
// changes what is already there. A SQLite path with no file behind it is
// refused instead of created: storage.Open would make and migrate an
// empty database, and a mistyped TOBAN_DB would then show an empty team
// (or delete nothing) as if all were well.
func openExisting(ctx context.Context, target string) (*storage.DB, error) {
	if t, err := storage.ParseTarget(target); err == nil && !t.Postgres {
		if _, err := os.Stat(t.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s (toban run creates it; is TOBAN_DB right?)", t.Path)
		}
	}
	return storage.Open(ctx, target)
}
