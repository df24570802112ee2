package slackfake

// Redelivery of an envelope under its own envelope_id, as Socket Mode does
// when it saw no ack.

// LoseNextAck makes the next ack of an envelope of that type
// ("slash_commands", "interactive", "events_api") get lost on its way to
// Slack: its payload is not applied, and the envelope is redelivered at
// once with the same envelope_id, retry_attempt one higher and
// retry_reason "timeout", as Socket Mode does when it sees no ack in time.
func (s *Server) LoseNextAck(envelopeType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseAcks[envelopeType]++
}

// Redeliver sends the newest envelope with that envelope_id again under
// the same id, with retry_attempt one higher and retry_reason "timeout",
// as Socket Mode does for an envelope whose ack it did not see (for
// example because the app restarted before acking). An ack already
// recorded for it stays in Acks; the redelivery needs its own. It reports
// false for an unknown id.
func (s *Server) Redeliver(envelopeID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.envs[envelopeID]
	if e == nil {
		return false
	}
	s.redeliverSameLocked(e)
	return true
}

// LostAcks is how many acks LoseNextAck made disappear.
func (s *Server) LostAcks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lostAcks
}

// redeliverSameLocked sends e again under the same envelope_id, as Slack
// does for an envelope it did not see acked.
func (s *Server) redeliverSameLocked(e *envelope) {
	e.superseded = true
	if e.timer != nil {
		e.timer.Stop()
	}
	if e.conn != nil {
		delete(e.conn.inflight, e.id)
	}
	r := &envelope{
		seq: s.nextLocked(), id: e.id, typ: e.typ, eventID: e.eventID, itype: e.itype,
		payload: e.payload, accepts: e.accepts, retry: e.retry + 1, reason: "timeout",
		user: e.user, channel: e.channel, viewID: e.viewID,
	}
	if e.conn != nil {
		r.avoid = e.conn.id
	}
	r.frame = frameOf(r)
	s.envs[r.id] = r
	s.envOrder = append(s.envOrder, r)
	s.enqueueLocked(outItem{env: r})
	s.notifyLocked()
}
