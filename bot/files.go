package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

// errTooBig stops a download that outgrew its limit.
var errTooBig = errors.New("file too big")

// cappedBuffer is a bytes.Buffer that refuses to grow past max.
type cappedBuffer struct {
	bytes.Buffer
	max int64
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if int64(b.Len()+len(p)) > b.max {
		return 0, errTooBig
	}
	return b.Buffer.Write(p)
}

// NewestFile finds the newest file with extension ext (".csv") that
// userID shared in channelID, and downloads it (files.list, then its
// url_private_download; needs the files:read scope). None is
// domain.ErrNotFound; one over maxBytes is domain.ErrInvalid.
func (w *WebAPI) NewestFile(ctx context.Context, channelID, userID, ext string, maxBytes int64) (chat.SharedFile, error) {
	params := slack.NewGetFilesParameters()
	params.User, params.Channel, params.Count = userID, channelID, 50
	files, _, err := w.api.GetFilesContext(ctx, params)
	if err != nil {
		return chat.SharedFile{}, fmt.Errorf("files.list in %s: %w", channelID, err)
	}
	ext = strings.ToLower(ext)
	var found []slack.File
	for _, f := range files {
		if f.User == userID && (strings.HasSuffix(strings.ToLower(f.Name), ext) || "."+strings.ToLower(f.Filetype) == ext) {
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		return chat.SharedFile{}, fmt.Errorf("no %s file from %s in %s: %w", ext, userID, channelID, domain.ErrNotFound)
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].Created > found[j].Created })
	f := found[0]
	out := chat.SharedFile{ID: f.ID, Name: f.Name, Created: time.Unix(int64(f.Created), 0)}
	if int64(f.Size) > maxBytes {
		return out, fmt.Errorf("file %s: %w", f.ID, domain.Invalid("%s is %d KB; files of at most %d KB are read.", f.Name, f.Size>>10, maxBytes>>10))
	}
	buf := &cappedBuffer{max: maxBytes}
	if err := w.api.GetFileContext(ctx, f.URLPrivateDownload, buf); err != nil {
		if errors.Is(err, errTooBig) {
			return out, fmt.Errorf("file %s: %w", f.ID, domain.Invalid("%s is larger than %d KB.", f.Name, maxBytes>>10))
		}
		return out, fmt.Errorf("download %s: %w", f.ID, err)
	}
	out.Content = buf.Bytes()
	return out, nil
}
