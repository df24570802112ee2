package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Header is the service sheet's columns, in order. Columns are only ever
// added at the end, so spreadsheets and scripts can rely on names and
// positions. "row" is "service" or "total" (the last row); durations come
// twice: *_seconds (seconds to the millisecond) and a human-readable
// column; both are empty when there is no data (no acknowledged incident,
// say).
var Header = []string{
	"row", "service_id", "service", "period_start", "period_end",
	"incidents", "escalations", "acknowledged", "resolved", "open", "resolved_unacknowledged",
	"mtta_seconds", "mtta", "median_tta_seconds", "median_tta", "p90_tta_seconds", "p90_tta",
	"mttr_seconds", "mttr", "median_ttr_seconds", "median_ttr", "p90_ttr_seconds", "p90_ttr",
}

// IncidentHeader is the per-incident sheet's columns, in order; times are
// RFC 3339 in the report's time zone, empty when they did not happen.
var IncidentHeader = []string{
	"incident_id", "number", "service_id", "service", "title", "created_at", "acknowledged_at", "resolved_at",
	"escalations", "tta_seconds", "tta", "ttr_seconds", "ttr", "url",
}

// WriteCSV writes the service sheet: Header, one row per service, and the
// totals row.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(Header)
	start, end := r.Period.Since.Format(time.RFC3339), r.Period.Until.Format(time.RFC3339)
	row := func(kind string, s Stats) []string {
		out := []string{kind, s.ServiceID, s.ServiceName, start, end,
			strconv.Itoa(s.Incidents), strconv.Itoa(s.Escalations), strconv.Itoa(s.Acknowledged),
			strconv.Itoa(s.Resolved), strconv.Itoa(s.Open), strconv.Itoa(s.ResolvedUnacknowledged)}
		for _, sum := range []Summary{s.TTA, s.TTR} {
			for _, d := range []time.Duration{sum.Mean, sum.Median, sum.P90} {
				if sum.N == 0 {
					out = append(out, "", "")
				} else {
					out = append(out, Seconds(d), Human(d))
				}
			}
		}
		return out
	}
	for _, s := range r.Services {
		_ = cw.Write(row("service", s))
	}
	_ = cw.Write(row("total", r.Total))
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// WriteIncidentsCSV writes the per-incident sheet: IncidentHeader and one
// row per incident, oldest first.
func WriteIncidentsCSV(w io.Writer, r Report) error {
	loc := r.Period.Location()
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(IncidentHeader)
	for _, in := range r.Incidents {
		row := []string{in.ID, strconv.Itoa(in.Number), in.ServiceID, in.ServiceName, in.Title,
			at(in.Created), at(in.Acknowledged), at(in.Resolved), strconv.Itoa(in.Escalations)}
		for _, f := range []func() (time.Duration, bool){in.TTA, in.TTR} {
			if d, ok := f(); ok {
				row = append(row, Seconds(d), Human(d))
			} else {
				row = append(row, "", "")
			}
		}
		_ = cw.Write(append(row, in.URL))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write incidents csv: %w", err)
	}
	return nil
}
