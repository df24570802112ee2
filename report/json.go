package report

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// jsonSummary is a Summary in seconds; null figures when N is 0.
type jsonSummary struct {
	N             int      `json:"n"`
	MeanSeconds   *float64 `json:"mean_seconds"`
	MedianSeconds *float64 `json:"median_seconds"`
	P90Seconds    *float64 `json:"p90_seconds"`
}

func toJSONSummary(s Summary) jsonSummary {
	out := jsonSummary{N: s.N}
	if s.N > 0 {
		sec := func(d time.Duration) *float64 { v := d.Round(time.Millisecond).Seconds(); return &v }
		out.MeanSeconds, out.MedianSeconds, out.P90Seconds = sec(s.Mean), sec(s.Median), sec(s.P90)
	}
	return out
}

type jsonStats struct {
	ServiceID              string      `json:"service_id,omitempty"`
	Service                string      `json:"service"`
	Incidents              int         `json:"incidents"`
	Escalations            int         `json:"escalations"`
	Open                   int         `json:"open"`
	ResolvedUnacknowledged int         `json:"resolved_unacknowledged"`
	TTA                    jsonSummary `json:"time_to_acknowledge"`
	TTR                    jsonSummary `json:"time_to_resolve"`
}

func toJSONStats(s Stats) jsonStats {
	return jsonStats{ServiceID: s.ServiceID, Service: s.ServiceName, Incidents: s.Incidents, Escalations: s.Escalations,
		Open: s.Open, ResolvedUnacknowledged: s.ResolvedUnacknowledged, TTA: toJSONSummary(s.TTA), TTR: toJSONSummary(s.TTR)}
}

type jsonIncident struct {
	ID           string   `json:"id"`
	Number       int      `json:"number"`
	ServiceID    string   `json:"service_id"`
	Service      string   `json:"service"`
	Title        string   `json:"title"`
	CreatedAt    string   `json:"created_at"`
	Acknowledged *string  `json:"acknowledged_at"`
	Resolved     *string  `json:"resolved_at"`
	Escalations  int      `json:"escalations"`
	TTASeconds   *float64 `json:"tta_seconds"`
	TTRSeconds   *float64 `json:"ttr_seconds"`
	URL          string   `json:"url,omitempty"`
}

// WriteJSON writes the report as one JSON object: period, method, services,
// total and, with incidents, every incident. Durations are in seconds and
// null when there is no data.
func WriteJSON(w io.Writer, r Report, incidents bool) error {
	loc := r.Period.Location()
	out := struct {
		Period struct {
			Name     string `json:"name"`
			Since    string `json:"since"`
			Until    string `json:"until"`
			TimeZone string `json:"time_zone"`
		} `json:"period"`
		Generated  string         `json:"generated_at"`
		Percentile string         `json:"percentile_method"`
		Services   []jsonStats    `json:"services"`
		Total      jsonStats      `json:"total"`
		Incidents  []jsonIncident `json:"incidents,omitempty"`
	}{Percentile: "nearest-rank", Services: []jsonStats{}, Total: toJSONStats(r.Total)}
	out.Period.Name, out.Period.TimeZone = r.Period.Name, loc.String()
	out.Period.Since, out.Period.Until = r.Period.Since.Format(time.RFC3339), r.Period.Until.Format(time.RFC3339)
	out.Generated = r.Generated.In(loc).Format(time.RFC3339)
	for _, s := range r.Services {
		out.Services = append(out.Services, toJSONStats(s))
	}
	if incidents {
		out.Incidents = []jsonIncident{}
		for _, in := range r.Incidents {
			ji := jsonIncident{ID: in.ID, Number: in.Number, ServiceID: in.ServiceID, Service: in.ServiceName, Title: in.Title,
				CreatedAt: in.Created.In(loc).Format(time.RFC3339), Escalations: in.Escalations, URL: in.URL}
			if !in.Acknowledged.IsZero() {
				s := in.Acknowledged.In(loc).Format(time.RFC3339)
				ji.Acknowledged = &s
			}
			if !in.Resolved.IsZero() {
				s := in.Resolved.In(loc).Format(time.RFC3339)
				ji.Resolved = &s
			}
			if d, ok := in.TTA(); ok {
				v := d.Seconds()
				ji.TTASeconds = &v
			}
			if d, ok := in.TTR(); ok {
				v := d.Seconds()
				ji.TTRSeconds = &v
			}
			out.Incidents = append(out.Incidents, ji)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
