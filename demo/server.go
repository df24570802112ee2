package demo

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed web
var webFS embed.FS

// broadcast wakes the page's live streams when the PagerDuty side or the
// clock changed, which the Slack fake does not see.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

func newBroadcast() *broadcast { return &broadcast{ch: make(chan struct{})} }

func (b *broadcast) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

func (b *broadcast) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.ch)
	b.ch = make(chan struct{})
}

// Handler is the page and its JSON API. Every write goes through the fakes
// exactly as Slack's client or PagerDuty's app would make it.
func (d *Demo) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(webFS, "web")
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/state", d.serveState)
	mux.HandleFunc("GET /api/events", d.serveEvents)
	mux.HandleFunc("GET /files/{id}/{name}", d.serveFile)
	mux.HandleFunc("POST /api/slash", d.handleSlash)
	mux.HandleFunc("POST /api/action", d.handleAction)
	mux.HandleFunc("POST /api/suggest", d.handleSuggest)
	mux.HandleFunc("POST /api/submit", d.handleSubmit)
	mux.HandleFunc("POST /api/close", d.handleClose)
	mux.HandleFunc("POST /api/home", d.handleHome)
	mux.HandleFunc("POST /api/pd/trigger", d.handlePDTrigger)
	mux.HandleFunc("POST /api/pd/change", d.handlePDChange)
	mux.HandleFunc("POST /api/pd/storm", d.handlePDStorm)
	mux.HandleFunc("POST /api/clock", d.handleClock)
	return mux
}

// maxBody bounds a request from the page.
const maxBody = 1 << 20

// decode reads a JSON request body into v, answering 400 itself when it
// cannot.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "the request is not the JSON expected: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// knownUser checks that the page acts as a member of the team.
func knownUser(w http.ResponseWriter, id string) bool {
	if _, ok := personBySlack(id); !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a member of the demo team", id))
		return false
	}
	return true
}

// answer writes the outcome of an envelope: its ack payload, or why there
// was none.
func (d *Demo) answer(w http.ResponseWriter, payload json.RawMessage, err error) {
	switch {
	case errors.Is(err, errBadRequest):
		writeError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		d.log.Warn().Err(err).Msg("the bot did not ack an envelope from the page")
		writeError(w, http.StatusGatewayTimeout, err.Error())
	default:
		if len(payload) == 0 {
			payload = json.RawMessage("null")
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "ack": payload})
	}
}

func (d *Demo) handleSlash(w http.ResponseWriter, r *http.Request) {
	var req struct{ User, Channel, Text string }
	if !decode(w, r, &req) || !knownUser(w, req.User) {
		return
	}
	if req.Channel != ChannelOps && req.Channel != ChannelAlerts {
		writeError(w, http.StatusBadRequest, "no such channel")
		return
	}
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(req.Text), "/toban"))
	ack, err := d.client.slash(r.Context(), req.User, req.Channel, text)
	d.answer(w, ack.Payload, err)
}

func (d *Demo) handleAction(w http.ResponseWriter, r *http.Request) {
	var req actionReq
	if !decode(w, r, &req) || !knownUser(w, req.User) {
		return
	}
	ack, err := d.client.act(r.Context(), req)
	d.answer(w, ack.Payload, err)
}

func (d *Demo) handleSuggest(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User    string `json:"user"`
		ViewID  string `json:"view_id"`
		BlockID string `json:"block_id"`
		Action  string `json:"action_id"`
		Value   string `json:"value"`
	}
	if !decode(w, r, &req) || !knownUser(w, req.User) {
		return
	}
	ack, err := d.client.suggest(r.Context(), req.User, req.ViewID, req.BlockID, req.Action, req.Value)
	d.answer(w, ack.Payload, err)
}

func (d *Demo) handleSubmit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User   string                    `json:"user"`
		ViewID string                    `json:"view_id"`
		Values map[string]map[string]any `json:"values"`
	}
	if !decode(w, r, &req) || !knownUser(w, req.User) {
		return
	}
	ack, err := d.client.submit(r.Context(), req.User, req.ViewID, req.Values)
	d.answer(w, ack.Payload, err)
}

func (d *Demo) handleClose(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User   string `json:"user"`
		ViewID string `json:"view_id"`
	}
	if !decode(w, r, &req) || !knownUser(w, req.User) {
		return
	}
	d.answer(w, nil, d.client.closeView(r.Context(), req.User, req.ViewID))
}

func (d *Demo) handleHome(w http.ResponseWriter, r *http.Request) {
	var req struct{ User string }
	if !decode(w, r, &req) || !knownUser(w, req.User) {
		return
	}
	ack, err := d.client.openHome(r.Context(), req.User)
	d.answer(w, ack.Payload, err)
}

func (d *Demo) handleClock(w http.ResponseWriter, r *http.Request) {
	var req struct{ Minutes int }
	if !decode(w, r, &req) {
		return
	}
	if req.Minutes <= 0 || req.Minutes > 31*24*60 {
		writeError(w, http.StatusBadRequest, "the clock moves forward by 1 minute to 31 days")
		return
	}
	d.Clock.Advance(time.Duration(req.Minutes) * time.Minute)
	d.news.notify()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "now": d.Clock.Now()})
}

// serveEvents is the page's live stream: an event whenever anything it
// shows may have changed; the page then reads /api/state again.
func (d *Demo) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	tick := time.NewTicker(15 * time.Second) // keeps proxies and the clock display alive
	defer tick.Stop()
	for {
		fmt.Fprint(w, "event: change\ndata: {}\n\n")
		flusher.Flush()
		slack, news := d.Slack.Changed(), d.news.wait()
		select {
		case <-ctx.Done():
			return
		case <-slack:
		case <-news:
		case <-tick.C:
		}
		// Let a burst of changes (a storm, a card update) settle into one
		// event.
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// serveFile serves a file the bot uploaded (the report's PNG and CSV).
func (d *Demo) serveFile(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, f := range d.Slack.Files() {
		if f.ID != id {
			continue
		}
		switch strings.ToLower(path.Ext(f.Name)) {
		case ".png":
			w.Header().Set("Content-Type", "image/png")
		case ".csv":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		default:
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		_, _ = w.Write(f.Content)
		return
	}
	http.NotFound(w, r)
}

// Serve serves the page on ln until ctx ends.
func (d *Demo) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// Live streams never end by themselves: close them.
		_ = srv.Shutdown(sctx)
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve the demo page: %w", err)
	}
	return nil
}
