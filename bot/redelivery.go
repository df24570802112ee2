package bot

import (
	"context"
	"encoding/json"

	"github.com/tobanbot/toban/handlers"
)

// once wraps the handler of a slash command or interactive envelope so
// that a redelivery (Slack did not see the ack and sent the same
// envelope_id again) does not run it twice: the handler may already have
// opened a modal, written to PagerDuty or posted. The redelivery is acked
// with the payload the first delivery answered, which Slack never got, so
// the person gets exactly one answer.
func (b *Bot) once(a *acker, handle func(context.Context) handlers.Response) func(context.Context) handlers.Response {
	if b.deliveries == nil {
		return handle
	}
	a.dedupe = true
	return func(ctx context.Context) handlers.Response {
		first, ack, err := b.deliveries.FirstEnvelope(ctx, a.envelopeID)
		switch {
		case err != nil:
			// Answering twice is better than not answering at all.
			b.log.Error().Err(err).Str("envelope_id", a.envelopeID).Msg("envelope dedupe failed; handling anyway")
			return handle(ctx)
		case first:
			return handle(ctx)
		}
		b.m.EnvelopesRedelivered.Inc()
		b.log.Info().Str("envelope_id", a.envelopeID).Str("envelope_type", a.kind).Bool("ack_payload", ack != nil).
			Msg("redelivered envelope answered without rerunning its handler")
		a.dedupe = false // nothing new to record
		if ack == nil {
			return handlers.Response{}
		}
		return handlers.Response{Ack: json.RawMessage(ack)}
	}
}

// recordAck keeps the ack payload for a possible redelivery. It runs
// before the ack is sent, so a redelivery racing the ack finds it.
func (b *Bot) recordAck(ctx context.Context, a *acker, payload any) {
	raw, err := json.Marshal(payload)
	if err == nil {
		err = b.deliveries.RecordEnvelopeAck(ctx, a.envelopeID, raw)
	}
	if err != nil {
		b.log.Warn().Err(err).Str("envelope_id", a.envelopeID).Msg("ack payload not recorded; a redelivery would be acked empty")
	}
}
