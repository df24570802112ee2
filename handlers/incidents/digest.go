package incidents

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/identity"
)

const (
	metadataDigest        = "toban_storm_digest"
	actionDigestAckAll    = "digest.ack_all"
	actionDigestResolve   = "digest.resolve_all"
	actionDigestList      = "digest.list"
	digestTitlesShown     = 8
	digestBulkConfirmText = "This acts, as you, on every open incident of this digest that is still in the right state:"
)

// renderDigest builds a storm digest card: how many incidents, in which
// states, the newest titles, and bulk buttons.
func renderDigest(d domain.Digest) chat.Message {
	counts := map[domain.Status]int{}
	for _, m := range d.Members {
		counts[m.Status]++
	}
	head := fmt.Sprintf(":thunder_cloud_and_rain: *Alert storm on %s*: %d more incidents — %d triggered, %d acknowledged, %d resolved",
		chat.Escape(d.ServiceName), len(d.Members), counts[domain.StatusTriggered], counts[domain.StatusAcknowledged], counts[domain.StatusResolved])
	var lines []string
	for i := len(d.Members) - 1; i >= 0 && len(lines) < digestTitlesShown; i-- {
		m := d.Members[i]
		lines = append(lines, fmt.Sprintf("%s #%d %s", statusEmoji[m.Status], m.Number, chat.Escape(chat.Truncate(m.Title, 80))))
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(chat.Mrkdwn(head), nil, nil),
		slack.NewContextBlock("", chat.Mrkdwn("Newest: \n"+strings.Join(lines, "\n"))),
	}
	id := strconv.FormatInt(d.ID, 10)
	var buttons []slack.BlockElement
	if counts[domain.StatusTriggered] > 0 {
		ack := slack.NewButtonBlockElement(actionDigestAckAll, id, chat.Plain(fmt.Sprintf("Acknowledge all (%d)", counts[domain.StatusTriggered])))
		ack.Confirm = slack.NewConfirmationBlockObject(chat.Plain("Acknowledge all?"), chat.Plain(digestBulkConfirmText+" acknowledge the triggered ones."), chat.Plain("Acknowledge"), chat.Plain("Cancel"))
		buttons = append(buttons, ack)
	}
	if open := counts[domain.StatusTriggered] + counts[domain.StatusAcknowledged]; open > 0 {
		res := slack.NewButtonBlockElement(actionDigestResolve, id, chat.Plain(fmt.Sprintf("Resolve all (%d)", open)))
		res.Confirm = slack.NewConfirmationBlockObject(chat.Plain("Resolve all?"), chat.Plain(digestBulkConfirmText+" resolve every open one."), chat.Plain("Resolve"), chat.Plain("Cancel"))
		buttons = append(buttons, res)
	}
	buttons = append(buttons, slack.NewButtonBlockElement(actionDigestList, id, chat.Plain("List")))
	blocks = append(blocks, slack.NewActionBlock("digest/"+id, buttons...))
	return chat.Message{
		Text:     fmt.Sprintf("Alert storm on %s: %d more incidents", d.ServiceName, len(d.Members)),
		Blocks:   blocks,
		Metadata: &chat.Metadata{EventType: metadataDigest, Key: id},
	}
}

// renderDigests posts new digests and updates changed ones, once per
// batch however many incidents joined.
func (a *Feature) renderDigests(ctx context.Context) {
	if a.Feed == nil {
		return
	}
	digests, err := a.Feed.DirtyDigests(ctx)
	if err != nil {
		a.Log.Warn().Err(err).Msg("digests unreadable")
		return
	}
	for _, d := range digests {
		a.renderDigest(ctx, d.ID)
	}
}

