package main

import (
	"fmt"
	"io"
)

// reportCLI runs `toban report …`.
func reportCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "toban report: not available in this version yet")
	return 2
}
