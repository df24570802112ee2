package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/metrics"
	"github.com/tobanbot/toban/storage"
	"github.com/tobanbot/toban/webhook"
)

const secret = "s3cret-webhook-key"

// env is a receiver behind a real HTTP server, storing into a real
// SQLite inbox unless the test swaps the inbox.
type env struct {
	srv      *httptest.Server
	db       *storage.DB
	m        *metrics.Registry
	notified atomic.Int32
}

func newEnv(t *testing.T, secret string, wrap func(webhook.Inbox) webhook.Inbox) *env {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "toban.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{db: db, m: metrics.New()}
	var inbox webhook.Inbox = db
	if wrap != nil {
		inbox = wrap(db)
	}
	r := webhook.NewReceiver(secret, inbox, func() { e.notified.Add(1) }, e.m, zerolog.Nop())
	mux := http.NewServeMux()
	mux.Handle("/webhooks/pagerduty", r)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// post sends body with the given headers (name, value pairs) and returns
// the status and answer.
func (e *env) post(t *testing.T, method string, body []byte, headers ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+"/webhooks/pagerduty", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// deliver posts body signed with the test secret, as PagerDuty would.
func (e *env) deliver(t *testing.T, webhookID string, body []byte) int {
	t.Helper()
	status, _ := e.post(t, http.MethodPost, body, "X-PagerDuty-Signature", webhook.Sign(secret, body),
		"X-Webhook-Id", webhookID)
	return status
}

// stored returns the IDs of the events in the inbox, in arrival order.
func (e *env) stored(t *testing.T) string {
	t.Helper()
	p, err := e.db.PendingEvents(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ie := range p {
		ids = append(ids, ie.Event.ID)
	}
	return strings.Join(ids, " ")
}

const (
	ackID  = "5ac64822-4adc-4fda-ade0-410becf0de4f"
	noteID = "01DEN4KX6H5CM9Q1Y5R0A1V2X3"
	resID  = "01DEN4J0R6ZYQ3TS3Q5Y3AEXDQ"
)

func TestReceiverSignature(t *testing.T) {
	body := readTestdata(t, "incident_acknowledged.json")
	good := webhook.Sign(secret, body)
	tests := []struct {
		name       string
		headers    []string
		wantStatus int
		wantStored string
	}{
		{"Valid", []string{"X-PagerDuty-Signature", good}, 202, ackID},
		{"RotationWithSpaces", []string{"X-PagerDuty-Signature", "v1=" + strings.Repeat("ab", 32) + " ,  " + good + " "}, 202, ackID},
		{"RotationNewSecretFirst", []string{"X-PagerDuty-Signature", good + "," + webhook.Sign("old-secret", body)}, 202, ackID},
		{"TwoHeaderLines", []string{"X-PagerDuty-Signature", webhook.Sign("old", body), "X-PagerDuty-Signature", good}, 202, ackID},
		{"UpperCaseHex", []string{"X-PagerDuty-Signature", "v1=" + strings.ToUpper(strings.TrimPrefix(good, "v1="))}, 202, ackID},
		{"Missing", nil, 401, ""},
		{"Empty", []string{"X-PagerDuty-Signature", ""}, 401, ""},
		{"WrongSecret", []string{"X-PagerDuty-Signature", webhook.Sign("not-the-secret", body)}, 401, ""},
		{"OtherBody", []string{"X-PagerDuty-Signature", webhook.Sign(secret, append(body, ' '))}, 401, ""},
		{"WrongVersion", []string{"X-PagerDuty-Signature", "v0=" + strings.TrimPrefix(good, "v1=")}, 401, ""},
		{"NotHex", []string{"X-PagerDuty-Signature", "v1=zz" + good[5:]}, 401, ""},
		{"Truncated", []string{"X-PagerDuty-Signature", good[:len(good)-2]}, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, secret, nil)
			if got, _ := e.post(t, http.MethodPost, body, tt.headers...); got != tt.wantStatus {
				t.Errorf("got status %d, want %d", got, tt.wantStatus)
			}
			if got := e.stored(t); got != tt.wantStored {
				t.Errorf("stored %q, want %q", got, tt.wantStored)
			}
			want := int32(0)
			if tt.wantStored != "" {
				want = 1
			}
			if got := e.notified.Load(); got != want {
				t.Errorf("notified %d times, want %d", got, want)
			}
		})
	}
}

func TestReceiverRefusals(t *testing.T) {
	ack := readTestdata(t, "incident_acknowledged.json")
	huge := append([]byte(`{"padding":"`+strings.Repeat("x", webhook.MaxBodyBytes)+`",`), ack[1:]...)
	tests := []struct {
		name       string
		secret     string
		method     string
		body       []byte
		wantStatus int
		wantText   string
	}{
		{"NoSecretConfigured", "", http.MethodPost, ack, 503, "webhooks disabled: set PAGERDUTY_WEBHOOK_SECRET"},
		{"GET", secret, http.MethodGet, nil, 405, "use POST"},
		{"PUT", secret, http.MethodPut, ack, 405, "use POST"},
		{"Oversize", secret, http.MethodPost, huge, 413, "too large"},
		{"NotJSON", secret, http.MethodPost, []byte("hello"), 400, "malformed JSON"},
		{"NotV3", secret, http.MethodPost, []byte(`{"messages":[{"event":"incident.trigger"}]}`), 400, `no "event" object`},
		{"HandledWithoutIncident", secret, http.MethodPost,
			[]byte(`{"event":{"id":"E1","event_type":"incident.resolved","occurred_at":"2026-03-10T12:00:00Z","data":{}}}`), 400, "names no incident"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.secret, nil)
			sig := webhook.Sign(secret, tt.body)
			status, text := e.post(t, tt.method, tt.body, "X-PagerDuty-Signature", sig)
			if status != tt.wantStatus || !strings.Contains(text, tt.wantText) {
				t.Errorf("got %d %q, want %d containing %q", status, text, tt.wantStatus, tt.wantText)
			}
			if got := e.stored(t); got != "" {
				t.Errorf("stored %q, want nothing", got)
			}
			if n := e.notified.Load(); n != 0 {
				t.Errorf("notified %d times, want 0", n)
			}
		})
	}
}

