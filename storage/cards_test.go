package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

// testClock is a settable clock for WithClock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openClock opens a fresh database whose clock the test moves by hand.
func openClock(t *testing.T) (*DB, string, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	path := tempTarget(t)
	db, err := Open(context.Background(), path, WithClock(clock.Now))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path, clock
}

func mustSaveCard(t *testing.T, db *DB, c domain.Card) {
	t.Helper()
	if err := db.SaveCard(context.Background(), c); err != nil {
		t.Fatalf("SaveCard(%+v): %v", c, err)
	}
}

func TestSaveCard(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		db, _, clock := openClock(t)
		tests := []struct {
			name string
			card domain.Card
		}{
			{"TopLevel", domain.Card{IncidentID: "P1", ChannelID: "C1", TS: "1700000000.000100"}},
			{"Threaded", domain.Card{IncidentID: "P1", ChannelID: "C2", TS: "1700000000.000300", ThreadTS: "1700000000.000200"}},
			{"SavedStale", domain.Card{IncidentID: "P2", ChannelID: "C1", TS: "1700000000.000400", Version: 1}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				mustSaveCard(t, db, tt.card)
				got, err := db.CardIn(ctx, tt.card.IncidentID, tt.card.ChannelID)
				if err != nil {
					t.Fatalf("CardIn: %v", err)
				}
				want := tt.card
				want.CreatedAt, want.UpdatedAt = clock.Now(), clock.Now()
				if want.Dirty() {
					want.DirtySince = clock.Now()
				}
				if got != want {
					t.Errorf("CardIn = %+v, want %+v", got, want)
				}
			})
		}
	})
	t.Run("ErrCardExists", func(t *testing.T) {
		db, _, clock := openClock(t)
		first := domain.Card{IncidentID: "P1", ChannelID: "C1", TS: "1.1"}
		mustSaveCard(t, db, first)
		clock.Advance(time.Second)
		err := db.SaveCard(ctx, domain.Card{IncidentID: "P1", ChannelID: "C1", TS: "2.2"})
		if !errors.Is(err, domain.ErrCardExists) {
			t.Fatalf("second SaveCard = %v, want ErrCardExists", err)
		}
		got, err := db.CardIn(ctx, "P1", "C1")
		if err != nil {
			t.Fatal(err)
		}
		if got.TS != first.TS {
			t.Errorf("TS = %q, want the first card's %q", got.TS, first.TS)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		db, _, _ := openClock(t)
		tests := []struct {
			name string
			card domain.Card
		}{
			{"NoIncident", domain.Card{ChannelID: "C1", TS: "1.1"}},
			{"NoChannel", domain.Card{IncidentID: "P1", TS: "1.1"}},
			{"NoTS", domain.Card{IncidentID: "P1", ChannelID: "C1"}},
			{"RenderedAheadOfVersion", domain.Card{IncidentID: "P1", ChannelID: "C1", TS: "1.1", Rendered: 1}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := db.SaveCard(ctx, tt.card); !errors.Is(err, domain.ErrInvalid) {
					t.Errorf("SaveCard = %v, want ErrInvalid", err)
				}
			})
		}
	})
}

