package slackfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
)

// History limits of conversations.history.
const (
	historyDefaultLimit = 100 // limit when absent or < 1
	historyMaxLimit     = 999 // larger limits are clamped to this
)

// conversationsHistory answers conversations.history the way Slack does:
// the channel's top-level messages (thread replies and ephemerals left
// out, thread parents carrying reply_count etc.), newest first, between
// oldest and latest (both exclusive unless inclusive is set), at most limit
// per page, with has_more and an opaque next_cursor. Metadata is included
// only with include_all_metadata. The bot need not be a member.
//
// Unlike Slack, giving oldest without latest still returns the newest
// messages of the range first rather than those closest to oldest.
func (s *Server) conversationsHistory(req *apiReq) reply {
	c, found := s.lookupChannelLocked(req.str("channel"))
	if !found {
		return fail("channel_not_found")
	}
	oldest, valid := parseTSKey(req.str("oldest"), 0)
	if !valid {
		return fail("invalid_ts_oldest")
	}
	latest, valid := parseTSKey(req.str("latest"), math.MaxInt64)
	if !valid {
		return fail("invalid_ts_latest")
	}
	limit := historyDefaultLimit
	if v := req.str("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fail("invalid_limit")
		}
		if n >= 1 {
			limit = min(n, historyMaxLimit)
		}
	}
	start := int64(math.MaxInt64) // the newest ts the page may hold
	if cur := req.str("cursor"); cur != "" {
		var valid bool
		if start, valid = decodeCursor(cur); !valid {
			return fail("invalid_cursor")
		}
	}
	inclusive, withMeta := truthy(req.str("inclusive")), truthy(req.str("include_all_metadata"))

	threads := threadSummaries(c)
	var page []map[string]any
	hasMore, next := false, ""
	for _, r := range slices.Backward(c.msgs) {
		if r.deleted || (r.ThreadTS != "" && r.ThreadTS != r.TS) {
			continue
		}
		key, _ := parseTSKey(r.TS, 0)
		if key > start || !inRange(key, oldest, latest, inclusive) {
			continue
		}
		if len(page) == limit {
			hasMore, next = true, encodeCursor(key)
			break
		}
		page = append(page, historyWire(r, threads[r.TS], withMeta))
	}
	if page == nil {
		page = []map[string]any{}
	}
	return ok(map[string]any{
		"messages": page, "has_more": hasMore, "pin_count": 0,
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

// threadSummary is what a thread parent shows about its replies.
type threadSummary struct {
	count  int
	latest string
	users  []string
}

// threadSummaries summarises the live replies of c's threads by parent ts.
func threadSummaries(c *channel) map[string]*threadSummary {
	out := map[string]*threadSummary{}
	for _, r := range c.msgs {
		if r.deleted || r.ThreadTS == "" || r.ThreadTS == r.TS {
			continue
		}
		t := out[r.ThreadTS]
		if t == nil {
			t = &threadSummary{}
			out[r.ThreadTS] = t
		}
		t.count++
		t.latest = r.TS
		if !slices.Contains(t.users, r.User) {
			t.users = append(t.users, r.User)
		}
	}
	return out
}

// historyWire is a message as conversations.history lists it.
func historyWire(r *msgRec, t *threadSummary, withMeta bool) map[string]any {
	w := r.wire()
	if t != nil {
		w["thread_ts"], w["reply_count"], w["reply_users_count"] = r.TS, t.count, len(t.users)
		w["latest_reply"], w["reply_users"] = t.latest, slices.Clone(t.users)
	}
	if withMeta && nonEmptyJSON(r.Metadata) {
		w["metadata"] = clone(r.Metadata)
	}
	return w
}

// inRange reports whether ts key k lies between oldest and latest.
func inRange(k, oldest, latest int64, inclusive bool) bool {
	if inclusive {
		return k >= oldest && k <= latest
	}
	return k > oldest && k < latest
}

// parseTSKey turns a Slack timestamp ("1700000000.000100", "1700000000",
// "1700000000.5") into microseconds, so timestamps compare as numbers. ""
// gives def; ok is false for anything that is not a timestamp.
func parseTSKey(ts string, def int64) (int64, bool) {
	if ts == "" {
		return def, true
	}
	secs, frac, _ := strings.Cut(ts, ".")
	if secs == "" || len(frac) > 6 && strings.Trim(frac[6:], "0123456789") != "" {
		return 0, false
	}
	frac = (frac + "000000")[:6]
	sec, err1 := strconv.ParseUint(secs, 10, 32)
	usec, err2 := strconv.ParseUint(frac, 10, 32)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return int64(sec)*1_000_000 + int64(usec), true
}

// encodeCursor makes a next_cursor the way Slack does: base64 of
// "next_ts:" and the ts digits of the first message of the next page.
func encodeCursor(key int64) string {
	return base64.StdEncoding.EncodeToString([]byte("next_ts:" + strconv.FormatInt(key, 10)))
}

// decodeCursor reverses encodeCursor.
func decodeCursor(cur string) (int64, bool) {
	b, err := base64.StdEncoding.DecodeString(cur)
	if err != nil {
		return 0, false
	}
	digits, found := strings.CutPrefix(string(b), "next_ts:")
	if !found {
		return 0, false
	}
	key, err := strconv.ParseInt(digits, 10, 64)
	return key, err == nil && key >= 0
}

// truthy reads a boolean argument ("1"/"true" as Slack accepts them).
func truthy(v string) bool {
	return v == "1" || strings.EqualFold(v, "true")
}

// metadataArg returns the metadata argument; an empty one counts as absent.
func metadataArg(req *apiReq) (json.RawMessage, bool) {
	raw, has := req.rawJSON("metadata")
	return raw, has && len(bytes.TrimSpace(raw)) > 0
}

// parseMetadata validates a metadata argument the way Slack does: a JSON
// object with a non-empty string event_type and an object (or absent or
// null) event_payload; anything else is invalid_metadata_format. It
// returns the compacted object, or nil for {}.
func parseMetadata(raw json.RawMessage) (json.RawMessage, string) {
	var md map[string]json.RawMessage
	if json.Unmarshal(raw, &md) != nil || md == nil {
		return nil, "invalid_metadata_format"
	}
	if len(md) == 0 {
		return nil, ""
	}
	var eventType string
	if json.Unmarshal(md["event_type"], &eventType) != nil || eventType == "" {
		return nil, "invalid_metadata_format"
	}
	if p, has := md["event_payload"]; has && string(p) != "null" {
		var obj map[string]json.RawMessage
		if json.Unmarshal(p, &obj) != nil {
			return nil, "invalid_metadata_format"
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return nil, "invalid_metadata_format"
	}
	return b.Bytes(), ""
}
