package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

func TestActivities(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		db, _, clock := openClock(t)
		t0 := clock.Now()
		record := []domain.Activity{
			{IncidentID: "P1", Kind: domain.ActivityTriggered, At: t0},
			// Same second, later millisecond, recorded out of order.
			{IncidentID: "P1", Kind: domain.ActivityResolved, SlackUserID: "U2", PDUserID: "PU2", At: t0.Add(900 * time.Millisecond)},
			{IncidentID: "P1", Kind: domain.ActivityAcknowledged, SlackUserID: "U1", PDUserID: "PU1", At: t0.Add(100 * time.Millisecond)},
			// Same millisecond: the order recorded.
			{IncidentID: "P1", Kind: domain.ActivityEscalated, SlackUserID: "U1", Detail: "level 2", At: t0.Add(100 * time.Millisecond)},
			{IncidentID: "P2", Kind: domain.ActivityNote, SlackUserID: "U3", Detail: "looking"},
		}
		for _, a := range record {
			if err := db.RecordActivity(ctx, a); err != nil {
				t.Fatalf("RecordActivity(%+v): %v", a, err)
			}
		}
		got, err := db.Activities(ctx, "P1")
		if err != nil {
			t.Fatal(err)
		}
		want := []domain.Activity{record[0], record[2], record[3], record[1]}
		if len(got) != len(want) {
			t.Fatalf("Activities(P1) = %d entries, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("Activities(P1)[%d] = %+v, want %+v", i, got[i], want[i])
			}
		}
		other, err := db.Activities(ctx, "P2")
		if err != nil || len(other) != 1 || !other[0].At.Equal(t0) {
			t.Errorf("Activities(P2) = %+v, %v; want one entry stamped %v", other, err, t0)
		}
		none, err := db.Activities(ctx, "P9")
		if err != nil || len(none) != 0 {
			t.Errorf("Activities(P9) = %+v, %v; want none, nil", none, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		db, _, _ := openClock(t)
		tests := []struct {
			name string
			a    domain.Activity
		}{
			{"NoIncident", domain.Activity{Kind: domain.ActivityNote}},
			{"NoKind", domain.Activity{IncidentID: "P1"}},
			{"UnknownKind", domain.Activity{IncidentID: "P1", Kind: "acked"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := db.RecordActivity(ctx, tt.a); !errors.Is(err, domain.ErrInvalid) {
					t.Errorf("RecordActivity = %v, want ErrInvalid", err)
				}
			})
		}
	})
}
