package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// File is a file uploaded through files.getUploadURLExternal, the upload
// URL and files.completeUploadExternal.
type File struct {
	ID, Name, Title string
	Channel         string // "" until shared by completeUploadExternal
	Content         []byte
}

// fileState is the files part of Server, guarded by Server.mu.
type fileState struct {
	files     map[string]*fileRec
	fileOrder []*fileRec
}

type fileRec struct {
	File
	uploaded, completed bool
}

func (s *Server) initFiles() {
	s.files = map[string]*fileRec{}
}

// Files returns every file that was asked for an upload URL, in order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, len(s.fileOrder))
	shown := map[string]bool{}
	for i, f := range s.fileOrder {
		out[i] = f.File
		out[i].Content = clone(f.Content)
		shown[f.ID] = true
	}
	// The messages that share these files have been shown to the test
	// with them (see Unseen).
	for _, c := range s.channels {
		for _, m := range c.msgs {
			if slices.ContainsFunc(m.Files, func(id string) bool { return shown[id] }) {
				m.seen = true
			}
		}
	}
	return out
}

func (s *Server) filesGetUploadURLExternal(req *apiReq) reply {
	name := req.str("filename")
	length, err := strconv.Atoi(req.str("length"))
	if name == "" || err != nil || length <= 0 {
		return fail("invalid_arguments")
	}
	f := &fileRec{File: File{ID: fmt.Sprintf("F%010d", s.nextLocked()), Name: name}}
	s.files[f.ID] = f
	s.fileOrder = append(s.fileOrder, f)
	// The upload URL shares scheme and host with the API base: slack-go
	// refuses to send the token anywhere else.
	return ok(map[string]any{"upload_url": s.baseURL() + "/upload/" + f.ID, "file_id": f.ID})
}

// serveUpload receives the file bytes: multipart field "file" as slack-go
// sends it, or a raw body.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	var data []byte
	var err error
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		var part io.ReadCloser
		part, _, err = r.FormFile("file")
		if err == nil {
			data, err = io.ReadAll(part)
			_ = part.Close()
		}
	} else {
		data, err = io.ReadAll(r.Body)
	}
	if err != nil {
		http.Error(w, "bad upload: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	f := s.files[id]
	if f != nil {
		f.Content, f.uploaded = data, true
		s.notifyLocked()
	}
	s.mu.Unlock()
	if f == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = fmt.Fprintf(w, "OK - %d", len(data))
}

func (s *Server) filesCompleteUploadExternal(req *apiReq) reply {
	var list []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	raw, _ := req.rawJSON("files")
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return fail("invalid_arguments")
	}
	for _, it := range list {
		if f := s.files[it.ID]; f == nil || !f.uploaded {
			return fail("file_not_found")
		}
	}
	chID := req.str("channel_id")
	if chID == "" {
		chID, _, _ = strings.Cut(req.str("channels"), ",")
	}
	var ch *channel
	if chID != "" {
		var found bool
		if ch, found = s.lookupChannelLocked(chID); !found {
			return fail("channel_not_found")
		}
	}
	out := make([]map[string]any, 0, len(list))
	ids := make([]string, 0, len(list))
	for _, it := range list {
		f := s.files[it.ID]
		f.Title = it.Title
		if f.Title == "" {
			f.Title = f.Name
		}
		f.Channel, f.completed = chID, true
		ids = append(ids, f.ID)
		out = append(out, map[string]any{"id": f.ID, "title": f.Title})
	}
	if ch != nil {
		s.addMessageLocked(ch, Message{Text: req.str("initial_comment"), ThreadTS: req.str("thread_ts"), Files: ids})
	}
	return ok(map[string]any{"files": out})
}