// renderDigest posts or updates one digest, under the digest's lock so
// that of replicas rendering at once one posts it and the others find it
// up to date (re-read under the lock).
func (a *Feature) renderDigest(ctx context.Context, id int64) {
	unlock, err := a.Store.LockIncident(ctx, "digest/"+strconv.FormatInt(id, 10))
	if err != nil {
		a.Log.Warn().Err(err).Int64("digest", id).Msg("digest not locked; will retry")
		return
	}
	defer unlock()
	d, err := a.Feed.Digest(ctx, id)
	if err != nil || d.Version <= d.Rendered {
		return
	}
	msg := renderDigest(d)
	ts := d.TS
	if ts == "" {
		found := false
		ts, found, err = a.Slack.FindMessage(ctx, d.ChannelID, d.StartedAt.Add(-a.Storm.Window), metadataDigest, strconv.FormatInt(d.ID, 10))
		if err == nil && !found {
			ts, err = a.Slack.PostMessage(ctx, d.ChannelID, msg)
		} else if err == nil {
			err = a.Slack.UpdateMessage(ctx, d.ChannelID, ts, msg)
		}
	} else {
		err = a.Slack.UpdateMessage(ctx, d.ChannelID, ts, msg)
	}
	if err != nil {
		a.Log.Warn().Err(err).Int64("digest", d.ID).Msg("digest not shown; will retry")
		return
	}
	if err := a.Feed.MarkDigestRendered(ctx, d.ID, ts, d.Version); err != nil {
		a.Log.Warn().Err(err).Int64("digest", d.ID).Msg("digest shown but not recorded")
	}
}

// DigestClick handles Acknowledge all, Resolve all and List on a digest.
func (a *Feature) DigestClick(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response {
	place := chat.PlaceOf(cb)
	id, err := strconv.ParseInt(act.Value, 10, 64)
	if err != nil || a.Feed == nil || a.PagerDuty == nil {
		return chat.RespondLater(a.Slack, place.ResponseURL, chat.Message{Text: ":thinking_face: That digest is from an older toban."})
	}
	return chat.Response{Then: func(ctx context.Context) error {
		d, err := a.Feed.Digest(ctx, id)
		if err != nil {
			return err
		}
		if act.ActionID == actionDigestList {
			var lines []string
			for _, m := range d.Members {
				lines = append(lines, fmt.Sprintf("%s #%d %s", statusEmoji[m.Status], m.Number, chat.Escape(m.Title)))
			}
			return chat.TellClicker(ctx, a.Slack, place, chat.Message{Text: fmt.Sprintf("*%d incidents on %s in this storm:*\n%s", len(d.Members), chat.Escape(d.ServiceName), strings.Join(lines, "\n"))})
		}
		if first, err := a.Store.FirstClick(ctx, chat.ClickKey(cb, act)); err != nil || !first {
			return err
		}
		actor, ok, err := identity.ActorFor(ctx, a, a.Slack, place)
		if !ok {
			return err
		}
		done, skipped := 0, 0
		for _, m := range d.Members {
			acted, err := a.digestOne(ctx, act.ActionID, m.IncidentID, actor)
			switch {
			case err != nil:
				a.Log.Warn().Err(err).Str("incident", m.IncidentID).Msg("digest bulk action failed for one incident")
				skipped++
			case acted:
				done++
			default:
				skipped++
			}
		}
		a.renderDigests(ctx)
		return chat.TellClicker(ctx, a.Slack, place, chat.Message{Text: fmt.Sprintf(":white_check_mark: Done for %d incidents; %d skipped (already changed or failed).", done, skipped)})
	}}
}

func (a *Feature) digestOne(ctx context.Context, action, incidentID string, actor domain.Person) (bool, error) {
	inc, unlock, err := a.lockIncident(ctx, incidentID)
	if err != nil {
		return false, err
	}
	defer unlock()
	switch {
	case action == actionDigestAckAll && inc.Status == domain.StatusTriggered:
		inc, err = a.PagerDuty.Acknowledge(ctx, incidentID, actor)
	case action == actionDigestResolve && inc.Open():
		inc, err = a.PagerDuty.Resolve(ctx, incidentID, actor)
	default:
		return false, a.Feed.SetDigestMemberStatus(ctx, incidentID, inc.Status)
	}
	if err != nil {
		return false, err
	}
	return true, a.Feed.SetDigestMemberStatus(ctx, incidentID, inc.Status)
}