func TestReceiverDuplicates(t *testing.T) {
	ack := string(readTestdata(t, "incident_acknowledged.json"))
	note := string(readTestdata(t, "incident_annotated.json"))
	res := string(readTestdata(t, "incident_resolved.json"))
	tests := []struct {
		name       string
		deliveries []string // bodies, in order
		wantStored string
		wantNotify int32
	}{
		{"SameDeliveryTwice", []string{ack, ack}, ackID, 1},
		{"BatchThenPart", []string{"[" + ack + "," + note + "]", note}, ackID + " " + noteID, 1},
		{"BatchTwice", []string{"[" + ack + "," + note + "]", "[" + ack + "," + note + "]"}, ackID + " " + noteID, 1},
		{"OverlappingBatches", []string{"[" + ack + "," + note + "]", "[" + note + "," + res + "]"}, ackID + " " + noteID + " " + resID, 2},
		{"LateRetryKeepsArrivalOrder", []string{res, ack, res}, resID + " " + ackID, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, secret, nil)
			for i, body := range tt.deliveries {
				if got := e.deliver(t, "W-"+tt.name, []byte(body)); got != http.StatusAccepted {
					t.Errorf("delivery %d: got %d, want 202", i+1, got)
				}
			}
			if got := e.stored(t); got != tt.wantStored {
				t.Errorf("stored %q, want %q", got, tt.wantStored)
			}
			if got := e.notified.Load(); got != tt.wantNotify {
				t.Errorf("notified %d times, want %d", got, tt.wantNotify)
			}
		})
	}
}

func TestReceiverStoresSnapshot(t *testing.T) {
	e := newEnv(t, secret, nil)
	body := readTestdata(t, "incident_acknowledged.json")
	if got := e.deliver(t, "W1", body); got != http.StatusAccepted {
		t.Fatalf("got %d, want 202", got)
	}
	want, err := webhook.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.db.PendingEvents(context.Background(), 10)
	if err != nil || len(p) != 1 {
		t.Fatalf("got %d pending, %v; want 1", len(p), err)
	}
	if show(p[0].Event) != show(want[0]) {
		t.Errorf("stored  %s\ndecoded %s", show(p[0].Event), show(want[0]))
	}
}

