package slackfake

import (
	"encoding/json"
	"slices"
	"strings"
)

// methodScopes are the bot-token scopes each Web API method requires, as
// Slack's method reference lists them: any one of a method's scopes is
// enough (a public or a private channel's). Methods absent here need none
// (auth.test, views.*, chat.getPermalink).
var methodScopes = map[string][]string{
	"chat.postMessage":             {"chat:write"},
	"chat.update":                  {"chat:write"},
	"chat.delete":                  {"chat:write"},
	"chat.postEphemeral":           {"chat:write"},
	"users.info":                   {"users:read"},
	"users.list":                   {"users:read"},
	"users.lookupByEmail":          {"users:read.email"},
	"conversations.info":           {"channels:read", "groups:read"},
	"conversations.list":           {"channels:read", "groups:read"},
	"conversations.members":        {"channels:read", "groups:read"},
	"conversations.history":        {"channels:history", "groups:history"},
	"conversations.replies":        {"channels:history", "groups:history"},
	"conversations.create":         {"channels:manage", "groups:write"},
	"conversations.invite":         {"channels:manage", "groups:write"},
	"conversations.archive":        {"channels:manage", "groups:write"},
	"usergroups.list":              {"usergroups:read"},
	"usergroups.users.list":        {"usergroups:read"},
	"usergroups.users.update":      {"usergroups:write"},
	"files.getUploadURLExternal":   {"files:write"},
	"files.completeUploadExternal": {"files:write"},
	"files.list":                   {"files:read"},
	"files.info":                   {"files:read"},
	"files.download":               {"files:read"},
}

// missingScopeLocked is Slack's missing_scope answer when the bot token
// was not granted a scope method needs, with the needed and provided
// fields Slack adds; ok is false when the method may run. Without
// Options.BotScopes every scope is granted.
func (s *Server) missingScopeLocked(method string) (reply, bool) {
	granted := s.opts.BotScopes
	needed := methodScopes[method]
	if granted == nil || len(needed) == 0 {
		return reply{}, false
	}
	for _, sc := range needed {
		if slices.Contains(granted, sc) {
			return reply{}, false
		}
	}
	b, _ := json.Marshal(map[string]any{"ok": false, "error": "missing_scope",
		"needed": strings.Join(needed, ","), "provided": strings.Join(granted, ",")})
	return reply{status: 200, body: b, err: "missing_scope"}, true
}

// MissingScopes lists the scopes calls were refused for, sorted, so a test
// can show which scope the manifest lacks.
func (s *Server) MissingScopes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.calls {
		if c.Error != "missing_scope" {
			continue
		}
		for _, sc := range methodScopes[c.Method] {
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	slices.Sort(out)
	return out
}
