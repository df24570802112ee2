package icsfeed

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	data, err := os.ReadFile("testdata/google.ics")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if cal.Name != "Ops calendar" || cal.Zone == nil || cal.Zone.String() != "Europe/Berlin" || cal.Events() != 7 {
		t.Errorf("calendar = %q, zone %v, %d events; want Ops calendar, Europe/Berlin, 7", cal.Name, cal.Zone, cal.Events())
	}
	t.Run("ByteOrderMarkAndLFLineEnds", func(t *testing.T) {
		lf := "\xef\xbb\xbf" + strings.ReplaceAll(string(ical("", "UID:a\nDTSTART:20260303T090000Z")), "\r\n", "\n")
		cal, err := Parse([]byte(lf))
		if err != nil || cal.Events() != 1 {
			t.Errorf("Parse = %v, %v; want one event", cal, err)
		}
	})
}

func TestParseErrNotCalendar(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"Empty", "", "did not answer with a calendar"},
		{"LoginPage", "<!DOCTYPE html><html><head><title>Sign in</title></head></html>", "web page, not a calendar"},
		{"JSON", `{"error":"not found"}`, "did not answer with a calendar"},
		{"Truncated", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\n", "cannot read"},
		{"WrongEnd", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VTODO\r\nEND:VCALENDAR\r\n", "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data))
			var e *Error
			if !errors.As(err, &e) || e.Kind != NotCalendar || !strings.Contains(e.Msg, tt.want) {
				t.Errorf("err = %v, want NotCalendar saying %q", err, tt.want)
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Plain text\nsecond line", "Plain text\nsecond line"},
		{"a < b and c > d", "a < b and c > d"},
		{"Line one<br>Line two<br/>Line three", "Line one\nLine two\nLine three"},
		{`See <a href="https://wiki.example.com/x">the runbook</a>.`, "See the runbook (https://wiki.example.com/x)."},
		{`<a href="https://x.example.com">https://x.example.com</a>`, "https://x.example.com"},
		{"<p>First</p><p>Second</p>", "First\nSecond"},
		{"<b>Bold</b> &amp; <i>italic</i> &lt;3", "Bold & italic <3"},
		{"\n\n\n  padded  \n\n\n\n\nend\n", "padded  \n\nend"},
		{"bad \xff byte", "bad \uFFFD byte"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParse feeds odd calendars to Parse and Expand: neither may panic or
// hang, and what Expand returns must be sorted, in the window, keyed once
// each, with keys a task's external ID can hold.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.ics")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed calendars: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(ical("", "UID:a\nDTSTART;TZID=Europe/Berlin:20260302T090000\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;BYSETPOS=1"))
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	berlin, _ := time.LoadLocation("Europe/Berlin")
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, berlin)
	o := Options{From: from, To: from.AddDate(0, 0, 35), Zone: berlin, MaxInstances: 50}
	f.Fuzz(func(t *testing.T, data []byte) {
		cal, err := Parse(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind != NotCalendar {
				t.Fatalf("Parse error %v is not a NotCalendar *Error", err)
			}
			return
		}
		res := cal.Expand(o)
		seen := map[string]bool{}
		for i, in := range res.Instances {
			if !in.Start.After(o.From) || in.Start.After(o.To) {
				t.Errorf("instance %q at %v is outside the window", in.Key, in.Start)
			}
			if i > 0 && in.Start.Before(res.Instances[i-1].Start) {
				t.Errorf("instances out of order at %d", i)
			}
			if seen[in.Key] || in.Key == "" || len(in.Key) > 1024 {
				t.Errorf("bad or repeated key %q", in.Key)
			}
			seen[in.Key] = true
		}
		if len(res.Instances) > o.MaxInstances {
			t.Errorf("%d instances, more than %d", len(res.Instances), o.MaxInstances)
		}
	})
}