func TestReceiverIgnoredTypes(t *testing.T) {
	for _, file := range []string{"pagey_ping.json", "service_updated.json"} {
		t.Run(file, func(t *testing.T) {
			e := newEnv(t, secret, nil)
			if got := e.deliver(t, "W1", readTestdata(t, file)); got != http.StatusAccepted {
				t.Errorf("got %d, want 202", got)
			}
			if got := e.stored(t); got != "" {
				t.Errorf("stored %q, want nothing", got)
			}
			if n := e.notified.Load(); n != 0 {
				t.Errorf("notified %d times, want 0", n)
			}
		})
	}
	t.Run("MixedBatch", func(t *testing.T) {
		e := newEnv(t, secret, nil)
		body := "[" + string(readTestdata(t, "service_updated.json")) + "," +
			string(readTestdata(t, "incident_acknowledged.json")) + "]"
		if got := e.deliver(t, "W1", []byte(body)); got != http.StatusAccepted {
			t.Errorf("got %d, want 202", got)
		}
		if got := e.stored(t); got != ackID {
			t.Errorf("stored %q, want %q", got, ackID)
		}
	})
}

// flakyInbox fails while fail is set.
type flakyInbox struct {
	webhook.Inbox
	fail atomic.Bool
}

func (f *flakyInbox) AcceptEvents(ctx context.Context, id string, evs []domain.IncidentEvent) (int, error) {
	if f.fail.Load() {
		return 0, errors.New("disk I/O error")
	}
	return f.Inbox.AcceptEvents(ctx, id, evs)
}

func TestReceiverInboxFailure(t *testing.T) {
	var flaky *flakyInbox
	e := newEnv(t, secret, func(in webhook.Inbox) webhook.Inbox {
		flaky = &flakyInbox{Inbox: in}
		return flaky
	})
	body := readTestdata(t, "incident_acknowledged.json")
	flaky.fail.Store(true)
	if got := e.deliver(t, "W1", body); got != http.StatusInternalServerError {
		t.Errorf("while the inbox fails: got %d, want 500", got)
	}
	if got := testutil.ToFloat64(e.m.HandlerErrors.WithLabelValues("pagerduty_webhook")); got != 1 {
		t.Errorf("handler errors = %v, want 1", got)
	}
	if n := e.notified.Load(); n != 0 {
		t.Errorf("notified %d times, want 0", n)
	}
	flaky.fail.Store(false)
	if got := e.deliver(t, "W1", body); got != http.StatusAccepted { // PagerDuty's retry
		t.Errorf("retry: got %d, want 202", got)
	}
	if got := e.stored(t); got != ackID {
		t.Errorf("stored %q, want %q", got, ackID)
	}
}

// Status updates and responder events are stored with their data, once
// however often PagerDuty delivers them (alone or in a batch).
func TestReceiverStoresStatusUpdatesAndResponders(t *testing.T) {
	e := newEnv(t, secret, nil)
	files := []string{"incident_status_update_published.json", "incident_responder_added.json", "incident_responder_replied.json"}
	var bodies []string
	for _, f := range files {
		body := readTestdata(t, f)
		bodies = append(bodies, string(body))
		for range 2 {
			if got := e.deliver(t, "W-"+f, body); got != http.StatusAccepted {
				t.Fatalf("%s: got %d, want 202", f, got)
			}
		}
	}
	if got := e.deliver(t, "W-batch", []byte("["+strings.Join(bodies, ",")+"]")); got != http.StatusAccepted {
		t.Fatalf("batch: got %d, want 202", got)
	}
	p, err := e.db.PendingEvents(context.Background(), 10)
	if err != nil || len(p) != len(files) {
		t.Fatalf("got %d pending, %v; want %d", len(p), err, len(files))
	}
	for i, f := range files {
		want, err := webhook.Decode(readTestdata(t, f))
		if err != nil {
			t.Fatal(err)
		}
		if show(p[i].Event) != show(want[0]) {
			t.Errorf("%s: stored  %s\ndecoded %s", f, show(p[i].Event), show(want[0]))
		}
	}
}
