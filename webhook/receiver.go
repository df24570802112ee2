// Package webhook receives PagerDuty v3 webhooks: it checks their
// signature, decodes their incident events and stores them in the durable
// inbox before answering, so that a crash after the answer loses nothing.
// Processing happens later, elsewhere; the receiver only wakes it.
//
// It is an adapter: it owns the HTTP receiver and signature check. It may
// import domain and metrics (the inbox is a port it declares); never another
// adapter, the router or a feature.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/metrics"
)

// MaxBodyBytes caps a webhook body; PagerDuty's are a few KiB.
const MaxBodyBytes = 1 << 20

// Header names PagerDuty sends.
const (
	SignatureHeader = "X-PagerDuty-Signature"
	WebhookIDHeader = "X-Webhook-Id"
)

// Inbox stores accepted events durably, deduplicated by event ID, and
// returns how many were new (storage.DB implements it).
type Inbox interface {
	AcceptEvents(ctx context.Context, webhookID string, evs []domain.IncidentEvent) (int, error)
}

// Receiver is the http.Handler for POST /webhooks/pagerduty.
//
// It answers:
//   - 405 to anything but POST;
//   - 503 when no secret is configured: an unauthenticated endpoint that
//     moves incident cards would let anyone forge incidents;
//   - 413 to a body over MaxBodyBytes;
//   - 401 when no v1 signature in X-PagerDuty-Signature matches;
//   - 400 to a body Decode (or the inbox) refuses, with a short reason in
//     plain text;
//   - 500 when the inbox fails, so that PagerDuty delivers again;
//   - 202 once the events of handled types are stored (or were already:
//     redeliveries are deduplicated by event ID). Events of other types
//     (domain.HandledEventTypes) are acknowledged with 202 and dropped,
//     never stored.
//
// Nothing is processed inline: after answering, notify wakes the
// processor when new events were stored.
type Receiver struct {
	secret []byte
	inbox  Inbox
	notify func()
	m      *metrics.Registry
	log    zerolog.Logger
}

// NewReceiver returns a receiver checking signatures with secret ("" turns
// webhooks off: every delivery gets 503), storing into inbox, and calling
// notify (which must not block; nil for none) after storing new events.
// m may be nil.
func NewReceiver(secret string, inbox Inbox, notify func(), m *metrics.Registry, log zerolog.Logger) *Receiver {
	if notify == nil {
		notify = func() {}
	}
	return &Receiver{secret: []byte(secret), inbox: inbox, notify: notify, m: m, log: log}
}

// ServeHTTP handles one delivery as the Receiver doc says.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: use POST", http.StatusMethodNotAllowed)
		return
	}
	if len(r.secret) == 0 {
		http.Error(w, "webhooks disabled: set PAGERDUTY_WEBHOOK_SECRET", http.StatusServiceUnavailable)
		return
	}
	webhookID := req.Header.Get(WebhookIDHeader)
	log := r.log.With().Str("webhook_id", webhookID).Logger()

	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			log.Warn().Int64("limit", MaxBodyBytes).Msg("webhook body too large")
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "could not read body", http.StatusBadRequest)
		return
	}
	if !r.signed(req.Header.Values(SignatureHeader), body) {
		log.Warn().Str("remote_addr", req.RemoteAddr).Bool("signed", req.Header.Get(SignatureHeader) != "").
			Msg("webhook signature does not match PAGERDUTY_WEBHOOK_SECRET")
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	evs, err := Decode(body)
	if err != nil {
		log.Warn().Err(err).Msg("webhook refused")
		http.Error(w, reason(err), http.StatusBadRequest)
		return
	}
	var handled []domain.IncidentEvent
	for _, ev := range evs {
		if domain.HandledEventTypes[ev.Type] {
			handled = append(handled, ev)
		} else {
			log.Debug().Str("event_id", ev.ID).Str("event_type", ev.Type).Msg("webhook event type ignored")
		}
	}
	accepted := 0
	if len(handled) > 0 {
		accepted, err = r.inbox.AcceptEvents(req.Context(), webhookID, handled)
		if errors.Is(err, domain.ErrInvalid) {
			log.Warn().Err(err).Msg("webhook events refused by the inbox")
			http.Error(w, reason(err), http.StatusBadRequest)
			return
		}
		if err != nil {
			log.Error().Err(err).Int("events", len(handled)).Msg("storing webhook events failed")
			if r.m != nil {
				r.m.HandlerErrors.WithLabelValues("pagerduty_webhook").Inc()
			}
			http.Error(w, "could not store the events, try again", http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "accepted\n")
	for _, ev := range handled {
		log.Debug().Str("event_id", ev.ID).Str("event_type", ev.Type).Str("incident_id", ev.IncidentID).
			Msg("webhook event received")
	}
	if accepted > 0 {
		log.Info().Int("events", len(handled)).Int("new", accepted).Msg("webhook events stored")
		r.notify()
	}
}

// signed reports whether any v1 signature in the header values (each a
// comma-separated list, spaces tolerated) is the HMAC-SHA256 of body with
// the secret.
func (r *Receiver) signed(headers []string, body []byte) bool {
	want := mac(r.secret, body)
	for _, h := range headers {
		for part := range strings.SplitSeq(h, ",") {
			hexSig, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
			if !ok {
				continue
			}
			sig, err := hex.DecodeString(strings.TrimSpace(hexSig))
			if err == nil && hmac.Equal(sig, want) {
				return true
			}
		}
	}
	return false
}

// Sign returns the X-PagerDuty-Signature value PagerDuty would send for
// body: "v1=" and the hex HMAC-SHA256 of body keyed with secret.
func Sign(secret string, body []byte) string {
	return "v1=" + hex.EncodeToString(mac([]byte(secret), body))
}

func mac(secret, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(body)
	return h.Sum(nil)
}

// reason shortens a decoding error for the 400 answer.
func reason(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
