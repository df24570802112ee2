package chat

import "time"

// SharedFile is a file someone shared in Slack.
type SharedFile struct {
	ID, Name string
	Created  time.Time
	Content  []byte
}
