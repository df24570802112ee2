package pdfake

import (
	"bytes"
	"net/http"
)

// Contract checks traffic against PagerDuty's published specification;
// internal/pdcontract's Validator is one. Both methods return nil or an
// error describing every problem found.
type Contract interface {
	CheckRequest(r *http.Request, body []byte) error
	CheckResponse(r *http.Request, reqBody []byte, status int, header http.Header, body []byte) error
}

// TB is the part of testing.TB CheckContract needs.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Cleanup(func())
}

// CheckContract makes the fake check every REST request it receives and
// every answer it gives against c from now on, and fails t at its end
// with each violation: a test that drives toban through the fake then
// also proves toban and the fake keep to PagerDuty's specification.
// Answers forced by FailNext and friends are not checked (they are
// deliberately not PagerDuty's), nor is the Events API (another spec).
func (s *Server) CheckContract(t TB, c Contract) {
	t.Helper()
	s.cmu.Lock()
	s.contract = c
	s.cmu.Unlock()
	t.Cleanup(func() {
		t.Helper()
		for _, v := range s.ContractViolations() {
			t.Errorf("%s", v)
		}
	})
}

// ContractViolations returns what CheckContract found so far, one line
// per request or answer.
func (s *Server) ContractViolations() []string {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return append([]string(nil), s.violations...)
}

func (s *Server) contractOf() Contract {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.contract
}

func (s *Server) violation(err error) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.violations = append(s.violations, err.Error())
}

// checkRequest checks r when a contract is set.
func (s *Server) checkRequest(r *http.Request, body []byte) {
	c := s.contractOf()
	if c == nil {
		return
	}
	if err := c.CheckRequest(r, body); err != nil {
		s.violation(err)
	}
}

func (s *Server) checkResponse(r *http.Request, reqBody []byte, w *statusWriter) {
	c := s.contractOf()
	if c == nil || w.status == 0 || w.body == nil {
		return
	}
	if err := c.CheckResponse(r, reqBody, w.status, w.Header().Clone(), w.body.Bytes()); err != nil {
		s.violation(err)
	}
}

// capture makes w keep a copy of the body when a contract is set.
func (s *Server) capture(w *statusWriter) {
	if s.contractOf() != nil {
		w.body = &bytes.Buffer{}
	}
}
