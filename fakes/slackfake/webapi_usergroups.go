package slackfake

import (
	"slices"
	"strconv"
	"strings"
)

// UserGroup is a Slack user group (@sre): paid plans only.
type UserGroup struct {
	ID, Handle, Name string
	Users            []string
}

// AddUserGroup creates a user group with these members.
func (s *Server) AddUserGroup(g UserGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.Users = slices.Clone(g.Users)
	s.userGroups = append(s.userGroups, g)
}

// UserGroupMembers returns a user group's members, or nil for an unknown
// group.
func (s *Server) UserGroupMembers(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.userGroupLocked(id); g != nil {
		return slices.Clone(g.Users)
	}
	return nil
}

// SetFreePlan makes the workspace a free one: user group methods answer
// paid_teams_only, as Slack does.
func (s *Server) SetFreePlan(free bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.freePlan = free
}

func init() {
	methods["usergroups.list"] = (*Server).usergroupsList
	methods["usergroups.users.list"] = (*Server).usergroupsUsersList
	methods["usergroups.users.update"] = (*Server).usergroupsUsersUpdate
	methods["users.list"] = (*Server).usersList
}

func (s *Server) userGroupLocked(id string) *UserGroup {
	for i := range s.userGroups {
		if s.userGroups[i].ID == id {
			return &s.userGroups[i]
		}
	}
	return nil
}

func userGroupJSON(g *UserGroup, withUsers bool) map[string]any {
	j := map[string]any{"id": g.ID, "team_id": TeamID, "is_usergroup": true, "name": g.Name, "handle": g.Handle,
		"user_count": len(g.Users)}
	if withUsers {
		j["users"] = append([]string{}, g.Users...)
	}
	return j
}

// usergroups.list: every group, with "users" when include_users is true.
func (s *Server) usergroupsList(req *apiReq) reply {
	if s.freePlan {
		return fail("paid_teams_only")
	}
	withUsers := req.str("include_users") == "true"
	groups := make([]map[string]any, 0, len(s.userGroups))
	for i := range s.userGroups {
		groups = append(groups, userGroupJSON(&s.userGroups[i], withUsers))
	}
	return ok(map[string]any{"usergroups": groups})
}

// usergroups.users.list: usergroup → {"users": [...]}.
func (s *Server) usergroupsUsersList(req *apiReq) reply {
	if s.freePlan {
		return fail("paid_teams_only")
	}
	id := req.str("usergroup")
	if id == "" {
		return fail("missing_argument")
	}
	g := s.userGroupLocked(id)
	if g == nil {
		return fail("no_such_subteam")
	}
	return ok(map[string]any{"users": append([]string{}, g.Users...)})
}

// usergroups.users.update: usergroup, users (comma-separated; the whole
// new membership). A group cannot be emptied this way (no_users_provided:
// Slack wants usergroups.disable for that); unknown users and bots are
// invalid_users.
func (s *Server) usergroupsUsersUpdate(req *apiReq) reply {
	if s.freePlan {
		return fail("paid_teams_only")
	}
	id := req.str("usergroup")
	if id == "" {
		return fail("missing_argument")
	}
	g := s.userGroupLocked(id)
	if g == nil {
		return fail("no_such_subteam")
	}
	var users []string
	for _, u := range strings.Split(req.str("users"), ",") {
		if u = strings.TrimSpace(u); u != "" && !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return fail("no_users_provided")
	}
	for _, u := range users {
		if known, ok := s.users[u]; !ok || known.IsBot {
			return fail("invalid_users")
		}
	}
	g.Users = users
	return ok(map[string]any{"usergroup": userGroupJSON(g, true)})
}

// users.list: every member of the workspace, paginated by cursor (limit
// default and maximum as slack-go asks: 200, up to 1000).
func (s *Server) usersList(req *apiReq) reply {
	limit, _ := strconv.Atoi(req.str("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	start, _ := strconv.Atoi(req.str("cursor"))
	start = min(max(start, 0), len(s.userOrder))
	end := min(start+limit, len(s.userOrder))
	members := make([]map[string]any, 0, end-start)
	for _, id := range s.userOrder[start:end] {
		members = append(members, s.userJSONLocked(s.users[id]))
	}
	next := ""
	if end < len(s.userOrder) {
		next = strconv.Itoa(end)
	}
	return ok(map[string]any{"members": members, "response_metadata": map[string]any{"next_cursor": next}})
}
