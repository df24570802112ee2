package bot

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/metrics"
)

func TestUploadFile(t *testing.T) {
	fake := slackfake.New(slackfake.Options{StrictChannels: true})
	t.Cleanup(fake.Close)
	fake.AddChannel("C1", "ops")
	m := metrics.New()
	sc := SlackConfig{AppToken: fake.AppToken(), BotToken: fake.BotToken(), APIURL: fake.URL()}
	web := NewWebAPI(NewSlackClient(sc, m, zerolog.New(io.Discard)), sc, m)
	ctx := context.Background()
	content := []byte("row,service\ntotal,Total\n")

	if err := web.UploadFile(ctx, "C1", "report.csv", "Incident report", content); err != nil {
		t.Fatal(err)
	}
	files := fake.Files()
	if len(files) != 1 {
		t.Fatalf("%d files, want 1", len(files))
	}
	if f := files[0]; f.Name != "report.csv" || f.Title != "Incident report" || f.Channel != "C1" || !bytes.Equal(f.Content, content) {
		t.Errorf("file = %+v, want report.csv shared in C1 with the content", f)
	}
	if err := web.UploadFile(ctx, "C1", "empty.csv", "Empty", nil); err == nil {
		t.Error("an empty file was uploaded")
	}
	if err := web.UploadFile(ctx, "CNOPE", "report.csv", "Incident report", content); err == nil {
		t.Error("upload to an unknown channel succeeded")
	}
}
