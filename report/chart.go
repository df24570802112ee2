package report

import (
	"bytes"
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The chart's size in pixels.
const (
	ChartWidth  = 1200
	ChartHeight = 1000
	chartDPI    = 96
)

// chartServices is how many services get their own colour in the stacked
// bars; the others are summed as "other services".
const chartServices = 8

// palette has colours that stay apart for people with the common colour
// vision deficiencies (Okabe–Ito), then two more; grey is "other".
var palette = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xff}, {0xE6, 0x9F, 0x00, 0xff}, {0x00, 0x9E, 0x73, 0xff}, {0xD5, 0x5E, 0x00, 0xff},
	{0x56, 0xB4, 0xE9, 0xff}, {0xCC, 0x79, 0xA7, 0xff}, {0xF0, 0xE4, 0x42, 0xff}, {0x7B, 0x3F, 0x9E, 0xff},
}

var grey = color.RGBA{0x99, 0x99, 0x99, 0xff}

// ttaBuckets are the time-to-acknowledge distribution's bars: the times
// people care about are minutes, the tail is hours, so the bars are not of
// equal width.
var ttaBuckets = []struct {
	label string
	below time.Duration
}{
	{"< 1m", time.Minute}, {"1–5m", 5 * time.Minute}, {"5–15m", 15 * time.Minute}, {"15–30m", 30 * time.Minute},
	{"30m–1h", time.Hour}, {"1–4h", 4 * time.Hour}, {"≥ 4h", 1<<63 - 1},
}

// Chart draws the report as a PNG of ChartWidth × ChartHeight pixels with
// two panels: incidents per day (per week for periods over 62 days) stacked
// by service, and how the time to acknowledge is distributed, with the
// incidents never acknowledged as a grey bar.
func Chart(r Report) ([]byte, error) {
	top, err := perDayPlot(r)
	if err != nil {
		return nil, err
	}
	bottom, err := ttaPlot(r)
	if err != nil {
		return nil, err
	}
	w := vg.Length(ChartWidth) * vg.Inch / chartDPI
	h := vg.Length(ChartHeight) * vg.Inch / chartDPI
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(chartDPI), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 8,
		PadTop: vg.Millimeter * 4, PadBottom: vg.Millimeter * 4, PadLeft: vg.Millimeter * 4, PadRight: vg.Millimeter * 6}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return buf.Bytes(), nil
}

// buckets returns the start of each bar of the per-day panel and labels.
func buckets(p Period) ([]time.Time, []string) {
	days := p.Days()
	if len(days) > 62 {
		var weeks []time.Time
		var labels []string
		for i := 0; i < len(days); i += 7 {
			weeks = append(weeks, days[i])
			labels = append(labels, days[i].Format("Jan 2"))
		}
		return weeks, labels
	}
	labels := make([]string, len(days))
	for i, d := range days {
		switch {
		case len(days) <= 14:
			labels[i] = d.Format("Mon 2")
		default:
			labels[i] = d.Format("2")
		}
	}
	return days, labels
}

func perDayPlot(r Report) (*plot.Plot, error) {
	starts, labels := buckets(r.Period)
	p := plot.New()
	unit := "day"
	if len(r.Period.Days()) > 62 {
		unit = "week"
	}
	p.Title.Text = fmt.Sprintf("Incidents per %s, %s", unit, r.Period.Label())
	p.Y.Label.Text = "incidents"
	p.Legend.Top = true
	index := func(t time.Time) int {
		i := -1
		for j, s := range starts {
			if !t.Before(s) {
				i = j
			}
		}
		return i
	}
	// One series per busy service, in report order (most incidents first),
	// and one for the rest.
	series := map[string]int{}
	names := []string{}
	for _, s := range r.Services {
		if len(names) == chartServices {
			break
		}
		if s.Incidents > 0 {
			series[s.ServiceID] = len(names)
			names = append(names, s.ServiceName)
		}
	}
	counts := make([]plotter.Values, len(names)+1)
	for i := range counts {
		counts[i] = make(plotter.Values, len(starts))
	}
	for _, in := range r.Incidents {
		b := index(in.Created.In(r.Period.Location()))
		if b < 0 {
			continue
		}
		k, ok := series[in.ServiceID]
		if !ok {
			k = len(names)
		}
		counts[k][b]++
	}
	width := barWidth(len(starts))
	var below *plotter.BarChart
	highest := 1.0
	sums := make([]float64, len(starts))
	for k, vals := range counts {
		if k == len(names) && vals.Len() > 0 && sum(vals) == 0 {
			continue // no "other" bar to draw
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		bars.LineStyle.Width = 0
		if k < len(names) {
			bars.Color = palette[k%len(palette)]
			p.Legend.Add(names[k], bars)
		} else {
			bars.Color = grey
			p.Legend.Add("other services", bars)
		}
		if below != nil {
			bars.StackOn(below)
		}
		below = bars
		p.Add(bars)
		for i, v := range vals {
			sums[i] += v
			highest = max(highest, sums[i])
		}
	}
	p.Y.Min, p.Y.Max = 0, highest*1.15 // room for the legend
	p.NominalX(labels...)
	return p, nil
}

func ttaPlot(r Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Time to acknowledge (%d acknowledged, %d not)", r.Total.Acknowledged, r.Total.Incidents-r.Total.Acknowledged)
	p.Y.Label.Text = "incidents"
	counts := make(plotter.Values, len(ttaBuckets))
	never := make(plotter.Values, len(ttaBuckets)+1)
	for _, in := range r.Incidents {
		d, ok := in.TTA()
		if !ok {
			never[len(ttaBuckets)]++
			continue
		}
		for i, b := range ttaBuckets {
			if d < b.below {
				counts[i]++
				break
			}
		}
	}
	counts = append(counts, 0)
	width := barWidth(len(counts))
	acked, err := plotter.NewBarChart(counts, width)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	acked.Color, acked.LineStyle.Width = palette[0], 0
	missing, err := plotter.NewBarChart(never, width)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	missing.Color, missing.LineStyle.Width = grey, 0
	p.Add(acked, missing)
	labels := make([]string, 0, len(counts))
	for _, b := range ttaBuckets {
		labels = append(labels, b.label)
	}
	p.NominalX(append(labels, "never")...)
	p.Y.Min, p.Y.Max = 0, max(1, max(maxOf(counts), maxOf(never))*1.1)
	return p, nil
}

func barWidth(n int) vg.Length {
	plotWidth := vg.Length(ChartWidth)*vg.Inch/chartDPI - 30*vg.Millimeter
	return min(plotWidth/vg.Length(max(n, 1))*0.7, 60)
}

func sum(v plotter.Values) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func maxOf(v plotter.Values) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
