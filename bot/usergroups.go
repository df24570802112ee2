package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
)

// userGroupError maps Slack's paid_teams_only to domain.ErrPaidPlanOnly.
func userGroupError(what string, err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "paid_teams_only" {
		return fmt.Errorf("%s: %w", what, domain.ErrPaidPlanOnly)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// UserGroups lists the workspace's user groups with their members
// (usergroups.list with include_users). A free plan answers
// domain.ErrPaidPlanOnly.
func (w *WebAPI) UserGroups(ctx context.Context) ([]domain.UserGroup, error) {
	groups, err := w.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
	if err != nil {
		return nil, userGroupError("list user groups", err)
	}
	out := make([]domain.UserGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, domain.UserGroup{ID: g.ID, Handle: g.Handle, Name: g.Name, Members: g.Users})
	}
	return out, nil
}

// UserGroupMembers lists a user group's members (usergroups.users.list).
func (w *WebAPI) UserGroupMembers(ctx context.Context, groupID string) ([]string, error) {
	users, err := w.api.GetUserGroupMembersContext(ctx, groupID)
	if err != nil {
		return nil, userGroupError("list members of "+groupID, err)
	}
	return users, nil
}

// UpdateUserGroupMembers replaces a user group's members
// (usergroups.users.update). Slack refuses an empty list; so does this.
func (w *WebAPI) UpdateUserGroupMembers(ctx context.Context, groupID string, users []string) error {
	if len(users) == 0 {
		return fmt.Errorf("update members of %s: %w", groupID, domain.Invalid("a user group cannot be emptied"))
	}
	if _, err := w.api.UpdateUserGroupMembersContext(ctx, groupID, strings.Join(users, ",")); err != nil {
		return userGroupError("update members of "+groupID, err)
	}
	return nil
}

// UserIDByEmail finds the Slack user with this email (users.lookupByEmail);
// domain.ErrNotFound when there is none.
func (w *WebAPI) UserIDByEmail(ctx context.Context, email string) (string, error) {
	u, err := w.api.GetUserByEmailContext(ctx, email)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && se.Err == "users_not_found" {
			return "", fmt.Errorf("users.lookupByEmail: %w", domain.ErrNotFound)
		}
		return "", fmt.Errorf("users.lookupByEmail: %w", err)
	}
	return u.ID, nil
}
