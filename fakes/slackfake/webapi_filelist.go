package slackfake

// Files people share in channels, and the Web API methods that find and
// read them: files.list, files.info and the private download URL.
//
// This file's name sorts after webapi.go on purpose: its init adds to the
// methods table that webapi.go's init creates, and Go runs a package's
// init functions in file name order.

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func init() {
	methods["files.list"] = (*Server).filesList
	methods["files.info"] = (*Server).filesInfo
	// Not a Slack method: the fake serves url_private_download here, on
	// the API host, because slack-go sends the token only to Slack's own
	// https hosts or to the API URL it was given.
	methods["files.download"] = (*Server).filesDownload
}

// ShareFile uploads a file as p and shares it in p.InChannel, the way a
// person drags a file into Slack: the channel gets a message from p
// carrying the file. It returns the file.
func (p *Person) ShareFile(t testing.TB, name string, content []byte) File {
	t.Helper()
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, found := s.lookupChannelLocked(p.InChannel)
	if !found {
		t.Fatalf("slackfake: ShareFile: no channel %s", p.InChannel)
	}
	f := &fileRec{File: File{ID: fmt.Sprintf("F%010d", s.nextLocked()), Name: name, Title: name,
		Channel: ch.id, Content: clone(content)}, uploaded: true, completed: true}
	s.files[f.ID] = f
	s.fileOrder = append(s.fileOrder, f)
	s.addMessageLocked(ch, Message{User: p.ID, Files: []string{f.ID}})
	s.notifyLocked()
	out := f.File
	out.Content = clone(content)
	return out
}

// shareLocked finds the message that shared a file: who shared it and when.
func (s *Server) shareLocked(f *fileRec) (user string, at time.Time) {
	if ch := s.channels[f.Channel]; ch != nil {
		for _, m := range ch.msgs {
			if slices.Contains(m.Files, f.ID) {
				return m.User, tsTime(m.TS)
			}
		}
	}
	return s.opts.BotUserID, time.Time{}
}

func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	n, _ := strconv.ParseInt(sec, 10, 64)
	micros, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(n, micros*1000)
}

// fileTypes maps extensions to Slack's filetype and pretty_type.
var fileTypes = map[string][2]string{
	".csv": {"csv", "CSV"}, ".txt": {"text", "Plain Text"}, ".png": {"png", "PNG"}, ".jpg": {"jpg", "JPEG"},
	".pdf": {"pdf", "PDF"}, ".zip": {"zip", "Zip"}, ".yaml": {"yaml", "YAML"}, ".json": {"json", "JSON"},
}

// typeGroups are files.list's types filter values.
var typeGroups = map[string][]string{
	"images": {"png", "jpg"}, "pdfs": {"pdf"}, "zips": {"zip"}, "snippets": {}, "spaces": {}, "gdocs": {},
}

func (s *Server) fileJSONLocked(f *fileRec) map[string]any {
	user, at := s.shareLocked(f)
	ft, ok := fileTypes[strings.ToLower(path.Ext(f.Name))]
	if !ok {
		ft = [2]string{"binary", "Binary"}
	}
	download := s.baseURL() + "/api/files.download?file=" + url.QueryEscape(f.ID)
	var channels []string
	if f.Channel != "" {
		channels = []string{f.Channel}
	}
	return map[string]any{
		"id": f.ID, "created": at.Unix(), "timestamp": at.Unix(), "name": f.Name, "title": f.Title,
		"mimetype": "text/plain", "filetype": ft[0], "pretty_type": ft[1], "user": user, "user_team": TeamID,
		"mode": "hosted", "editable": false, "is_external": false, "external_type": "", "is_public": strings.HasPrefix(f.Channel, "C"),
		"size": len(f.Content), "url_private": download, "url_private_download": download + "&download=1",
		"permalink": fmt.Sprintf("%sfiles/%s/%s/%s", WorkspaceURL, user, f.ID, f.Name),
		"channels":  channels, "groups": []string{}, "ims": []string{}, "comments_count": 0,
	}
}

// files.list: user, channel, ts_from, ts_to, types; count and page (the
// documented paging) or limit and cursor. Newest first.
func (s *Server) filesList(req *apiReq) reply {
	user, channel, types := req.str("user"), req.str("channel"), req.str("types")
	from, _ := strconv.ParseInt(req.str("ts_from"), 10, 64)
	to, err := strconv.ParseInt(req.str("ts_to"), 10, 64)
	if err != nil || to < 0 {
		to = 1 << 62
	}
	var match []*fileRec
	for i := len(s.fileOrder) - 1; i >= 0; i-- {
		f := s.fileOrder[i]
		if !f.completed || (channel != "" && f.Channel != channel) {
			continue
		}
		by, at := s.shareLocked(f)
		if (user != "" && by != user) || at.Unix() < from || at.Unix() > to || !typeWanted(types, f.Name) {
			continue
		}
		match = append(match, f)
	}
	count, page := 100, 1
	if n, err := strconv.Atoi(req.str("count")); err == nil && n > 0 {
		count = min(n, 1000)
	}
	if n, err := strconv.Atoi(req.str("limit")); err == nil && n > 0 {
		count = min(n, 1000)
	}
	if n, err := strconv.Atoi(req.str("page")); err == nil && n > 0 {
		page = n
	}
	if c := req.str("cursor"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			return fail("invalid_cursor")
		}
		page = n
	}
	lo := min((page-1)*count, len(match))
	hi := min(lo+count, len(match))
	out := make([]map[string]any, 0, hi-lo)
	for _, f := range match[lo:hi] {
		out = append(out, s.fileJSONLocked(f))
	}
	next := ""
	if hi < len(match) {
		next = strconv.Itoa(page + 1)
	}
	return ok(map[string]any{
		"files":             out,
		"paging":            map[string]any{"count": count, "total": len(match), "page": page, "pages": (len(match) + count - 1) / count},
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

func typeWanted(types, name string) bool {
	if types == "" || types == "all" {
		return true
	}
	ft := fileTypes[strings.ToLower(path.Ext(name))][0]
	for _, t := range strings.Split(types, ",") {
		if slices.Contains(typeGroups[strings.TrimSpace(t)], ft) {
			return true
		}
	}
	return false
}

// files.info: file → {"file", "comments", "paging"}.
func (s *Server) filesInfo(req *apiReq) reply {
	f := s.files[req.str("file")]
	if f == nil || !f.completed {
		return fail("file_not_found")
	}
	return ok(map[string]any{
		"file": s.fileJSONLocked(f), "comments": []any{},
		"paging":            map[string]any{"count": 100, "total": 0, "page": 1, "pages": 0},
		"response_metadata": map[string]any{"next_cursor": ""},
	})
}

// filesDownload serves a file's bytes to a GET with the bot token.
func (s *Server) filesDownload(req *apiReq) reply {
	f := s.files[req.str("file")]
	if f == nil || !f.completed {
		return reply{status: 404, body: []byte("file not found"), err: "file_not_found"}
	}
	return reply{status: 200, body: clone(f.Content)}
}
