package slackfake

// UserGroup is a Slack user group (@sre): paid plans only.
type UserGroup struct {
	ID, Handle, Name string
	Users            []string
}

// AddUserGroup creates a user group with these members.
func (s *Server) AddUserGroup(g UserGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userGroups = append(s.userGroups, g)
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
}

// usergroups.list: every group, with "users" when include_users is true.
func (s *Server) usergroupsList(req *apiReq) reply {
	if s.freePlan {
		return fail("paid_teams_only")
	}
	withUsers := req.str("include_users") == "true"
	groups := make([]map[string]any, 0, len(s.userGroups))
	for _, g := range s.userGroups {
		j := map[string]any{"id": g.ID, "team_id": TeamID, "is_usergroup": true, "name": g.Name, "handle": g.Handle,
			"user_count": len(g.Users)}
		if withUsers {
			j["users"] = append([]string{}, g.Users...)
		}
		groups = append(groups, j)
	}
	return ok(map[string]any{"usergroups": groups})
}
