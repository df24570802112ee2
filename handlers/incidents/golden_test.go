package incidents

import (
	"testing"

	goldenfile "github.com/tobanbot/toban/internal/golden"
)

// golden compares v with testdata/name.golden.json (-update rewrites it).
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, name, v)
}
