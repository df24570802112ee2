package report

import (
	"strconv"
	"testing"
	"time"
)

func secs(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, s := range v {
		out[i] = time.Duration(s) * time.Second
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	tests := []struct {
		name             string
		sorted           []time.Duration
		p                int
		want             time.Duration
		handComputedRank string
	}{
		{"OneValue", secs(42), 90, 42 * time.Second, "⌈0.9·1⌉ = 1"},
		{"TenP90", secs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Second, "⌈0.9·10⌉ = 9, not 9.1 by float error"},
		{"TenMedianIsLowerMiddle", secs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 50, 5 * time.Second, "⌈0.5·10⌉ = 5"},
		{"SevenMedian", secs(30, 45, 75, 90, 120, 600, 3600), 50, 90 * time.Second, "⌈3.5⌉ = 4"},
		{"SevenP90", secs(30, 45, 75, 90, 120, 600, 3600), 90, 3600 * time.Second, "⌈6.3⌉ = 7"},
		{"ElevenP90", secs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 90, 10 * time.Second, "⌈9.9⌉ = 10"},
		{"TwentyP90", secs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 90, 18 * time.Second, "⌈18⌉ = 18"},
		{"TwoMedian", secs(10, 20), 50, 10 * time.Second, "⌈1⌉ = 1"},
		{"Empty", nil, 50, 0, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("p%d = %v, want %v (rank %s)", tt.p, got, tt.want, tt.handComputedRank)
			}
		})
	}
}

