// Package csvrows reads the records of a CSV file people wrote by hand:
// a record with a syntax error is reported and skipped rather than
// ending the read, so one stray quote does not hide every other problem.
//
// It imports no toban package; taskfile and shiftfile import it.
package csvrows

import (
	"encoding/csv"
	"errors"
	"io"
)

// Read calls row for each record of r with the line it starts on, until
// the end of the input or until row returns false. A record with a syntax
// error goes to bad and is skipped; reading stops at the max-th such error,
// at any other error (also sent to bad), or when the reader cannot move
// past an error.
func Read(r *csv.Reader, max int, row func(line int, values []string) bool, bad func(err error)) {
	syntax := 0
	for {
		offset := r.InputOffset()
		values, err := r.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			bad(err)
			var pe *csv.ParseError
			if syntax++; !errors.As(err, &pe) || syntax >= max || r.InputOffset() == offset {
				return
			}
			continue
		}
		line, _ := r.FieldPos(0)
		if !row(line, values) {
			return
		}
	}
}
