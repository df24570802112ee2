package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
)

// UploadFile shares content in channel as a file called filename with a
// title (files.getUploadURLExternal, the upload, then
// files.completeUploadExternal, as slack-go's UploadFileContext does).
// It is paced like a post in the channel, since sharing posts a message.
// An empty file is refused: Slack has no upload URL for zero bytes.
func (w *WebAPI) UploadFile(ctx context.Context, channel, filename, title string, content []byte) error {
	if len(content) == 0 {
		return fmt.Errorf("upload %s to %s: the file is empty", filename, channel)
	}
	err := w.pacer.do(ctx, channel, false, func() error {
		_, err := w.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Channel: channel, Filename: filename, Title: title,
			FileSize: len(content), Reader: bytes.NewReader(content),
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("upload %s to %s: %w", filename, channel, err)
	}
	return nil
}

// UploadFileIn shares content as a file replying in the thread threadTS of
// channel (files.completeUploadExternal's thread_ts).
func (w *WebAPI) UploadFileIn(ctx context.Context, channel, threadTS, filename, title string, content []byte) error {
	if len(content) == 0 {
		return fmt.Errorf("upload %s to %s: the file is empty", filename, channel)
	}
	err := w.pacer.do(ctx, channel, false, func() error {
		_, err := w.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Channel: channel, ThreadTimestamp: threadTS, Filename: filename, Title: title,
			FileSize: len(content), Reader: bytes.NewReader(content),
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("upload %s to %s: %w", filename, channel, err)
	}
	return nil
}

// GroupHandles lists the handles ("@sre") of the Slack user groups userID
// is in (usergroups.list with include_users). A workspace without user
// groups (a free plan) has none.
func (w *WebAPI) GroupHandles(ctx context.Context, userID string) ([]string, error) {
	groups, err := w.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && se.Err == "paid_teams_only" {
			return nil, nil
		}
		return nil, fmt.Errorf("list user groups: %w", err)
	}
	var out []string
	for _, g := range groups {
		for _, u := range g.Users {
			if u == userID {
				out = append(out, "@"+g.Handle)
				break
			}
		}
	}
	return out, nil
}
