package slackfake

import (
	"strconv"
	"strings"
)

// conversationsList answers conversations.list with the channels added
// with AddChannel (public "C…" and private "G…"), paginated by cursor.
func (s *Server) conversationsList(req *apiReq) reply {
	limit, _ := strconv.Atoi(req.str("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	start, _ := strconv.Atoi(req.str("cursor"))
	var all []map[string]any
	for _, id := range s.chanOrder {
		c := s.channels[id]
		if !c.added || strings.HasPrefix(c.id, "D") {
			continue
		}
		all = append(all, map[string]any{
			"id": c.id, "name": c.name, "is_channel": strings.HasPrefix(c.id, "C"),
			"is_group": strings.HasPrefix(c.id, "G"), "is_private": strings.HasPrefix(c.id, "G"),
			"is_member": true, "is_archived": false, "created": 1700000000, "context_team_id": TeamID,
		})
	}
	if start > len(all) {
		start = len(all)
	}
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return ok(map[string]any{"channels": all[start:end], "response_metadata": map[string]any{"next_cursor": next}})
}
