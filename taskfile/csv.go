package taskfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tobanbot/toban/internal/csvrows"
	"github.com/tobanbot/toban/internal/csvsep"
)

// maxCSVErrors bounds the syntax errors reported before giving up.
const maxCSVErrors = 100

// readCSV reads a header naming the columns, then one task per record.
// Each record's line is the physical line where it starts, so a quoted
// value holding line breaks counts them. Records with nothing in them are
// skipped.
func readCSV(data []byte) ([]record, []RowError) {
	firstLine, _, _ := strings.Cut(strings.TrimLeft(string(data), "\r\n"), "\n")
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = csvsep.Guess(firstLine)
	r.FieldsPerRecord = -1

	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, []RowError{csvError(err)}
	}
	headerLine, _ := r.FieldPos(0)
	names := make([]string, len(header))
	var errs []RowError
	seen := map[string]bool{}
	for i, h := range header {
		names[i] = strings.ToLower(strings.TrimSpace(h))
		switch {
		case names[i] == "":
		case !isColumn(names[i]):
			errs = append(errs, RowError{Line: headerLine, Field: h, Msg: "Unknown column; use " + strings.Join(columns, ", ") + "."})
		case seen[names[i]]:
			errs = append(errs, RowError{Line: headerLine, Field: names[i], Msg: "The column appears twice."})
		}
		seen[names[i]] = true
	}
	for _, required := range []string{"title", "channel", "schedule"} {
		if !seen[required] {
			errs = append(errs, RowError{Line: headerLine, Field: required, Msg: "The header has no " + required + " column."})
		}
	}
	if len(errs) > 0 {
		return nil, errs // the rows cannot be read without knowing the columns
	}

	var recs []record
	csvrows.Read(r, maxCSVErrors, func(line int, values []string) bool {
		rec := record{line: line, fields: make(map[string]string, len(names))}
		empty := true
		for i, v := range values {
			empty = empty && strings.TrimSpace(v) == ""
			if i < len(names) && names[i] != "" {
				rec.fields[names[i]] = v
			}
		}
		if !empty && len(values) > len(names) {
			// Most likely an unquoted comma, which shifts every later value.
			errs = append(errs, RowError{Line: line, Msg: fmt.Sprintf("The row has %d values but the header %d columns; "+
				`put values that contain the separator in double quotes, e.g. "weekly mon,wed 09:00".`, len(values), len(names))})
		}
		if !empty {
			recs = append(recs, rec)
		}
		return true
	}, func(err error) { errs = append(errs, csvError(err)) })
	return recs, errs
}

func csvError(err error) RowError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := "The file is not valid CSV: " + pe.Err.Error()
		if pe.Line != pe.StartLine {
			msg += fmt.Sprintf(" (on line %d)", pe.Line)
		}
		if errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote) {
			msg += "; put values with quotes in double quotes and double the quotes inside"
		}
		return RowError{Line: pe.StartLine, Msg: msg + "."}
	}
	return RowError{Msg: "The file is not valid CSV: " + err.Error() + "."}
}

// writeCSV writes the header, then one record per row.
func writeCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(columns); err != nil {
		return err
	}
	for i, row := range rows {
		values, err := rowValues(row)
		if err != nil {
			return fmt.Errorf("task %d: %w", i+1, err)
		}
		if err := cw.Write(values); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
