package storage

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

func TestFirstClick(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		db, path, clock := openClock(t)
		tests := []struct {
			key  string
			want bool
		}{
			{"view:V1", true},
			{"view:V1", false},
			{"view:V2", true},
			{"action:C1:1.1:ack:1", true},
			{"action:C1:1.1:ack:1", false},
		}
		for _, tt := range tests {
			got, err := db.FirstClick(ctx, tt.key)
			if err != nil || got != tt.want {
				t.Errorf("FirstClick(%s) = %v, %v; want %v", tt.key, got, err, tt.want)
			}
		}
		db.Close()
		db2, err := Open(ctx, path, WithClock(clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		if again, err := db2.FirstClick(ctx, "view:V1"); err != nil || again {
			t.Errorf("FirstClick after restart = %v, %v; want false", again, err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		db, _ := openTemp(t)
		const n = 16
		var wg sync.WaitGroup
		wins := make(chan bool, n)
		for range n {
			wg.Go(func() {
				first, err := db.FirstClick(ctx, "view:race")
				if err != nil {
					t.Errorf("FirstClick: %v", err)
				}
				wins <- first
			})
		}
		wg.Wait()
		close(wins)
		got := 0
		for w := range wins {
			if w {
				got++
			}
		}
		if got != 1 {
			t.Errorf("first clicks = %d, want 1", got)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		db, _ := openTemp(t)
		if _, err := db.FirstClick(ctx, ""); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("FirstClick(\"\") = %v, want ErrInvalid", err)
		}
	})
}

func TestForgetClicksBefore(t *testing.T) {
	ctx := context.Background()
	db, _, clock := openClock(t)
	db.FirstClick(ctx, "old")
	clock.Advance(48 * time.Hour)
	db.FirstClick(ctx, "new")

	n, err := db.ForgetClicksBefore(ctx, clock.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("forgotten = %d, want 1", n)
	}
	tests := []struct {
		key  string
		want bool
	}{
		{"old", true}, // forgotten, so new again
		{"new", false},
	}
	for _, tt := range tests {
		if got, err := db.FirstClick(ctx, tt.key); err != nil || got != tt.want {
			t.Errorf("FirstClick(%s) after pruning = %v, %v; want %v", tt.key, got, err, tt.want)
		}
	}
}
