package main

import (
	"fmt"
	"io"
)

// shiftsCLI runs `toban shifts …`.
func shiftsCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "toban shifts: not available in this version yet")
	return 2
}
