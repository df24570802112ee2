package handlers

import (
	"testing"

	goldenfile "github.com/tobanbot/toban/internal/golden"

	"github.com/tobanbot/toban/handlers/chat"
)

// golden compares v with testdata/name.golden.json (-update rewrites it).
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, name, v)
}

func TestHelpBlocks(t *testing.T) {
	golden(t, "help", chat.AckMessage(HelpMessage()))
}

func TestHomeView(t *testing.T) {
	golden(t, "home", HomeView())
}
