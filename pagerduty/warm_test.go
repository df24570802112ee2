package pagerduty

import "testing"

// TestWarmCodecs: the sample still decodes into go-pagerduty's types.
func TestWarmCodecs(t *testing.T) {
	if err := WarmCodecs(); err != nil {
		t.Fatal(err)
	}
}
