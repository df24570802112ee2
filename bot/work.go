package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack/socketmode"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// ackTimeout bounds one ack write. While the socket is down slack-go's
// send queue is not drained; giving up is fine because Slack redelivers.
const ackTimeout = 3 * time.Second

// acker sends one envelope's ack exactly once.
type acker struct {
	b          *Bot
	envelopeID string
	kind       string
	received   time.Time
	done       atomic.Bool
	retry      int // the envelope's retry_attempt
	// memo is set for a slash or interactive envelope whose answer is
	// kept for redeliveries; nil otherwise.
	memo *answering
}

// ack sends the ack with payload (nil for none) and reports whether this
// call was the one that sent it.
func (a *acker) ack(payload any) bool {
	if !a.done.CompareAndSwap(false, true) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	err := a.b.sm.AckCtx(ctx, a.envelopeID, payload)
	if err != nil && payload != nil {
		// Most likely over Slack's 20 KiB ack limit: ack empty so that
		// Slack does not redeliver, and say why.
		a.b.log.Error().Err(err).Str("envelope_type", a.kind).Msg("ack payload refused; acking empty")
		err = a.b.sm.AckCtx(ctx, a.envelopeID, nil)
	}
	if err != nil {
		a.b.log.Warn().Err(err).Str("envelope_type", a.kind).Msg("ack not sent; slack will redeliver")
		return true
	}
	a.b.m.EnvelopesAcked.WithLabelValues(a.kind).Inc()
	a.b.m.AckLatency.WithLabelValues(a.kind).Observe(time.Since(a.received).Seconds())
	return true
}

// replyTo says where to tell the person about a failure.
type replyTo struct {
	responseURL string
	channel     string
	user        string
}

// job is follow-up work run by the pool after the ack.
type job struct {
	kind string
	who  replyTo
	then func(ctx context.Context) error
}

func (b *Bot) runJob(ctx context.Context, j job) {
	var err error
	if !b.safely(ctx, nil, j.who, func() { err = j.then(ctx) }) {
		return
	}
	if err == nil {
		return
	}
	// The one place a handler error is logged and told. A person's invalid
	// input is theirs to fix, not toban's failure.
	if errors.Is(err, domain.ErrInvalid) {
		b.log.Info().Err(err).Str("envelope_type", j.kind).Str("user", j.who.user).Msg("input refused")
	} else {
		b.m.HandlerErrors.WithLabelValues(j.kind).Inc()
		b.log.Error().Err(err).Str("envelope_type", j.kind).Str("user", j.who.user).Msg("handler failed")
	}
	b.tell(ctx, j.kind, j.who, chat.UserMessage(err))
}

// safely runs f, turning a panic into a log line, a metric and a message
// to the person. It reports whether f returned normally.
func (b *Bot) safely(ctx context.Context, a *acker, who replyTo, f func()) (ok bool) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		ok = false
		kind := "job"
		if a != nil {
			kind = a.kind
		}
		b.m.HandlerPanics.WithLabelValues(kind).Inc()
		b.log.Error().Err(panicError(r)).Str("envelope_type", kind).Bytes("stack", debug.Stack()).Msg("handler panicked")
		msg := chat.UserMessage(panicError(r))
		if a != nil {
			if a.kind == socketmode.RequestTypeSlashCommands && a.ack(chat.AckMessage(chat.Message{Text: msg})) {
				return
			}
			a.ack(nil)
		}
		go b.tell(context.WithoutCancel(ctx), kind, who, msg)
	}()
	f()
	return true
}

// tell shows text to the person behind who: by response_url when there is
// one, else ephemerally in the channel, else by direct message.
func (b *Bot) tell(ctx context.Context, kind string, who replyTo, text string) {
	if who.user == "" && who.responseURL == "" {
		return // events have nobody to tell; the log has it
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	msg := chat.Message{Text: text}
	var err error
	switch {
	case who.responseURL != "":
		err = b.web.Respond(ctx, who.responseURL, msg)
	case who.channel != "":
		err = b.web.PostEphemeral(ctx, who.channel, who.user, msg)
	default:
		_, err = b.web.PostMessage(ctx, who.user, msg)
	}
	if err != nil {
		b.log.Warn().Err(err).Str("envelope_type", kind).Msg("could not tell the person about a failure")
	}
}

// respondRaw posts an already-shaped message body to a response_url.
func (w *WebAPI) respondRaw(ctx context.Context, responseURL string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.http.Do(req)
	if err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("respond: status %d", resp.StatusCode)
	}
	return nil
}

// badMessage acks an envelope slack-go could not decode, so Slack does
// not redeliver it forever, and logs why at debug.
func (b *Bot) badMessage(ev socketmode.Event) {
	bad, ok := ev.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var envelope struct {
		EnvelopeID string `json:"envelope_id"`
		Type       string `json:"type"`
	}
	_ = json.Unmarshal(bad.Message, &envelope)
	kind := envelope.Type
	if kind == "" {
		kind = "malformed"
	}
	b.m.EnvelopesReceived.WithLabelValues(kind).Inc()
	b.log.Debug().Err(bad.Cause).Str("envelope_type", kind).Int("bytes", len(bad.Message)).Msg("undecodable envelope ignored")
	if envelope.EnvelopeID == "" {
		return
	}
	a := &acker{b: b, envelopeID: envelope.EnvelopeID, kind: kind, received: time.Now()}
	go a.ack(nil)
}
