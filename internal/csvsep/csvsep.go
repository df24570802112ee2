// Package csvsep guesses the separator of a CSV file that people wrote in a
// spreadsheet. It is shared by the task and shift file readers (taskfile,
// shiftfile) and imports only the standard library.
package csvsep

import "strings"

// Guess returns the separator of a CSV file from its header line: the most
// frequent of comma, semicolon (spreadsheets in many locales) and tab,
// comma on a tie.
func Guess(header string) rune {
	best, count := ',', strings.Count(header, ",")
	for _, r := range []rune{';', '\t'} {
		if n := strings.Count(header, string(r)); n > count {
			best, count = r, n
		}
	}
	return best
}
