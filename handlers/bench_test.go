package handlers

import (
	"testing"
)

// BenchmarkParseCommand parses typical slash command text.
func BenchmarkParseCommand(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCommand(`incidents "Checkout API"`); err != nil {
			b.Fatal(err)
		}
	}
}
