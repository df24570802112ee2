package slackfake

import (
	"cmp"
	"slices"
	"strings"
	"testing"
)

// A test should account for everything the bot said: GoAlert's smoke
// harness fails a test that leaves an unexpected message behind, because a
// stray reply is a bug a person would see. The fake counts a message as
// seen once a helper has shown it to the test: ExpectMessage,
// ExpectReply, ExpectEphemeral, the Ack of a slash command that carried
// it, or reading a channel's or a person's messages whole with Messages
// or Ephemerals.

// markSeenLocked marks the stored message behind m as seen.
func (s *Server) markSeenLocked(m Message) {
	if m.Ephemeral {
		if r := s.ephByTS[m.TS]; r != nil {
			r.seen = true
		}
		return
	}
	if c := s.channels[m.Channel]; c != nil {
		if r := c.byTS[m.TS]; r != nil {
			r.seen = true
		}
	}
}

// Unseen returns the bot's messages (top level, in threads, ephemeral)
// that are still there and that no helper has shown the test, by channel
// and then in post order.
func (s *Server) Unseen() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, c := range s.channels {
		for _, m := range c.msgs {
			if !m.seen && !m.deleted {
				out = append(out, m.copy())
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Message) int {
		return cmp.Or(strings.Compare(a.Channel, b.Channel), compareTS(a.TS, b.TS))
	})
	for _, m := range s.ephemerals {
		if !m.seen && !m.deleted {
			out = append(out, m.copy())
		}
	}
	return out
}

// compareTS orders Slack timestamps ("1700000000.000100").
func compareTS(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

// Dismiss marks as seen every message now in channel whose text contains
// contains, and returns how many there were: for messages a test knows
// of but does not need to read one by one.
func (s *Server) Dismiss(channel, contains string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if c := s.channels[channel]; c != nil {
		for _, m := range c.msgs {
			if !m.deleted && strings.Contains(flattenText(m.Message), contains) {
				m.seen = true
				n++
			}
		}
	}
	return n
}

// ExpectNothingElse fails t for every message the test has not been
// shown (see Unseen).
func (s *Server) ExpectNothingElse(t testing.TB) {
	t.Helper()
	for _, m := range s.Unseen() {
		where := "in " + m.Channel
		switch {
		case m.Ephemeral:
			where = "shown only to " + m.ToUser + " in " + m.Channel
		case m.ThreadTS != "" && m.ThreadTS != m.TS:
			where += " in thread " + m.ThreadTS
		}
		t.Errorf("slackfake: unexpected message %s: %s", where, strings.ReplaceAll(flattenText(m), "\n", " | "))
	}
}

// DismissEphemerals marks as seen every ephemeral message now shown to
// anyone whose text contains contains, and returns how many there are:
// for answers spread over several people in an order a test cannot know.
func (s *Server) DismissEphemerals(contains string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.ephemerals {
		if !m.deleted && strings.Contains(flattenText(m.Message), contains) {
			m.seen = true
			n++
		}
	}
	return n
}

// Describe is m as a person reads it: its text and its blocks' text, and
// who sees it when it is ephemeral, for failure messages.
func Describe(m Message) string {
	if m.Ephemeral {
		return "(only " + m.ToUser + ") " + flattenText(m)
	}
	return flattenText(m)
}
