package csvrows

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		max       int
		stopAfter int // 0: never stop
		wantLines []int
		wantBad   int
	}{
		{"OK", "a,b\nc,d\n", 10, 0, []int{1, 2}, 0},
		{"BadRecordSkipped", "a,b\n\"c,d\nx\"y,z\ne,f\n", 10, 0, nil, 1},
		{"StopsAtMaxErrors", "a\"b\nc\"d\ne\"f\ng,h\n", 2, 0, nil, 2},
		{"RowStops", "a\nb\nc\n", 10, 2, []int{1, 2}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := csv.NewReader(strings.NewReader(tt.in))
			r.FieldsPerRecord = -1
			var lines []int
			bad := 0
			Read(r, tt.max, func(line int, _ []string) bool {
				lines = append(lines, line)
				return tt.stopAfter == 0 || len(lines) < tt.stopAfter
			}, func(error) { bad++ })
			if tt.wantLines != nil && !slices.Equal(lines, tt.wantLines) {
				t.Errorf("lines = %v, want %v", lines, tt.wantLines)
			}
			if bad != tt.wantBad {
				t.Errorf("bad = %d, want %d", bad, tt.wantBad)
			}
		})
	}
}
