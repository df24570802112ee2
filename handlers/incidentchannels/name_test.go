package incidentchannels

import (
	"strings"
	"testing"
)

func TestChannelName(t *testing.T) {
	long := strings.Repeat("disk full ", 20)
	for _, tc := range []struct {
		name   string
		number int
		title  string
		want   string
	}{
		{"Plain", 42, "DB down", "inc-42-db-down"},
		{"Punctuation", 7, "  API: 5xx spike (EU-west)!! ", "inc-7-api-5xx-spike-eu-west"},
		{"UnderscoresAreWords", 3, "queue_backlog growing", "inc-3-queue-backlog-growing"},
		{"NonASCIIDropped", 9, "Café — paiement échoué", "inc-9-caf-paiement-chou"},
		{"NothingUsable", 5, "!!! ???", "inc-5"},
		{"Empty", 5, "", "inc-5"},
		{"CutAt80NoTrailingHyphen", 12345, long, "inc-12345-" + strings.TrimRight(strings.Repeat("disk-full-", 7), "-")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ChannelName(tc.number, tc.title)
			if got != tc.want {
				t.Errorf("ChannelName(%d, %q) = %q, want %q", tc.number, tc.title, got, tc.want)
			}
			if len(got) > maxChannelName || strings.HasSuffix(got, "-") || strings.ToLower(got) != got {
				t.Errorf("%q breaks Slack's rules", got)
			}
		})
	}
}

func TestSuffixed(t *testing.T) {
	if got := suffixed("inc-42-db-down", 2); got != "inc-42-db-down-2" {
		t.Errorf("suffixed = %q", got)
	}
	full := ChannelName(1, strings.Repeat("abcdefghi ", 10))
	got := suffixed(full, 10)
	if len(got) > maxChannelName || !strings.HasSuffix(got, "-10") || strings.Contains(got, "--") {
		t.Errorf("suffixed(%q) = %q", full, got)
	}
}
