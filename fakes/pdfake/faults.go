package pdfake

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	From   string // the From header
	Body   []byte
	At     time.Time // real wall-clock time of receipt
	// Status is the answered status, or 0 if the request got no answer (the
	// client cancelled during SetDelay, or the server closed).
	Status int
}

type faultRule struct {
	method, prefix string
	left, status   int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// SetDelay delays every answer by d (0 disables). A request whose context
// ends during the delay gets no answer and changes nothing, so client
// timeouts behave as against a slow PagerDuty.
func (s *Server) SetDelay(d time.Duration) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.delay = d
}

// FailNext makes the next n requests (REST or Events) fail with status and a
// JSON error body, before authentication. A 429 carries ratelimit-limit: 960,
// ratelimit-remaining: 0 and ratelimit-reset: 1, as PagerDuty sends.
func (s *Server) FailNext(n, status int) { s.FailNextMatching("", "", n, status) }

// FailNextMatching is FailNext restricted to requests with the given method
// ("" for any) whose path starts with pathPrefix ("" for any). Rules are
// consumed in the order they were added.
func (s *Server) FailNextMatching(method, pathPrefix string, n, status int) {
	if n <= 0 {
		return
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.faults = append(s.faults, faultRule{method: method, prefix: pathPrefix, left: n, status: status})
}

// SetRateLimit enforces a token bucket of perMinute requests per API token on
// the REST API (burst perMinute, refilled continuously); 0 disables it, the
// default. While enabled, answers carry ratelimit-limit, ratelimit-remaining
// and ratelimit-reset (seconds); a request over the limit gets 429 with
// ratelimit-reset set to the seconds until a request would be allowed.
func (s *Server) SetRateLimit(perMinute int) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.perMinute = perMinute
	clear(s.buckets)
}

// takeFault consumes the first matching FailNext rule.
func (s *Server) takeFault(r *http.Request) (int, bool) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if (f.method != "" && f.method != r.Method) || !strings.HasPrefix(r.URL.Path, f.prefix) {
			continue
		}
		f.left--
		status := f.status
		if f.left == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return status, true
	}
	return 0, false
}

// allow takes a token for the request and sets the ratelimit-* headers.
func (s *Server) allow(w http.ResponseWriter, token string) bool {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if s.perMinute <= 0 {
		return true
	}
	capacity := float64(s.perMinute)
	rate := capacity / 60 // tokens per second
	now := time.Now()
	b := s.buckets[token]
	if b == nil {
		b = &bucket{tokens: capacity, last: now}
		s.buckets[token] = b
	}
	b.tokens = math.Min(capacity, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	h := w.Header()
	h.Set("ratelimit-limit", strconv.Itoa(s.perMinute))
	if b.tokens < 1 {
		h.Set("ratelimit-remaining", "0")
		h.Set("ratelimit-reset", strconv.Itoa(max(1, int(math.Ceil((1-b.tokens)/rate)))))
		return false
	}
	b.tokens--
	h.Set("ratelimit-remaining", strconv.Itoa(int(b.tokens)))
	h.Set("ratelimit-reset", strconv.Itoa(int(math.Ceil((capacity-b.tokens)/rate))))
	return true
}

// wait applies SetDelay; false means the request must not be answered.
func (s *Server) wait(r *http.Request) bool {
	s.fmu.Lock()
	d := s.delay
	s.fmu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closing:
		return false
	}
}

func (s *Server) record(r *http.Request, body []byte) *Request {
	rec := &Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		From:   r.Header.Get("From"),
		Body:   body,
		At:     time.Now(),
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.reqs = append(s.reqs, rec)
	if keep := s.opts.MaxRequests; keep > 0 && len(s.reqs) >= 2*keep {
		s.reqs = append([]*Request(nil), s.reqs[len(s.reqs)-keep:]...)
	}
	return rec
}

func (s *Server) setStatus(rec *Request, status int) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	rec.Status = status
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request { return s.filterRequests(func(*Request) bool { return true }) }

// RequestsTo returns the requests with the given method ("" for any) whose
// path starts with pathPrefix.
func (s *Server) RequestsTo(method, pathPrefix string) []Request {
	return s.filterRequests(func(r *Request) bool {
		return (method == "" || r.Method == method) && strings.HasPrefix(r.Path, pathPrefix)
	})
}

// Writes returns the non-GET requests received so far.
func (s *Server) Writes() []Request {
	return s.filterRequests(func(r *Request) bool { return r.Method != http.MethodGet })
}

// ClearRequests forgets the recorded requests.
func (s *Server) ClearRequests() {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.reqs = nil
}

func (s *Server) filterRequests(keep func(*Request) bool) []Request {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	reqs := s.reqs
	if keep := s.opts.MaxRequests; keep > 0 && len(reqs) > keep {
		reqs = reqs[len(reqs)-keep:]
	}
	var out []Request
	for _, r := range reqs {
		if keep(r) {
			out = append(out, *r)
		}
	}
	return out
}
