package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tobanbot/toban/domain"
)

type answers []string

func (a *answers) Respond(_ context.Context, _ string, msg Message) error {
	*a = append(*a, msg.Text)
	return nil
}

func TestRemoveButton(t *testing.T) {
	boom := errors.New("database down")
	tests := []struct {
		name      string
		value     string
		readErr   error
		deleteErr error
		wantErr   error
		want      string
		deleted   bool
	}{
		{"Removed", "7", nil, nil, nil, "removed row 7", true},
		{"AlreadyGone", "7", domain.ErrNotFound, nil, nil, "already removed", false},
		{"GoneWhileDeleting", "7", nil, domain.ErrNotFound, nil, "removed row 7", true},
		{"BrokenButton", "seven", nil, nil, nil, "That button is broken; run `/toban things` again.", false},
		{"ReadFails", "7", boom, nil, boom, "", false},
		{"DeleteFails", "7", nil, boom, boom, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got answers
			deleted := false
			res := RemoveButton(&got, Place{ResponseURL: "https://hooks.example/r"}, tt.value, Row[int64]{
				Read: func(_ context.Context, id int64) (int64, error) { return id, tt.readErr },
				Delete: func(context.Context, int64) error {
					deleted = true
					return tt.deleteErr
				},
				Removed: func(id int64) string { return fmt.Sprintf("removed row %d", id) },
				Gone:    "already removed",
				Again:   "/toban things",
			})
			err := res.Then(context.Background())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if deleted != tt.deleted {
				t.Errorf("deleted = %v, want %v", deleted, tt.deleted)
			}
			if tt.want == "" {
				if len(got) != 0 {
					t.Errorf("answered %q, want nothing (the error is logged once at the boundary)", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Errorf("answered %q, want %q", got, tt.want)
			}
		})
	}
}
