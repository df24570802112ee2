package incidentchannels

import (
	"fmt"
	"strings"
)

// maxChannelName is Slack's limit on a channel name's length.
const maxChannelName = 80

// ChannelName is the name of incident number's channel:
// inc-<number>-<slug of title>, within Slack's rules (lowercase letters,
// digits, hyphens and underscores, at most 80 characters). Anything else
// in the title separates words; a title with nothing usable gives
// inc-<number>.
func ChannelName(number int, title string) string {
	base := fmt.Sprintf("inc-%d", number)
	slug := Slug(title)
	if slug == "" {
		return base
	}
	return cutName(base + "-" + slug)
}

// Slug is title as a channel name's words: lowercased ASCII letters and
// digits, every other run of characters one hyphen, none at either end.
func Slug(title string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(title) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if sep && b.Len() > 0 {
				b.WriteByte('-')
			}
			sep = false
			b.WriteRune(r)
			continue
		}
		sep = true
	}
	return cutName(b.String())
}

// cutName cuts name to maxChannelName without leaving a hyphen at its end.
func cutName(name string) string {
	if len(name) > maxChannelName {
		name = name[:maxChannelName]
	}
	return strings.TrimRight(name, "-")
}

// suffixed is the n-th name to try when name is taken (n ≥ 2): name-n,
// with name cut so that the whole fits Slack's limit.
func suffixed(name string, n int) string {
	suffix := fmt.Sprintf("-%d", n)
	if len(name)+len(suffix) > maxChannelName {
		name = strings.TrimRight(name[:maxChannelName-len(suffix)], "-")
	}
	return name + suffix
}
