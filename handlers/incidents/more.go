package incidents

import (
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// ActionMore is the card's "More actions…" menu. Each option's value is
// "<kind>/<incident ID>" (MoreValue); the router hands each kind to the
// feature that owns it, so this feature only draws the menu.
const ActionMore = "incident.more"

// The kinds of "More actions…" in the order the menu lists them.
const (
	MoreStatusUpdate = "status"
	MoreReassign     = "reassign"
	MoreSnooze       = "snooze"
	MorePriority     = "priority"
	MoreResponders   = "responders"
	MoreChannel      = "channel"
)

// moreOptions are the menu's entries. A static select rather than an
// overflow: an overflow holds at most five options.
var moreOptions = []struct{ kind, label string }{
	{MoreStatusUpdate, "Post status update"},
	{MoreReassign, "Reassign…"},
	{MoreSnooze, "Snooze…"},
	{MorePriority, "Change priority…"},
	{MoreResponders, "Add responders…"},
	{MoreChannel, "Open incident channel"},
}

// MoreValue is the value of the menu option of kind for incidentID.
func MoreValue(kind, incidentID string) string { return kind + "/" + incidentID }

// ParseMoreValue splits a menu option's value; ok is false for a value
// this version did not write.
func ParseMoreValue(v string) (kind, incidentID string, ok bool) {
	kind, incidentID, ok = strings.Cut(v, "/")
	return kind, incidentID, ok && kind != "" && incidentID != ""
}

// moreMenu is the "More actions…" menu of an open incident's card.
func moreMenu(inc domain.Incident) slack.BlockElement {
	opts := make([]*slack.OptionBlockObject, len(moreOptions))
	for i, o := range moreOptions {
		opts[i] = slack.NewOptionBlockObject(MoreValue(o.kind, inc.ID), chat.Plain(o.label), nil)
	}
	return slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, chat.Plain("More actions…"), ActionMore, opts...)
}
