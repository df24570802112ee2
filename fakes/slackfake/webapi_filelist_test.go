package slackfake

import (
	"bytes"
	"context"
	"testing"

	"github.com/slack-go/slack"
)

func TestSharedFiles(t *testing.T) {
	f := newFake(t, fastOptions())
	api := apiFor(f)
	ctx := context.Background()
	alice, bob := f.User("U1").In("C1"), f.User("U2").In("C1")
	old := alice.ShareFile(t, "old.csv", []byte("a,b\n"))
	bob.ShareFile(t, "bob.csv", []byte("bob\n"))
	alice.In("C2").ShareFile(t, "elsewhere.csv", []byte("x\n"))
	newest := alice.ShareFile(t, "shifts.csv", []byte("schedule,email\nPrimary,a@b\n"))

	t.Run("ListByUserAndChannelNewestFirst", func(t *testing.T) {
		params := slack.NewGetFilesParameters()
		params.User, params.Channel = "U1", "C1"
		files, paging, err := api.GetFilesContext(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 2 || files[0].ID != newest.ID || files[1].ID != old.ID || paging.Total != 2 {
			t.Fatalf("files = %+v, paging %+v", files, paging)
		}
		if got := files[0]; got.Name != "shifts.csv" || got.Filetype != "csv" || got.User != "U1" ||
			got.Size != len(newest.Content) || got.URLPrivateDownload == "" || got.Created == 0 {
			t.Errorf("file = %+v", got)
		}
	})
	t.Run("Paging", func(t *testing.T) {
		files, next, err := api.ListFilesContext(ctx, slack.ListFilesParameters{Limit: 2})
		if err != nil || len(files) != 2 || next.Cursor == "" {
			t.Fatalf("first page = %d files, cursor %q, %v", len(files), next.Cursor, err)
		}
		rest, next, err := api.ListFilesContext(ctx, *next)
		if err != nil || len(rest) != 2 || next.Cursor != "" {
			t.Errorf("second page = %d files, cursor %q, %v", len(rest), next.Cursor, err)
		}
	})
	t.Run("InfoAndDownload", func(t *testing.T) {
		file, _, _, err := api.GetFileInfoContext(ctx, newest.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := api.GetFileContext(ctx, file.URLPrivateDownload, &buf); err != nil {
			t.Fatal(err)
		}
		if buf.String() != string(newest.Content) {
			t.Errorf("downloaded %q, want %q", buf.String(), newest.Content)
		}
	})
	t.Run("ErrUnknownFile", func(t *testing.T) {
		_, _, _, err := api.GetFileInfoContext(ctx, "F404", 0, 0)
		slackErr(t, err, "file_not_found")
	})
	t.Run("ErrDownloadNeedsToken", func(t *testing.T) {
		other := slack.New("xoxb-wrong", slack.OptionAPIURL(f.URL()))
		file, _, _, _ := api.GetFileInfoContext(ctx, newest.ID, 0, 0)
		var buf bytes.Buffer
		// The fake answers {"ok":false,"error":"invalid_auth"} as the body.
		if err := other.GetFileContext(ctx, file.URLPrivateDownload, &buf); err == nil && bytes.Equal(buf.Bytes(), newest.Content) {
			t.Errorf("downloaded with a wrong token")
		}
	})
	t.Run("ShareShowsAsMessage", func(t *testing.T) {
		msgs := f.Messages("C1")
		last := msgs[len(msgs)-1]
		if last.User != "U1" || len(last.Files) != 1 || last.Files[0] != newest.ID {
			t.Errorf("last message = %+v", last)
		}
	})
}
