package pdfake

// ClearFaults drops every FailNext and FailNextMatching rule not yet used
// up, as when PagerDuty recovers from an outage of unknown length: a test
// can keep PagerDuty failing until it has seen what it needs, then end the
// outage. SetDelay and SetRateLimit are left as they are.
func (s *Server) ClearFaults() {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.faults = nil
}
