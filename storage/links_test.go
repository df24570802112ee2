package storage

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

func TestUserLink(t *testing.T) {
	ctx := context.Background()
	t.Run("Expiry", func(t *testing.T) {
		tests := []struct {
			name   string
			manual bool
			age    time.Duration
			maxAge time.Duration
			found  bool
		}{
			{"Fresh", false, time.Hour, 24 * time.Hour, true},
			{"AtMaxAge", false, 24 * time.Hour, 24 * time.Hour, true},
			{"Expired", false, 25 * time.Hour, 24 * time.Hour, false},
			{"ManualNeverExpires", true, 365 * 24 * time.Hour, 24 * time.Hour, true},
			{"AnyAge", false, 365 * 24 * time.Hour, 0, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db, _, clock := openClock(t)
				want := domain.UserLink{SlackUserID: "U1", PDUserID: "PU1", PDName: "Alice", Email: "alice@example.com", Manual: tt.manual}
				if err := db.SaveUserLink(ctx, want); err != nil {
					t.Fatal(err)
				}
				want.CheckedAt = clock.Now()
				clock.Advance(tt.age)
				got, err := db.UserLink(ctx, "U1", tt.maxAge)
				if !tt.found {
					if !errors.Is(err, domain.ErrNotFound) {
						t.Errorf("UserLink = %+v, %v; want ErrNotFound", got, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("UserLink: %v", err)
				}
				if got != want {
					t.Errorf("UserLink = %+v, want %+v", got, want)
				}
			})
		}
	})
	t.Run("Upsert", func(t *testing.T) {
		db, _, clock := openClock(t)
		save := func(l domain.UserLink) {
			t.Helper()
			if err := db.SaveUserLink(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		save(domain.UserLink{SlackUserID: "U1", PDUserID: "PU-old"})
		clock.Advance(time.Minute)
		save(domain.UserLink{SlackUserID: "U1", PDUserID: "PU1", PDName: "Alice"})
		got, err := db.UserLink(ctx, "U1", time.Hour)
		if err != nil || got.PDUserID != "PU1" || !got.CheckedAt.Equal(clock.Now()) {
			t.Fatalf("after re-save: %+v, %v; want PU1 checked %v", got, err, clock.Now())
		}
		// /toban link wins, and a later automatic lookup does not undo it.
		save(domain.UserLink{SlackUserID: "U1", PDUserID: "PU-manual", Manual: true})
		save(domain.UserLink{SlackUserID: "U1", PDUserID: "PU-auto"})
		got, err = db.UserLink(ctx, "U1", time.Hour)
		if err != nil || got.PDUserID != "PU-manual" || !got.Manual {
			t.Errorf("after automatic save over manual: %+v, %v; want the manual PU-manual", got, err)
		}
		// A manual link replaces a manual link.
		save(domain.UserLink{SlackUserID: "U1", PDUserID: "PU-manual2", Manual: true})
		if got, _ := db.UserLink(ctx, "U1", time.Hour); got.PDUserID != "PU-manual2" {
			t.Errorf("after second manual save: PD user %q, want PU-manual2", got.PDUserID)
		}
	})
	t.Run("SlackUserFor", func(t *testing.T) {
		db, _, clock := openClock(t)
		db.SaveUserLink(ctx, domain.UserLink{SlackUserID: "U1", PDUserID: "PU1"})
		clock.Advance(time.Hour)
		db.SaveUserLink(ctx, domain.UserLink{SlackUserID: "U2", PDUserID: "PU1"})
		db.SaveUserLink(ctx, domain.UserLink{SlackUserID: "U3", PDUserID: "PU2"})
		clock.Advance(365 * 24 * time.Hour) // any age
		tests := []struct {
			pd, want string
		}{
			{"PU1", "U2"}, // most recently checked
			{"PU2", "U3"},
		}
		for _, tt := range tests {
			got, err := db.SlackUserFor(ctx, tt.pd)
			if err != nil || got != tt.want {
				t.Errorf("SlackUserFor(%s) = %q, %v; want %q", tt.pd, got, err, tt.want)
			}
		}
		db.SaveUserLink(ctx, domain.UserLink{SlackUserID: "U1", PDUserID: "PU1", Manual: true, CheckedAt: clock.Now().Add(-48 * time.Hour)})
		if got, _ := db.SlackUserFor(ctx, "PU1"); got != "U1" {
			t.Errorf("SlackUserFor(PU1) = %q, want the manual link U1", got)
		}
		if _, err := db.SlackUserFor(ctx, "PU9"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("SlackUserFor(PU9) = %v, want ErrNotFound", err)
		}
		got, err := db.SlackUsersFor(ctx, []string{"PU2", "PU1", "PU9", "PU1"})
		if want := map[string]string{"PU1": "U1", "PU2": "U3"}; err != nil || !maps.Equal(got, want) {
			t.Errorf("SlackUsersFor(PU2, PU1, PU9, PU1) = %v, %v; want %v", got, err, want)
		}
		if got, err := db.SlackUsersFor(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("SlackUsersFor(nobody) = %v, %v; want an empty map", got, err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		db, _, _ := openClock(t)
		db.SaveUserLink(ctx, domain.UserLink{SlackUserID: "U1", PDUserID: "PU1", Manual: true})
		if err := db.DeleteUserLink(ctx, "U1"); err != nil {
			t.Fatalf("DeleteUserLink: %v", err)
		}
		if _, err := db.UserLink(ctx, "U1", 0); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("UserLink after delete = %v, want ErrNotFound", err)
		}
		if _, err := db.SlackUserFor(ctx, "PU1"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("SlackUserFor after delete = %v, want ErrNotFound", err)
		}
		if err := db.DeleteUserLink(ctx, "U1"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("second DeleteUserLink = %v, want ErrNotFound", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		db, _, _ := openClock(t)
		if _, err := db.UserLink(ctx, "U9", time.Hour); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("UserLink(U9) = %v, want ErrNotFound", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		db, _, _ := openClock(t)
		for _, l := range []domain.UserLink{{PDUserID: "PU1"}, {SlackUserID: "U1"}} {
			if err := db.SaveUserLink(ctx, l); !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("SaveUserLink(%+v) = %v, want ErrInvalid", l, err)
			}
		}
	})
}
