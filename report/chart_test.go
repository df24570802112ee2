package report

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"testing"
	"time"
)

func TestChart(t *testing.T) {
	tests := []struct {
		name   string
		period Period
		in     []Incident
	}{
		{"Week", weekOf2026_03_02, fixture(weekOf2026_03_02.Since)},
		{"Quarter", Period{Name: Custom, Since: weekOf2026_03_02.Since.AddDate(0, -2, 0), Until: weekOf2026_03_02.Until}, fixture(weekOf2026_03_02.Since)},
		{"Empty", weekOf2026_03_02, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Compute(Input{Period: tt.period, Incidents: tt.in})
			data, err := Chart(r)
			if err != nil {
				t.Fatal(err)
			}
			if os.Getenv("TOBAN_KEEP_CHART") != "" {
				_ = os.WriteFile(tt.name+".png", data, 0o644)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != ChartWidth || b.Dy() != ChartHeight {
				t.Errorf("size = %dx%d, want %dx%d", b.Dx(), b.Dy(), ChartWidth, ChartHeight)
			}
			colours := distinctColours(img)
			want := 50 // text anti-aliasing alone gives dozens
			if colours < want {
				t.Errorf("%d distinct colours, want at least %d: the chart looks empty", colours, want)
			}
			if len(tt.in) > 0 {
				for _, c := range palette[:2] { // both services' bars are drawn
					if !hasColour(img, c.R, c.G, c.B) {
						t.Errorf("no pixel of colour %v", c)
					}
				}
			}
		})
	}
}

func distinctColours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bb, a}] = true
		}
	}
	return len(seen)
}

func hasColour(img image.Image, r, g, b uint8) bool {
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if uint8(cr>>8) == r && uint8(cg>>8) == g && uint8(cb>>8) == b {
				return true
			}
		}
	}
	return false
}

// BenchmarkCompute10k is a month of a busy account: 10,000 incidents over
// 200 services.
func BenchmarkCompute10k(b *testing.B) {
	p := Period{Name: LastMonth, Since: time.Date(2026, 2, 1, 0, 0, 0, 0, tokyo), Until: time.Date(2026, 3, 1, 0, 0, 0, 0, tokyo)}
	in := make([]Incident, 10000)
	for i := range in {
		c := p.Since.Add(time.Duration(i) * 4 * time.Minute)
		in[i] = Incident{ID: "P" + string(rune('A'+i%26)), ServiceID: "S" + string(rune('A'+i%200/26)) + string(rune('a'+i%26)),
			ServiceName: "service", Created: c, Escalations: i % 3}
		if i%7 != 0 {
			in[i].Acknowledged = c.Add(time.Duration(i*37%3600) * time.Second)
		}
		if i%11 != 0 {
			in[i].Resolved = c.Add(time.Duration(i*97%86400) * time.Second)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		r := Compute(Input{Period: p, Incidents: in})
		if r.Total.Incidents != 10000 {
			b.Fatal(r.Total.Incidents)
		}
	}
}
