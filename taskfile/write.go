package taskfile

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Write exports rows in format, "yaml" or "csv", so that Parse reads them
// back as they were (Line aside). CSV has the header
// id,title,description,channel,schedule,timezone,grace,escalation; YAML is a
// mapping whose key tasks holds the list, each task leaving out an empty
// id, description, grace or escalation. The id lets an edited file update
// the tasks it came from. The time zone is always written, so the
// file does not depend on the default zone of whoever imports it. A row
// whose rule FormatSchedule cannot write is an error, and nothing useful
// has been written then.
func Write(w io.Writer, format string, rows []Row) error {
	switch format {
	case FormatYAML:
		return writeYAML(w, rows)
	case FormatCSV:
		return writeCSV(w, rows)
	}
	return fmt.Errorf("taskfile: %s is not a task file format; use yaml or csv", quote(format))
}

// rowValues returns the row's fields in the order of columns.
func rowValues(row Row) ([]string, error) {
	schedule := FormatSchedule(row.Rule)
	if schedule == "" {
		return nil, fmt.Errorf("taskfile: %q: cannot write a schedule of kind %q", row.Title, row.Rule.Kind)
	}
	if row.Grace < 0 || row.Grace%time.Minute != 0 {
		return nil, fmt.Errorf("taskfile: %q: the grace period %s is not whole minutes", row.Title, row.Grace)
	}
	zone := "UTC"
	if row.Rule.Location != nil {
		zone = row.Rule.Location.String()
	}
	escalation := EscalationNone
	switch row.EscalationKind {
	case "", EscalationNone:
	case EscalationOnCall, EscalationIncident:
		escalation = row.EscalationKind + ":" + row.EscalationTarget
	default:
		return nil, errors.New("taskfile: " + quote(row.Title) + ": unknown escalation kind " + quote(row.EscalationKind))
	}
	grace := ""
	if row.Grace != 0 || escalation != EscalationNone {
		grace = formatGrace(row.Grace)
	}
	return []string{row.ID, row.Title, row.Description, row.Channel, schedule, zone, grace, escalation}, nil
}
