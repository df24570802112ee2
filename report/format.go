package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Human writes a duration for people, rounded to the second and keeping
// the two largest units: "45s", "4m 30s", "1h 05m", "2d 03h".
func Human(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		return "-" + Human(-d)
	}
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	h, m, s := rest/time.Hour, rest%time.Hour/time.Minute, rest%time.Minute/time.Second
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %02dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm %02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// Seconds writes a duration as seconds, to the millisecond, without
// trailing zeros: "337.5", "60", "651.429".
func Seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Round(time.Millisecond).Seconds(), 'f', -1, 64)
}

// TableColumns are the columns of Table.
var TableColumns = []string{"Service", "Inc", "Esc", "Open", "MTTA", "p50 TTA", "p90 TTA", "MTTR", "p50 TTR", "p90 TTR"}

// nameWidth bounds the Service column, so that a row fits a Slack code
// block on a laptop without wrapping.
const nameWidth = 24

// Table renders the services and the total as fixed-width text lines: a
// header, a rule, one line per service (at most maxRows; 0 means all; the
// rest summed up in one "… N more" line) and the total. "–" marks a figure
// without data.
func Table(r Report, maxRows int) []string {
	rows := [][]string{TableColumns}
	services := r.Services
	var hidden []Stats
	if maxRows > 0 && len(services) > maxRows {
		services, hidden = services[:maxRows], services[maxRows:]
	}
	for _, s := range services {
		rows = append(rows, tableRow(s))
	}
	if len(hidden) > 0 {
		n := 0
		for _, s := range hidden {
			n += s.Incidents
		}
		rows = append(rows, []string{fmt.Sprintf("… %d more", len(hidden)), strconv.Itoa(n)})
	}
	rows = append(rows, tableRow(r.Total))
	width := make([]int, len(TableColumns))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	lines := make([]string, 0, len(rows)+2)
	for i, row := range rows {
		if i == len(rows)-1 || i == 1 {
			lines = append(lines, rule(width))
		}
		var b strings.Builder
		for j, c := range row {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(c))
			if j == 0 {
				b.WriteString(c + pad) // names left, figures right
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	return lines
}

func rule(width []int) string {
	n := 0
	for i, w := range width {
		n += w
		if i > 0 {
			n += 2
		}
	}
	return strings.Repeat("─", n)
}

func tableRow(s Stats) []string {
	name := s.ServiceName
	if utf8.RuneCountInString(name) > nameWidth {
		name = string([]rune(name)[:nameWidth-1]) + "…"
	}
	dur := func(sum Summary, d time.Duration) string {
		if sum.N == 0 {
			return "–"
		}
		return Human(d)
	}
	return []string{name, strconv.Itoa(s.Incidents), strconv.Itoa(s.Escalations), strconv.Itoa(s.Open),
		dur(s.TTA, s.TTA.Mean), dur(s.TTA, s.TTA.Median), dur(s.TTA, s.TTA.P90),
		dur(s.TTR, s.TTR.Mean), dur(s.TTR, s.TTR.Median), dur(s.TTR, s.TTR.P90)}
}

// Notes are the sentences that explain what the figures leave out.
func Notes(r Report) []string {
	var out []string
	t := r.Total
	if t.Open > 0 {
		out = append(out, fmt.Sprintf("%d still open: counted, but not in MTTR.", t.Open))
	}
	if t.ResolvedUnacknowledged > 0 {
		out = append(out, fmt.Sprintf("%d resolved without acknowledgement: counted, but not in MTTA.", t.ResolvedUnacknowledged))
	}
	out = append(out, "Median and p90 by the nearest-rank method.")
	return out
}

// WriteTable writes the report for a terminal: title, table, notes.
func WriteTable(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Incidents %s: %s\n\n", r.Period.Title(), r.Period.Dates())
	for _, l := range Table(r, 0) {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	for _, n := range Notes(r) {
		b.WriteString(n + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
