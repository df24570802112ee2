package icsfeed

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const secretPath = "/calendar/ical/ops%40example.com/private-5ecr3t/basic.ics"

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://calendar.google.com/calendar/ical/x/private-y/basic.ics", "https://calendar.google.com/calendar/ical/x/private-y/basic.ics"},
		{"  webcal://p01-calendars.icloud.com/published/2/abc  ", "https://p01-calendars.icloud.com/published/2/abc"},
		{"http://intranet.local/cal.ics#frag", "http://intranet.local/cal.ics"},
	}
	for _, tt := range tests {
		if got, err := NormalizeURL(tt.in); err != nil || got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "calendar.google.com/x.ics", "ftp://example.com/x.ics", "https://", "mailto:ops@example.com", "https://" + strings.Repeat("a", 2001)} {
		var e *Error
		if _, err := NormalizeURL(bad); !errors.As(err, &e) || e.Kind != BadURL {
			t.Errorf("NormalizeURL(%.40q) = %v, want a BadURL error", bad, err)
		}
	}
	if got := Host("https://calendar.google.com/calendar/ical/secret/basic.ics"); got != "calendar.google.com" {
		t.Errorf("Host = %q", got)
	}
}

func TestFetch(t *testing.T) {
	body := string(ical("", "UID:a\nDTSTART:20260303T090000Z"))
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 02 Mar 2026 08:00:00 GMT")
		w.Write([]byte(body))
	}))
	defer srv.Close()
	var f Fetcher
	ctx := context.Background()
	got, err := f.Fetch(ctx, srv.URL+secretPath, Validators{})
	if err != nil || string(got.Body) != body || got.NotModified || got.ETag != `"v1"` || got.LastModified == "" {
		t.Fatalf("first fetch = %+v, %v", got, err)
	}
	again, err := f.Fetch(ctx, srv.URL+secretPath, got.Validators)
	if err != nil || !again.NotModified || again.Body != nil || again.ETag != `"v1"` {
		t.Errorf("conditional fetch = %+v, %v; want 304 keeping the validators", again, err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestFetchErrors(t *testing.T) {
	mux := http.NewServeMux()
	for path, code := range map[string]int{"/401": 401, "/404": 404, "/500": 500, "/418": 418} {
		mux.HandleFunc(path+"/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) })
	}
	mux.HandleFunc("/big/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("BEGIN:VCALENDAR\r\n" + strings.Repeat("X-PAD:0123456789\r\n", 100)))
	})
	mux.HandleFunc("/slow/", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/loop/", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.Path, http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name, url string
		kind      Kind
		status    int
		msg       string
	}{
		{"Unauthorized", srv.URL + "/401" + secretPath, HTTPStatus, 401, "refused access (HTTP 401)"},
		{"NotFound", srv.URL + "/404" + secretPath, HTTPStatus, 404, "no calendar at that address (HTTP 404)"},
		{"ServerError", srv.URL + "/500" + secretPath, HTTPStatus, 500, "failing (HTTP 500)"},
		{"OtherStatus", srv.URL + "/418" + secretPath, HTTPStatus, 418, "HTTP 418"},
		{"TooLarge", srv.URL + "/big" + secretPath, TooLarge, 0, "larger than"},
		{"Timeout", srv.URL + "/slow" + secretPath, Timeout, 0, "did not answer in time"},
		{"RedirectLoop", srv.URL + "/loop" + secretPath, Unreachable, 0, "too many redirects"},
		{"ConnectionRefused", "http://" + deadAddr + secretPath, Unreachable, 0, "cannot reach 127.0.0.1"},
		{"MetadataAddressRefused", "http://169.254.169.254" + secretPath, Unreachable, 0, "link-local"},
		{"NoSuchHost", "https://calendar.invalid" + secretPath, Unreachable, 0, "calendar.invalid"},
	}
	f := Fetcher{MaxBytes: 1000, Timeout: 200 * time.Millisecond}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Fetch(context.Background(), tt.url, Validators{})
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.kind || e.Status != tt.status || !strings.Contains(e.Msg, tt.msg) {
				t.Fatalf("err = %#v, want kind %d status %d saying %q", err, tt.kind, tt.status, tt.msg)
			}
			// The address is a secret: no part of its path may show.
			for _, s := range []string{e.Error(), e.Msg, errString(e.Err)} {
				if strings.Contains(s, "5ecr3t") || strings.Contains(s, "private-") {
					t.Errorf("error reveals the secret address: %q", s)
				}
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
