package webhook

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/storage"
)

// BenchmarkVerifyAndStore is one webhook delivery through the receiver:
// signature check, decode, and the durable, deduplicated insert into a
// real SQLite inbox; every third delivery repeats an earlier event.
func BenchmarkVerifyAndStore(b *testing.B) {
	db, err := storage.Open(context.Background(), filepath.Join(b.TempDir(), "toban.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r := NewReceiver("secret", db, func() {}, metrics.New(), zerolog.Nop())
	body := func(i int) []byte {
		return []byte(fmt.Sprintf(`{"event":{"id":"EV%08d","event_type":"incident.triggered","resource_type":"incident",`+
			`"occurred_at":"2026-11-21T10:00:00.000Z","agent":{"id":"PU1","type":"user_reference","summary":"Alice"},`+
			`"data":{"id":"Q%08d","type":"incident","number":%d,"title":"Disk full","status":"triggered","urgency":"high",`+
			`"created_at":"2026-11-21T10:00:00Z","html_url":"https://x.pagerduty.com/incidents/Q1",`+
			`"service":{"id":"PSVC1","summary":"API","type":"service_reference"},"assignees":[]}}}`, i, i, i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		n := i
		if i%3 == 2 {
			n = i - 1 // a duplicate delivery
		}
		payload := body(n)
		req := httptest.NewRequest(http.MethodPost, "/webhooks/pagerduty", bytes.NewReader(payload))
		req.Header.Set(SignatureHeader, Sign("secret", payload))
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code/100 != 2 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		i++
	}
}