func TestCardLookups(t *testing.T) {
	ctx := context.Background()
	db, _, clock := openClock(t)
	mustSaveCard(t, db, domain.Card{IncidentID: "P1", ChannelID: "C2", TS: "1.1"})
	clock.Advance(time.Millisecond)
	mustSaveCard(t, db, domain.Card{IncidentID: "P1", ChannelID: "C1", TS: "1.2"})
	mustSaveCard(t, db, domain.Card{IncidentID: "P2", ChannelID: "C1", TS: "1.3"})

	t.Run("OK", func(t *testing.T) {
		tests := []struct {
			channel, ts  string
			wantIncident string
		}{
			{"C2", "1.1", "P1"},
			{"C1", "1.2", "P1"},
			{"C1", "1.3", "P2"},
		}
		for _, tt := range tests {
			got, err := db.CardByMessage(ctx, tt.channel, tt.ts)
			if err != nil {
				t.Fatalf("CardByMessage(%s, %s): %v", tt.channel, tt.ts, err)
			}
			if got.IncidentID != tt.wantIncident || got.ChannelID != tt.channel {
				t.Errorf("CardByMessage(%s, %s) = %s in %s, want %s in %s", tt.channel, tt.ts, got.IncidentID, got.ChannelID, tt.wantIncident, tt.channel)
			}
		}
		cards, err := db.CardsForIncident(ctx, "P1")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cards {
			got = append(got, c.ChannelID)
		}
		if len(got) != 2 || got[0] != "C2" || got[1] != "C1" {
			t.Errorf("CardsForIncident(P1) channels = %v, want [C2 C1] (oldest first)", got)
		}
		none, err := db.CardsForIncident(ctx, "P9")
		if err != nil || len(none) != 0 {
			t.Errorf("CardsForIncident(P9) = %v, %v; want none, nil", none, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		lookups := map[string]func() error{
			"CardIn":              func() error { _, err := db.CardIn(ctx, "P1", "C9"); return err },
			"CardByMessage":       func() error { _, err := db.CardByMessage(ctx, "C1", "1.1"); return err },
			"MarkCardRendered":    func() error { return db.MarkCardRendered(ctx, "P9", "C1", 0) },
			"DeleteCard":          func() error { return db.DeleteCard(ctx, "P9", "C1") },
			"CardInOtherIncident": func() error { _, err := db.CardIn(ctx, "P2", "C2"); return err },
		}
		for name, f := range lookups {
			if err := f(); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("%s = %v, want ErrNotFound", name, err)
			}
		}
	})
}

func dirtyKeys(t *testing.T, db *DB, limit int) []string {
	t.Helper()
	cards, err := db.DirtyCards(context.Background(), limit)
	if err != nil {
		t.Fatalf("DirtyCards: %v", err)
	}
	var keys []string
	for _, c := range cards {
		keys = append(keys, c.IncidentID+"/"+c.ChannelID)
	}
	return keys
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDirtyCards(t *testing.T) {
	ctx := context.Background()
	t.Run("MarkCardsDirtyReturnsTheCards", func(t *testing.T) {
		db, _, _ := openClock(t)
		mustSaveCard(t, db, domain.Card{IncidentID: "P1", ChannelID: "C2", TS: "1.2"})
		mustSaveCard(t, db, domain.Card{IncidentID: "P1", ChannelID: "C1", TS: "1.1"})
		mustSaveCard(t, db, domain.Card{IncidentID: "P2", ChannelID: "C1", TS: "1.3"})
		marked, err := db.MarkCardsDirty(ctx, "P1")
		if err != nil {
			t.Fatal(err)
		}
		read, _ := db.CardsForIncident(ctx, "P1")
		if fmt.Sprint(marked) != fmt.Sprint(read) || len(marked) != 2 || marked[0].Version != 1 || !marked[0].Dirty() {
			t.Errorf("MarkCardsDirty returned %+v, want what CardsForIncident reads after it (%+v): both cards, dirty at version 1", marked, read)
		}
		if other, _ := db.CardIn(ctx, "P2", "C1"); other.Dirty() {
			t.Errorf("another incident's card marked dirty: %+v", other)
		}
	})
	t.Run("RenderRace", func(t *testing.T) {
		db, path, clock := openClock(t)
		mustSaveCard(t, db, domain.Card{IncidentID: "P1", ChannelID: "C1", TS: "1.1"})
		mustSaveCard(t, db, domain.Card{IncidentID: "P1", ChannelID: "C2", TS: "1.2"})
		mustSaveCard(t, db, domain.Card{IncidentID: "P2", ChannelID: "C1", TS: "1.3"})
		if got := dirtyKeys(t, db, 0); len(got) != 0 {
			t.Fatalf("dirty after save = %v, want none", got)
		}

		clock.Advance(time.Second)
		markedAt := clock.Now()
		if err := db.MarkCardDirty(ctx, "P1"); err != nil {
			t.Fatal(err)
		}
		if got, want := dirtyKeys(t, db, 0), []string{"P1/C1", "P1/C2"}; !equal(got, want) {
			t.Fatalf("dirty = %v, want %v", got, want)
		}
		// The renderer reads version 1, then the incident changes again
		// before its chat.update lands.
		c, _ := db.CardIn(ctx, "P1", "C1")
		if c.Version != 1 || !c.DirtySince.Equal(markedAt) {
			t.Fatalf("after MarkCardDirty: version %d, dirty since %v; want 1, %v", c.Version, c.DirtySince, markedAt)
		}
		clock.Advance(time.Second)
		if err := db.MarkCardDirty(ctx, "P1"); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkCardRendered(ctx, "P1", "C1", c.Version); err != nil {
			t.Fatal(err)
		}
		got, _ := db.CardIn(ctx, "P1", "C1")
		if got.Version != 2 || got.Rendered != 1 || !got.Dirty() {
			t.Errorf("after rendering the older version: version %d, rendered %d; want 2, 1, still dirty", got.Version, got.Rendered)
		}
		if !got.DirtySince.Equal(markedAt) {
			t.Errorf("DirtySince = %v, want %v (still the first staleness)", got.DirtySince, markedAt)
		}

		// Restart: the owed update is still owed.
		db.Close()
		db, err := Open(ctx, path, WithClock(clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if got, want := dirtyKeys(t, db, 0), []string{"P1/C1", "P1/C2"}; !equal(got, want) {
			t.Fatalf("dirty after reopen = %v, want %v", got, want)
		}

		if err := db.MarkCardRendered(ctx, "P1", "C1", 2); err != nil {
			t.Fatal(err)
		}
		// A late report of an older render does not undo the newer one.
		if err := db.MarkCardRendered(ctx, "P1", "C1", 1); err != nil {
			t.Fatal(err)
		}
		got, _ = db.CardIn(ctx, "P1", "C1")
		if got.Rendered != 2 || got.Dirty() || !got.DirtySince.IsZero() {
			t.Errorf("after rendering version 2: rendered %d, dirty since %v; want 2, clean", got.Rendered, got.DirtySince)
		}
		if got, want := dirtyKeys(t, db, 0), []string{"P1/C2"}; !equal(got, want) {
			t.Errorf("dirty = %v, want %v", got, want)
		}
		if err := db.MarkCardRendered(ctx, "P1", "C2", 3); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("MarkCardRendered beyond Version = %v, want ErrInvalid", err)
		}
	})
	t.Run("OldestFirst", func(t *testing.T) {
		db, _, clock := openClock(t)
		for _, inc := range []string{"PA", "PB", "PC"} {
			mustSaveCard(t, db, domain.Card{IncidentID: inc, ChannelID: "C1", TS: inc})
		}
		for _, inc := range []string{"PB", "PA", "PC", "PB"} {
			clock.Advance(time.Millisecond)
			if err := db.MarkCardDirty(ctx, inc); err != nil {
				t.Fatal(err)
			}
		}
		// PB was marked again last, but has been stale the longest.
		tests := []struct {
			limit int
			want  []string
		}{
			{0, []string{"PB/C1", "PA/C1", "PC/C1"}},
			{2, []string{"PB/C1", "PA/C1"}},
			{1, []string{"PB/C1"}},
		}
		for _, tt := range tests {
			if got := dirtyKeys(t, db, tt.limit); !equal(got, tt.want) {
				t.Errorf("DirtyCards(%d) = %v, want %v", tt.limit, got, tt.want)
			}
		}
	})
	t.Run("NoCards", func(t *testing.T) {
		db, _, _ := openClock(t)
		if err := db.MarkCardDirty(ctx, "P9"); err != nil {
			t.Errorf("MarkCardDirty without cards = %v, want nil", err)
		}
	})
	t.Run("DeleteCard", func(t *testing.T) {
		db, _, _ := openClock(t)
		mustSaveCard(t, db, domain.Card{IncidentID: "P1", ChannelID: "C1", TS: "1.1"})
		db.MarkCardDirty(ctx, "P1")
		if err := db.DeleteCard(ctx, "P1", "C1"); err != nil {
			t.Fatal(err)
		}
		if got := dirtyKeys(t, db, 0); len(got) != 0 {
			t.Errorf("dirty after delete = %v, want none", got)
		}
		if _, err := db.CardByMessage(ctx, "C1", "1.1"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("CardByMessage after delete = %v, want ErrNotFound", err)
		}
	})
}