func TestMean(t *testing.T) {
	tests := []struct {
		name string
		ds   []time.Duration
		want time.Duration
	}{
		{"Exact", secs(300, 375), 337*time.Second + 500*time.Millisecond},
		{"Truncated", secs(30, 45, 75, 90, 120, 600, 3600), 651428571428 * time.Nanosecond}, // 4560/7 s
		{"Empty", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mean(tt.ds); got != tt.want {
				t.Errorf("mean = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("NoOverflow", func(t *testing.T) {
		// 10,000 durations of 60 days: 5.2e19 ns in all, past int64.
		ds := make([]time.Duration, 10000)
		for i := range ds {
			ds[i] = 60 * 24 * time.Hour
		}
		ds[0] += time.Second
		want := 60*24*time.Hour + 100*time.Microsecond // one second spread over 10,000
		if got := Mean(ds); got != want {
			t.Errorf("mean = %v, want %v", got, want)
		}
	})
}

var tokyo = mustLoad("Asia/Tokyo")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// weekOf2026_03_02 is Monday 2 March 2026 to Monday 9 March, in Tokyo.
var weekOf2026_03_02 = Period{Name: LastWeek, Since: time.Date(2026, 3, 2, 0, 0, 0, 0, tokyo), Until: time.Date(2026, 3, 9, 0, 0, 0, 0, tokyo)}

// fixture is 127 incidents whose figures are worked out by hand in
// TestComputeFixture.
//
// Service A, "Checkout API", incidents i = 1…120, created at Monday 00:00 +
// i·50 min: acknowledged i minutes after creation except when i is a
// multiple of 20 (never); resolved 3·i minutes after creation for
// i ≤ 110 (111…120 still open); escalated once when i is a multiple of 10.
//
// Service B, "Billing", 7 incidents created on Tuesday 10:00 + k hours,
// acknowledged after 30, 90, 45, 600, 120, 75 and 3600 s, resolved after 10,
// 20, …, 70 minutes; the last escalated twice.
func fixture(start time.Time) []Incident {
	var out []Incident
	for i := 1; i <= 120; i++ {
		c := start.Add(time.Duration(i) * 50 * time.Minute)
		in := Incident{ID: "A" + strconv.Itoa(i), Number: i, ServiceID: "PSVC1", ServiceName: "Checkout API", Created: c}
		if i%20 != 0 {
			in.Acknowledged = c.Add(time.Duration(i) * time.Minute)
		}
		if i <= 110 {
			in.Resolved = c.Add(time.Duration(3*i) * time.Minute)
		}
		if i%10 == 0 {
			in.Escalations = 1
		}
		out = append(out, in)
	}
	ack := []int{30, 90, 45, 600, 120, 75, 3600}
	for k, a := range ack {
		c := start.Add(34*time.Hour + time.Duration(k)*time.Hour)
		in := Incident{ID: "B" + strconv.Itoa(k), Number: 200 + k, ServiceID: "PSVC2", ServiceName: "Billing", Created: c,
			Acknowledged: c.Add(time.Duration(a) * time.Second), Resolved: c.Add(time.Duration(10*(k+1)) * time.Minute)}
		if k == 6 {
			in.Escalations = 2
		}
		out = append(out, in)
	}
	return out
}

func TestComputeFixture(t *testing.T) {
	m := time.Minute
	r := Compute(Input{Period: weekOf2026_03_02, Incidents: fixture(weekOf2026_03_02.Since)})
	if len(r.Services) != 2 || r.Services[0].ServiceName != "Checkout API" || r.Services[1].ServiceName != "Billing" {
		t.Fatalf("services = %+v, want Checkout API then Billing", r.Services)
	}
	tests := []struct {
		name string
		got  Stats
		want Stats
	}{
		{"CheckoutAPI", r.Services[0], Stats{ServiceID: "PSVC1", ServiceName: "Checkout API",
			Incidents: 120, Escalations: 12, Acknowledged: 114, Resolved: 110, Open: 10, ResolvedUnacknowledged: 5,
			// TTA: i min for i in 1…120 without 20, 40, …, 120 (114 values).
			// Mean (7260 − 420) / 114 = 60 min. Median rank ⌈57⌉ = 57: v − ⌊v/20⌋ = 57 → 59 min.
			// p90 rank ⌈102.6⌉ = 103: v − ⌊v/20⌋ = 103 → 108 min.
			TTA: Summary{N: 114, Mean: 60 * m, Median: 59 * m, P90: 108 * m},
			// TTR: 3i min for i in 1…110. Mean 3·55.5 = 166.5 min; median rank 55 → 165 min;
			// p90 rank 99 → 297 min.
			TTR: Summary{N: 110, Mean: 166*m + 30*time.Second, Median: 165 * m, P90: 297 * m}}},
		{"Billing", r.Services[1], Stats{ServiceID: "PSVC2", ServiceName: "Billing",
			Incidents: 7, Escalations: 2, Acknowledged: 7, Resolved: 7,
			// Sorted 30, 45, 75, 90, 120, 600, 3600 s: mean 4560/7 s; median x₄; p90 x₇.
			TTA: Summary{N: 7, Mean: 651428571428, Median: 90 * time.Second, P90: 3600 * time.Second},
			// 10…70 min: mean 40, median x₄ = 40, p90 x₇ = 70.
			TTR: Summary{N: 7, Mean: 40 * m, Median: 40 * m, P90: 70 * m}}},
		{"Total", r.Total, Stats{ServiceName: "Total",
			Incidents: 127, Escalations: 14, Acknowledged: 121, Resolved: 117, Open: 10, ResolvedUnacknowledged: 5,
			// Mean (6840·60 + 4560) / 121 s = 414960/121 s. Median rank ⌈60.5⌉ = 61: all six
			// Billing values under 55 min are below, and A's v − ⌊v/20⌋ = 55 at v = 57 min.
			// p90 rank ⌈108.9⌉ = 109: all 7 Billing values below, A's 102nd value is 107 min.
			TTA: Summary{N: 121, Mean: 414960 * time.Second / 121, Median: 57 * m, P90: 107 * m},
			// (18315 + 280) / 117 min. Median rank ⌈58.5⌉ = 59: 7 of B plus A's 52nd (156 min).
			// p90 rank ⌈105.3⌉ = 106: 7 of B plus A's 99th (297 min).
			TTR: Summary{N: 117, Mean: 18595 * m / 117, Median: 156 * m, P90: 297 * m}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got  %+v\nwant %+v", tt.got, tt.want)
			}
		})
	}
	if len(r.Incidents) != 127 || !r.Incidents[0].Created.Before(r.Incidents[126].Created) {
		t.Errorf("incidents = %d, want 127 oldest first", len(r.Incidents))
	}
}

func TestComputeRules(t *testing.T) {
	c := weekOf2026_03_02.Since.Add(time.Hour)
	in := []Incident{
		{ID: "open-unacked", ServiceID: "S", Created: c},
		{ID: "open-acked", ServiceID: "S", Created: c, Acknowledged: c.Add(2 * time.Minute)},
		{ID: "resolved-unacked", ServiceID: "S", Created: c, Resolved: c.Add(time.Hour)},
		{ID: "ack-before-create", ServiceID: "S", Created: c, Acknowledged: c.Add(-time.Second), Resolved: c.Add(time.Minute)},
		{ID: "before-period", ServiceID: "S", Created: weekOf2026_03_02.Since.Add(-time.Second), Resolved: c},
		{ID: "at-until", ServiceID: "S", Created: weekOf2026_03_02.Until, Resolved: c},
	}
	r := Compute(Input{Period: weekOf2026_03_02, Incidents: in, Services: []Service{{ID: "S", Name: "Search"}, {ID: "Q", Name: "Quiet"}}})
	got := r.Total
	want := Stats{ServiceName: "Total", Incidents: 4, Acknowledged: 2, Resolved: 2, Open: 2, ResolvedUnacknowledged: 1,
		TTA: Summary{N: 2, Mean: time.Minute, Median: 0, P90: 2 * time.Minute},
		TTR: Summary{N: 2, Mean: 30*time.Minute + 30*time.Second, Median: time.Minute, P90: time.Hour}}
	if got != want {
		t.Errorf("total:\ngot  %+v\nwant %+v", got, want)
	}
	if len(r.Services) != 2 || r.Services[0].ServiceName != "Search" || r.Services[1] != (Stats{ServiceID: "Q", ServiceName: "Quiet"}) {
		t.Errorf("services = %+v, want Search (named by Services) and an empty Quiet row", r.Services)
	}
}

func TestHumanAndSeconds(t *testing.T) {
	tests := []struct {
		d           time.Duration
		human, secs string
	}{
		{0, "0s", "0"},
		{45 * time.Second, "45s", "45"},
		{4*time.Minute + 30*time.Second, "4m 30s", "270"},
		{337*time.Second + 500*time.Millisecond, "5m 38s", "337.5"},
		{time.Hour + 5*time.Minute, "1h 05m", "3900"},
		{51*time.Hour + 20*time.Minute, "2d 03h", "184800"},
		{651428571428, "10m 51s", "651.429"},
	}
	for _, tt := range tests {
		if got := Human(tt.d); got != tt.human {
			t.Errorf("Human(%v) = %q, want %q", tt.d, got, tt.human)
		}
		if got := Seconds(tt.d); got != tt.secs {
			t.Errorf("Seconds(%v) = %q, want %q", tt.d, got, tt.secs)
		}
	}
}
