package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestWriteCSV(t *testing.T) {
	r := Compute(Input{Period: weekOf2026_03_02, Incidents: fixture(weekOf2026_03_02.Since)})
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse back: %v", err)
	}
	wantHeader := "row,service_id,service,period_start,period_end,incidents,escalations,acknowledged,resolved,open,resolved_unacknowledged," +
		"mtta_seconds,mtta,median_tta_seconds,median_tta,p90_tta_seconds,p90_tta,mttr_seconds,mttr,median_ttr_seconds,median_ttr,p90_ttr_seconds,p90_ttr"
	if got := strings.Join(rows[0], ","); got != wantHeader {
		t.Fatalf("header:\ngot  %s\nwant %s", got, wantHeader)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want header, 2 services and total", len(rows))
	}
	col := func(row []string, name string) string { return row[slices.Index(rows[0], name)] }
	tests := []struct {
		row             []string
		kind, service   string
		incidents, open string
		mtta, mttaHuman string
		p90tta          string
		mttr, p90ttr    string
	}{
		{rows[1], "service", "Checkout API", "120", "10", "3600", "1h 00m", "6480", "9990", "17820"},
		{rows[2], "service", "Billing", "7", "0", "651.429", "10m 51s", "3600", "2400", "4200"},
		{rows[3], "total", "Total", "127", "10", "3429.421", "57m 09s", "6420", "9535.897", "17820"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			for _, c := range []struct{ name, want string }{
				{"row", tt.kind}, {"service", tt.service}, {"incidents", tt.incidents}, {"open", tt.open},
				{"mtta_seconds", tt.mtta}, {"mtta", tt.mttaHuman}, {"p90_tta_seconds", tt.p90tta},
				{"mttr_seconds", tt.mttr}, {"p90_ttr_seconds", tt.p90ttr},
				{"period_start", "2026-03-02T00:00:00+09:00"}, {"period_end", "2026-03-09T00:00:00+09:00"},
			} {
				if got := col(tt.row, c.name); got != c.want {
					t.Errorf("%s = %q, want %q", c.name, got, c.want)
				}
			}
		})
	}
	t.Run("NoDataIsEmpty", func(t *testing.T) {
		var buf bytes.Buffer
		_ = WriteCSV(&buf, Compute(Input{Period: weekOf2026_03_02, Services: []Service{{ID: "Q", Name: "Quiet"}}}))
		rows, _ := csv.NewReader(&buf).ReadAll()
		if got := strings.Join(rows[1], ","); got != "service,Q,Quiet,2026-03-02T00:00:00+09:00,2026-03-09T00:00:00+09:00,0,0,0,0,0,0,,,,,,,,,,,," {
			t.Errorf("empty row = %s", got)
		}
	})
}

func TestWriteIncidentsCSV(t *testing.T) {
	r := Compute(Input{Period: weekOf2026_03_02, Incidents: fixture(weekOf2026_03_02.Since)})
	var buf bytes.Buffer
	if err := WriteIncidentsCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(rows[0], ","), strings.Join(IncidentHeader, ","); got != want || len(rows) != 128 {
		t.Fatalf("header %s and %d rows, want %s and 127 incidents", got, len(rows)-1, want)
	}
	// Incident A020: created Monday 00:00 + 1000 min, never acknowledged, resolved after 60 min.
	want := "A20,20,PSVC1,Checkout API,,2026-03-02T16:40:00+09:00,,2026-03-02T17:40:00+09:00,1,,,3600,1h 00m,"
	for _, row := range rows {
		if row[0] == "A20" {
			if got := strings.Join(row, ","); got != want {
				t.Errorf("A20:\ngot  %s\nwant %s", got, want)
			}
			return
		}
	}
	t.Error("A20 missing")
}

func TestWriteJSON(t *testing.T) {
	r := Compute(Input{Period: weekOf2026_03_02, Generated: weekOf2026_03_02.Until, Incidents: fixture(weekOf2026_03_02.Since)})
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r, true); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Period struct{ Since, TimeZone string } `json:"period"`
		Method string                           `json:"percentile_method"`
		Total  struct {
			Incidents int `json:"incidents"`
			TTA       struct {
				Median *float64 `json:"median_seconds"`
			} `json:"time_to_acknowledge"`
		} `json:"total"`
		Incidents []struct {
			TTA *float64 `json:"tta_seconds"`
		} `json:"incidents"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Method != "nearest-rank" || got.Total.Incidents != 127 || got.Total.TTA.Median == nil || *got.Total.TTA.Median != 3420 || len(got.Incidents) != 127 {
		t.Errorf("json = %s", buf.String()[:400])
	}
}

func TestTable(t *testing.T) {
	r := Compute(Input{Period: weekOf2026_03_02, Incidents: fixture(weekOf2026_03_02.Since)})
	lines := Table(r, 1)
	want := []string{
		"Service       Inc  Esc  Open     MTTA  p50 TTA  p90 TTA    MTTR  p50 TTR  p90 TTR",
		"─────────────────────────────────────────────────────────────────────────────────",
		"Checkout API  120   12    10   1h 00m  59m 00s   1h 48m  2h 46m   2h 45m   4h 57m",
		"… 1 more        7",
		"─────────────────────────────────────────────────────────────────────────────────",
		"Total         127   14    10  57m 09s  57m 00s   1h 47m  2h 38m   2h 36m   4h 57m",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("table:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
