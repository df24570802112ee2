package domain

import (
	"time"
)

// HomeViewer is someone who opened toban's App Home tab. The Home feature
// (handlers/home) re-publishes the Homes of recent viewers when what they
// show changes, and publishes only a view that differs from the last one
// (Hash), whichever replica published it.
type HomeViewer struct {
	// UserID is the Slack user.
	UserID string
	// Zone is the IANA time zone of the person's Slack profile ("" when
	// unknown): "today" for their tasks is their day, not toban's.
	Zone string
	// OpenedAt is when they last opened the Home tab.
	OpenedAt time.Time
	// Hash identifies the view last published to them ("" for none);
	// PublishedAt is when.
	Hash        string
	PublishedAt time.Time
}

// Validate says what is wrong with a viewer about to be saved.
func (v HomeViewer) Validate() error {
	switch {
	case v.UserID == "":
		return Invalid("a Home viewer needs a Slack user")
	case len(v.Zone) > 64:
		return Invalid("a time zone name is at most 64 characters")
	case len(v.Hash) > 128:
		return Invalid("a view hash is at most 128 characters")
	}
	if v.Zone != "" {
		if _, err := time.LoadLocation(v.Zone); err != nil {
			return Invalid("unknown time zone %q", v.Zone)
		}
	}
	return nil
}
