package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestFirstEnvelope(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)

	first, ack, err := db.FirstEnvelope(ctx, "env-1")
	if err != nil || !first || ack != nil {
		t.Fatalf("first = %v, %s, %v; want true, nil, nil", first, ack, err)
	}
	// Redelivered before the first answer is decided: no payload yet.
	again, ack, err := db.FirstEnvelope(ctx, "env-1")
	if err != nil || again || ack != nil {
		t.Fatalf("early redelivery = %v, %s, %v; want false, nil, nil", again, ack, err)
	}
	want := `{"text":"Acknowledged"}`
	if err := db.RecordEnvelopeAck(ctx, "env-1", []byte(want)); err != nil {
		t.Fatal(err)
	}

	// A restart must not forget the envelope or its answer.
	db.Close()
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	again, ack, err = db2.FirstEnvelope(ctx, "env-1")
	if err != nil || again || string(ack) != want {
		t.Fatalf("redelivery after restart = %v, %s, %v; want false, %s, nil", again, ack, err, want)
	}
	other, _, err := db2.FirstEnvelope(ctx, "env-2")
	if err != nil || !other {
		t.Fatalf("another envelope = %v, %v; want true, nil", other, err)
	}
}

func TestForgetDeliveriesBeforePrunesEnvelopes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	db, err := Open(ctx, filepath.Join(t.TempDir(), "toban.db"), WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.FirstEnvelope(ctx, "old")
	now = now.Add(48 * time.Hour)
	db.FirstEnvelope(ctx, "new")
	n, err := db.ForgetDeliveriesBefore(ctx, now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("forgotten = %d, want 1", n)
	}
	if first, _, _ := db.FirstEnvelope(ctx, "new"); first {
		t.Error("the recent envelope was forgotten")
	}
}
