package bot

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/tobanbot/toban/handlers/chat"
)

// Socket Mode redelivers a slash command or interactive envelope whose ack
// Slack did not see, with the same envelope_id and retry_attempt 1. Its
// handler already ran (it may have opened a modal, written to PagerDuty or
// posted), so the redelivery is acked with the first delivery's answer,
// which Slack never got, and the handler does not run again.
//
// Nothing here touches the database before the ack of a first delivery:
// the answer is kept in memory while it is being given and written to
// SQLite after the ack, so the 3-second ack path stays free of a writer
// queue. Only a redelivery (retry_attempt > 0) not known in memory reads
// SQLite, which covers a restart in between.

// answering is one slash or interactive envelope being answered here.
type answering struct {
	done    chan struct{} // closed once payload is set
	payload []byte        // the ack's JSON payload, nil for none
	settled bool          // guarded by envelopeMemo.mu
	stored  bool          // already in SQLite: nothing to record
}

// envelopeMemo holds the envelopes being answered, until their answer is
// in SQLite.
type envelopeMemo struct {
	mu sync.Mutex
	m  map[string]*answering
}

// begin registers envelopeID; isNew is false when it is already being
// answered here (a redelivery racing its first delivery).
func (m *envelopeMemo) begin(envelopeID string) (a *answering, isNew bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.m[envelopeID]; a != nil {
		return a, false
	}
	a = &answering{done: make(chan struct{})}
	m.m[envelopeID] = a
	return a, true
}

// settle records the answer (once) and wakes redeliveries waiting for it.
func (m *envelopeMemo) settle(a *answering, payload []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a.settled {
		return
	}
	a.settled, a.payload = true, payload
	close(a.done)
}

func (m *envelopeMemo) forget(envelopeID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, envelopeID)
}

// once wraps the handler of a slash command or interactive envelope so
// that a redelivery does not run it twice.
func (b *Bot) once(a *acker, handle func(context.Context) chat.Response) func(context.Context) chat.Response {
	if b.deliveries == nil {
		return handle
	}
	return func(ctx context.Context) chat.Response {
		mine, isNew := b.memo.begin(a.envelopeID)
		if !isNew {
			select {
			case <-mine.done:
			case <-ctx.Done():
			}
			return b.repeated(a, mine.payload)
		}
		a.memo = mine
		if a.retry > 0 {
			found, payload, err := b.deliveries.EnvelopeAnswer(ctx, a.envelopeID)
			switch {
			case err != nil:
				// Answering twice is better than not answering at all.
				b.log.Error().Err(err).Str("envelope_id", a.envelopeID).Msg("envelope dedupe failed; handling anyway")
			case found:
				mine.stored = true
				return b.repeated(a, payload)
			}
		}
		return handle(ctx)
	}
}

// repeated is the answer to a redelivery: the first delivery's ack.
func (b *Bot) repeated(a *acker, payload []byte) chat.Response {
	b.m.EnvelopesRedelivered.Inc()
	b.log.Info().Str("envelope_id", a.envelopeID).Str("envelope_type", a.kind).Int("retry_attempt", a.retry).
		Bool("ack_payload", payload != nil).Msg("redelivered envelope answered without rerunning its handler")
	if payload == nil {
		return chat.Response{}
	}
	return chat.Response{Ack: json.RawMessage(payload)}
}

// settleAnswer records the ack payload about to be sent, before it is
// sent, so a redelivery racing the ack finds it. A payload that missed
// the ack (it goes by response_url instead) is recorded as none.
func (b *Bot) settleAnswer(a *acker, payload any) {
	if a.memo == nil {
		return
	}
	var raw []byte
	if payload != nil && !a.done.Load() {
		var err error
		if raw, err = json.Marshal(payload); err != nil {
			raw = nil
		}
	}
	b.memo.settle(a.memo, raw)
}

// storeAnswer writes the settled answer to SQLite after the ack, then
// drops it from memory. It runs however the answer ended (a panic
// included), so a waiting redelivery is never stuck.
func (b *Bot) storeAnswer(ctx context.Context, a *acker) {
	if a.memo == nil {
		return
	}
	b.memo.settle(a.memo, nil) // no-op unless the handler never answered
	defer b.memo.forget(a.envelopeID)
	if a.memo.stored {
		return
	}
	if err := b.deliveries.RecordEnvelope(ctx, a.envelopeID, a.memo.payload); err != nil {
		b.log.Warn().Err(err).Str("envelope_id", a.envelopeID).Msg("envelope answer not recorded; a redelivery after a restart would be handled again")
	}
}
