package bot

import (
	"bytes"
	"context"
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
