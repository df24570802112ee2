// Package pdfake is a stateful in-process fake of the PagerDuty REST API v2
// and Events API v2, faithful enough that the unmodified go-pagerduty client
// works against it:
//
//	fake := pdfake.New(pdfake.Options{})
//	defer fake.Close()
//	client := pagerduty.NewClient(fake.Token(),
//		pagerduty.WithAPIEndpoint(fake.URL()),
//		pagerduty.WithV2EventsAPIEndpoint(fake.URL()))
//
// Tests seed state with the Add* methods, act through the client, then
// inspect state (Incident, Notes, ...) and traffic (Requests, Writes). Faults
// (SetDelay, FailNext, SetRateLimit) simulate a slow or failing PagerDuty.
// The server holds no *testing.T and is safe for concurrent use, so a load
// harness can drive it too.
//
// It owns the fake's state and HTTP handlers and imports no toban package;
// tests, the demo and tobanbench import it.
package pdfake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Token is the REST API token the server accepts; default "pd-test-token".
	Token string
	// Now is the clock for all PagerDuty-visible times (incident creation,
	// on-call lookups, maintenance windows); default time.Now. Delays and the
	// rate limiter always use the real clock.
	Now func() time.Time
	// HTMLBase is the prefix of html_url fields; default
	// "https://pdfake.pagerduty.com".
	HTMLBase string
	// MaxRequests caps how many requests Requests keeps (oldest dropped
	// first); 0 keeps all. Set it for long load runs.
	MaxRequests int
}

// Server is a fake PagerDuty serving on 127.0.0.1 over HTTP.
type Server struct {
	opts      Options
	srv       *httptest.Server
	mux       *http.ServeMux
	closing   chan struct{}
	closeOnce sync.Once

	mu        sync.Mutex // guards the PagerDuty state below
	seq       int
	incNumber int
	users     map[string]*User
	services  map[string]*Service
	eps       map[string]*EscalationPolicy
	schedules map[string]*scheduleState
	incidents map[string]*incidentState
	incOrder  []string
	notes     map[string][]Note
	logs      []LogEntry
	logIdx    map[string][]int // incident ID -> indexes into logs
	mws       map[string]*MaintenanceWindow
	mwOrder   []string
	events    []Event
	// automation holds Automation Actions and their invocations.
	automation automationState
	// priorities are the account's, most severe first; prioritiesOff
	// is an account with priorities turned off.
	priorities    []Priority
	prioritiesOff bool
	// statusUpdates and responderRequests are by incident ID.
	statusUpdates     map[string][]StatusUpdate
	responderRequests map[string][]ResponderRequest
	// refuseOverrides: user ID → why override items for them are refused.
	refuseOverrides map[string]string

	fmu       sync.Mutex // guards faults
	delay     time.Duration
	faults    []faultRule
	perMinute int
	buckets   map[string]*bucket

	rmu  sync.Mutex // guards reqs
	reqs []*Request

	cmu        sync.Mutex // guards contract and violations
	contract   Contract
	violations []string
}

type scheduleState struct {
	Schedule
	overrides []Override
}

type incidentState struct {
	Incident
	alerts      int    // alerts grouped into the incident (Events API)
	firstLogID  string // the trigger log entry
	assignedVia string // "escalation_policy" or "direct_assignment"
}

// New starts a fake on 127.0.0.1 with a random port.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "pd-test-token"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTMLBase == "" {
		opts.HTMLBase = "https://pdfake.pagerduty.com"
	}
	s := &Server{
		opts:      opts,
		closing:   make(chan struct{}),
		users:     map[string]*User{},
		services:  map[string]*Service{},
		eps:       map[string]*EscalationPolicy{},
		schedules: map[string]*scheduleState{},
		incidents: map[string]*incidentState{},
		notes:     map[string][]Note{},
		logIdx:    map[string][]int{},
		mws:       map[string]*MaintenanceWindow{},
		buckets:   map[string]*bucket{},

		statusUpdates:     map[string][]StatusUpdate{},
		responderRequests: map[string][]ResponderRequest{},
	}
	s.mux = s.routes()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close aborts pending delays and shuts the server down.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.srv.Close()
}

// URL is the base URL for both WithAPIEndpoint and WithV2EventsAPIEndpoint,
// without a trailing slash.
func (s *Server) URL() string { return s.srv.URL }

// Token is the API token the server accepts.
func (s *Server) Token() string { return s.opts.Token }

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// newID returns a fresh ID with the given prefix. Callers hold s.mu.
func (s *Server) newID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%06X", prefix, s.seq)
}

const timeLayout = "2006-01-02T15:04:05Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// fmtTimePtr formats t, or returns nil (JSON null) for the zero time.
func fmtTimePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := fmtTime(t)
	return &v
}

// parseTime accepts the forms PagerDuty accepts in since/until style
// parameters: RFC 3339 with or without seconds' fraction, or a bare date.
func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time %q", v)
}
