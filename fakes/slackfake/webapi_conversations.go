package slackfake

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Channel management: conversations.create, conversations.invite and
// conversations.archive, with the naming rules and errors Slack documents.

// maxChannelName is Slack's limit on a channel name's length.
const maxChannelName = 80

func init() {
	methods["conversations.create"] = (*Server).conversationsCreate
	methods["conversations.invite"] = (*Server).conversationsInvite
	methods["conversations.archive"] = (*Server).conversationsArchive
	methods["conversations.members"] = (*Server).conversationsMembers
}

// channelNameError is Slack's complaint about a channel name, or "".
// Names may hold only lowercase letters, digits, hyphens and
// underscores, at most 80 of them, not only punctuation.
func channelNameError(name string) string {
	switch {
	case name == "":
		return "invalid_name_required"
	case len([]rune(name)) > maxChannelName:
		return "invalid_name_maxlength"
	}
	letters := false
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			letters = true
		case r == '-' || r == '_':
		default:
			return "invalid_name_specials"
		}
	}
	if !letters {
		return "invalid_name_punctuation"
	}
	return ""
}

// createdLocked is a channel's "created" time: Options.Now when set,
// otherwise the fixed instant the fake's ts count from.
func (s *Server) createdLocked() int64 {
	if s.opts.Now != nil {
		return s.opts.Now().Unix()
	}
	return 1700000000
}

// channelJSONLocked renders a conversation object.
func (s *Server) channelJSONLocked(c *channel) map[string]any {
	private := c.private || !strings.HasPrefix(c.id, "C")
	created := c.created
	if created == 0 {
		created = 1700000000
	}
	out := map[string]any{
		"id": c.id, "name": c.name, "name_normalized": c.name,
		"is_channel": strings.HasPrefix(c.id, "C") && !private, "is_group": private,
		"is_im": strings.HasPrefix(c.id, "D"), "is_mpim": false, "is_private": private,
		"is_member": true, "is_archived": c.archived, "is_general": false,
		"created": created, "creator": c.creator, "context_team_id": TeamID,
		"topic":          map[string]any{"value": "", "creator": "", "last_set": 0},
		"purpose":        map[string]any{"value": "", "creator": "", "last_set": 0},
		"previous_names": []string{},
	}
	if c.members != nil {
		out["num_members"] = len(c.members)
	}
	return out
}

// conversations.create: name (validated, never changed), is_private.
// The bot creates the channel and is its first member.
func (s *Server) conversationsCreate(req *apiReq) reply {
	name := req.str("name")
	if code := channelNameError(name); code != "" {
		return fail(code)
	}
	for _, id := range s.chanOrder {
		if c := s.channels[id]; c.added && c.name == name {
			return fail("name_taken")
		}
	}
	c := s.channelLocked(fmt.Sprintf("C%08d", s.nextLocked()), true)
	c.name, c.added = name, true
	c.private = req.str("is_private") == "true"
	c.created, c.creator = s.createdLocked(), s.opts.BotUserID
	c.members = []string{s.opts.BotUserID}
	return ok(map[string]any{"channel": s.channelJSONLocked(c)})
}

// conversations.invite: channel, users (comma-separated IDs, at most
// 1000). All or nothing, as without force=true.
func (s *Server) conversationsInvite(req *apiReq) reply {
	c, found := s.lookupChannelLocked(req.str("channel"))
	if !found {
		return fail("channel_not_found")
	}
	if c.archived {
		return fail("is_archived")
	}
	raw := strings.TrimSpace(req.str("users"))
	if raw == "" {
		return fail("no_user")
	}
	ids := strings.Split(raw, ",")
	if len(ids) > 1000 {
		return fail("too_many_users")
	}
	for i, id := range ids {
		id = strings.TrimSpace(id)
		ids[i] = id
		switch _, known := s.users[id]; {
		case id == s.opts.BotUserID:
			return fail("cant_invite_self")
		case !known:
			return fail("user_not_found")
		case slices.Contains(c.members, id):
			return fail("already_in_channel")
		}
	}
	if c.members == nil {
		c.members = []string{s.opts.BotUserID}
	}
	for _, id := range ids {
		if !slices.Contains(c.members, id) {
			c.members = append(c.members, id)
		}
	}
	return ok(map[string]any{"channel": s.channelJSONLocked(c)})
}

// conversations.archive: channel. Archived channels refuse messages and
// invitations (is_archived).
func (s *Server) conversationsArchive(req *apiReq) reply {
	c, found := s.lookupChannelLocked(req.str("channel"))
	if !found {
		return fail("channel_not_found")
	}
	if c.archived {
		return fail("already_archived")
	}
	c.archived = true
	return ok(nil)
}

// conversations.members: channel, cursor, limit (default 100, at most
// 1000) → member IDs. A channel whose members the fake does not track
// lists the bot alone.
func (s *Server) conversationsMembers(req *apiReq) reply {
	c, found := s.lookupChannelLocked(req.str("channel"))
	if !found {
		return fail("channel_not_found")
	}
	members := c.members
	if members == nil {
		members = []string{s.opts.BotUserID}
	}
	limit, _ := strconv.Atoi(req.str("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	start, _ := strconv.Atoi(req.str("cursor"))
	start = min(max(start, 0), len(members))
	end := min(start+limit, len(members))
	next := ""
	if end < len(members) {
		next = strconv.Itoa(end)
	}
	return ok(map[string]any{"members": slices.Clone(members[start:end]),
		"response_metadata": map[string]any{"next_cursor": next}})
}

// ChannelMembers returns who is in a channel, in the order they joined
// (the bot first for channels it created), or nil for a channel whose
// members the fake does not track (one added with AddChannel and never
// invited to).
func (s *Server) ChannelMembers(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[id]; c != nil {
		return slices.Clone(c.members)
	}
	return nil
}

// ChannelByName returns the ID of the channel with that name.
func (s *Server) ChannelByName(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.chanOrder {
		if c := s.channels[id]; c.added && c.name == name {
			return id, true
		}
	}
	return "", false
}

// ChannelArchived reports whether a channel was archived.
func (s *Server) ChannelArchived(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[id]
	return c != nil && c.archived
}
