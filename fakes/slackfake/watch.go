package slackfake

// Changed returns a channel that is closed at the next change of the
// fake's state (a message, a view, an ack…), so that a live view of the
// workspace, like the demo's page, can wait for news instead of polling.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}
