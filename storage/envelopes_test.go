package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestRecordEnvelope(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)

	found, _, err := db.EnvelopeAnswer(ctx, "env-1")
	if err != nil || found {
		t.Fatalf("unknown envelope = %v, %v; want false, nil", found, err)
	}
	want := `{"text":"Acknowledged"}`
	if err := db.RecordEnvelope(ctx, "env-1", []byte(want)); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordEnvelope(ctx, "env-2", nil); err != nil {
		t.Fatal(err)
	}

	// A restart must not forget the envelopes or their answers.
	db.Close()
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	tests := []struct {
		id        string
		wantFound bool
		wantAck   string
	}{
		{"env-1", true, want},
		{"env-2", true, ""},
		{"env-3", false, ""},
	}
	for _, tt := range tests {
		found, ack, err := db2.EnvelopeAnswer(ctx, tt.id)
		if err != nil || found != tt.wantFound || string(ack) != tt.wantAck {
			t.Errorf("%s = %v, %q, %v; want %v, %q, nil", tt.id, found, ack, err, tt.wantFound, tt.wantAck)
		}
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
	if err := db.RecordEnvelope(ctx, "old", nil); err != nil {
		t.Fatal(err)
	}
	now = now.Add(48 * time.Hour)
	if err := db.RecordEnvelope(ctx, "new", nil); err != nil {
		t.Fatal(err)
	}
	n, err := db.ForgetDeliveriesBefore(ctx, now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("forgotten = %d, want 1", n)
	}
	if found, _, _ := db.EnvelopeAnswer(ctx, "new"); !found {
		t.Error("the recent envelope was forgotten")
	}
}
