// Package slackfake is an in-process fake of Slack that speaks the real wire
// protocols: Socket Mode over a websocket and the Web API over HTTP. The real
// slack-go clients work against it unmodified when built with
// slack.OptionAPIURL(fake.URL()).
//
// The fake records everything (Web API calls, acks, envelopes, response_url
// posts) and keeps channel state the way Slack would (messages, ephemerals,
// views, files), so end-to-end tests can read like a person using Slack.
// Nothing in it depends on *testing.T except the helper methods that take a
// testing.TB, so it can also back a load harness.
//
// It owns the fake's state and wire protocols. It may import
// internal/blockkit (Block Kit limits) only; tests, the demo and tobanbench
// import it.
package slackfake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Fixed identities of the fake workspace.
const (
	TeamID       = "T1"                      // the workspace id
	TeamDomain   = "fake"                    // the workspace domain
	TeamName     = "Fake"                    // the workspace name
	AppID        = "A1"                      // the app id sent in payloads
	BotID        = "B1"                      // the bot id of the app's bot user
	WorkspaceURL = "https://fake.slack.com/" // auth.test url
	// VerificationToken is the legacy "token" field in payloads.
	VerificationToken = "x"
)

// Options configures a Server. The zero value gives Slack-like defaults.
type Options struct {
	// AppToken is the app-level token; apps.connections.open requires
	// "Authorization: Bearer <AppToken>". Default "xapp-1-test".
	AppToken string
	// BotToken is the bot token; Web API methods require it as form field
	// token or as a Bearer header. Default "xoxb-test".
	BotToken string
	// PingInterval is how often the server sends websocket PING frames.
	// Default 10s. It must be shorter than the client's
	// socketmode.OptionPingInterval (default 30s).
	PingInterval time.Duration
	// RedeliverAfter is how long an events_api envelope may stay unacked
	// before it is redelivered with a new envelope_id, retry_attempt+1 and
	// retry_reason "timeout" (at most 3 retries). 0 means 3s; negative
	// means never on a timer (a lost connection still redelivers).
	RedeliverAfter time.Duration
	// PostRate is how many chat.postMessage calls per second each channel
	// allows (token bucket). Default 1; negative disables the limit.
	PostRate float64
	// PostBurst is the bucket size. Default 4.
	PostBurst int
	// BotUserID is the bot's user id, returned by auth.test. Default "UBOT".
	BotUserID string
	// StrictChannels makes channel ids never added with AddChannel fail
	// with channel_not_found. By default any id is accepted.
	StrictChannels bool
	// TriggerTTL is how long a trigger_id issued by the fake stays valid
	// for views.open/views.push. Default 3s, like Slack; negative means
	// forever.
	TriggerTTL time.Duration
	// HelperTimeout bounds the waits of the testing.TB helpers. Default 5s.
	HelperTimeout time.Duration
	// MaxConnections, when positive, makes the fake hold several Socket
	// Mode connections at once, as Slack does for an app (up to 10): each
	// envelope goes to one open socket picked at random (see Seed), an
	// envelope unacked after RedeliverAfter is redelivered under the same
	// envelope_id on another socket, and a connection beyond the limit
	// gets a disconnect with reason too_many_websockets. 0 keeps one
	// socket, a new one replacing the old.
	MaxConnections int
	// BotScopes, when set, are the scopes granted to the bot token (an
	// app's manifest's oauth_config.scopes.bot): a method needing a scope
	// not among them fails with missing_scope, as Slack answers. Nil
	// grants every scope.
	BotScopes []string
	// Seed seeds the random choice of socket, for reproducible runs.
	Seed int64
	// Now, when set, is Slack's clock: message ts are taken from it (as
	// Slack's are from real time), kept strictly increasing. By default ts
	// count up from a fixed 2023 instant.
	Now func() time.Time
}

func (o *Options) fill() {
	if o.AppToken == "" {
		o.AppToken = "xapp-1-test"
	}
	if o.BotToken == "" {
		o.BotToken = "xoxb-test"
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 10 * time.Second
	}
	if o.RedeliverAfter == 0 {
		o.RedeliverAfter = 3 * time.Second
	}
	if o.PostRate == 0 {
		o.PostRate = 1
	}
	if o.PostBurst <= 0 {
		o.PostBurst = 4
	}
	if o.BotUserID == "" {
		o.BotUserID = "UBOT"
	}
	if o.TriggerTTL == 0 {
		o.TriggerTTL = 3 * time.Second
	}
	if o.HelperTimeout <= 0 {
		o.HelperTimeout = 5 * time.Second
	}
}

// User is a member of the fake workspace.
type User struct {
	ID, Name, RealName, Email, TZ string
	IsBot                         bool
}

// Server is a running fake of Slack. All methods are safe for concurrent use.
type Server struct {
	opts Options
	srv  *httptest.Server
	host string // "127.0.0.1:PORT"

	lastTSMicros int64 // newest ts handed out with Options.Now; guarded by mu
	// lastActionMicros is the newest action_ts handed out; guarded by mu.
	lastActionMicros int64

	pinging atomic.Bool
	wg      sync.WaitGroup

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	// userGroups and freePlan: see webapi_usergroups.go.
	userGroups []UserGroup
	freePlan   bool
	closed     bool
	seq        int64

	users     map[string]User
	userOrder []string
	channels  map[string]*channel
	chanOrder []string

	socketState
	envelopeState
	apiState
	chatState
	viewState
	fileState
}

// New starts a fake Slack on 127.0.0.1 with a random port.
func New(opts Options) *Server {
	opts.fill()
	s := &Server{
		opts:     opts,
		changed:  make(chan struct{}),
		users:    map[string]User{},
		channels: map[string]*channel{},
	}
	s.pinging.Store(true)
	s.initSocket()
	s.initEnvelopes()
	s.initAPI()
	s.initChat()
	s.initViews()
	s.initFiles()

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveLink)
	mux.HandleFunc("/response/", s.serveResponseURL)
	mux.HandleFunc("/upload/", s.serveUpload)
	s.srv = httptest.NewServer(mux)
	s.host = s.srv.Listener.Addr().String()
	return s
}

// Close drops the websocket, stops all timers and shuts the HTTP server down.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	live := slices.Clone(s.live)
	s.stopTimersLocked()
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range live {
		s.teardown(c)
	}
	s.srv.Close()
	s.wg.Wait()
}

// URL is the Web API base for slack.OptionAPIURL; it ends with "/".
func (s *Server) URL() string { return s.baseURL() + "/api/" }

// AppToken is the app-level token the fake accepts.
func (s *Server) AppToken() string { return s.opts.AppToken }

// BotToken is the bot token the fake accepts.
func (s *Server) BotToken() string { return s.opts.BotToken }

// BotUserID is the bot's user id (Options.BotUserID).
func (s *Server) BotUserID() string { return s.opts.BotUserID }

func (s *Server) baseURL() string { return "http://" + s.host }

// AddUser adds or replaces a workspace member.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.ID]; !ok {
		s.userOrder = append(s.userOrder, u.ID)
	}
	s.users[u.ID] = u
	s.notifyLocked()
}

// AddChannel adds a channel, or renames it if it exists.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelLocked(id, true)
	c.name = name
	c.added = true
	s.notifyLocked()
}

// channel is a conversation and its messages.
type channel struct {
	id, name string
	added    bool
	msgs     []*msgRec
	byTS     map[string]*msgRec
	// Set by conversations.create, .invite and .archive (see
	// webapi_conversations.go); members is nil when not tracked.
	private  bool
	archived bool
	created  int64
	creator  string
	members  []string
}

// channelLocked returns the channel with that id, creating it if create is
// set. It returns nil for an unknown id when !create.
func (s *Server) channelLocked(id string, create bool) *channel {
	if c, ok := s.channels[id]; ok {
		return c
	}
	if !create {
		return nil
	}
	c := &channel{id: id, name: id, byTS: map[string]*msgRec{}}
	s.channels[id] = c
	s.chanOrder = append(s.chanOrder, id)
	return c
}

// lookupChannelLocked resolves a channel id for a Web API call, honouring
// Options.StrictChannels.
func (s *Server) lookupChannelLocked(id string) (*channel, bool) {
	if id == "" {
		return nil, false
	}
	c := s.channels[id]
	if s.opts.StrictChannels && (c == nil || !c.added) {
		return nil, false
	}
	if c == nil {
		c = s.channelLocked(id, true)
	}
	return c, true
}

func (s *Server) userNameLocked(id string) string {
	if u, ok := s.users[id]; ok && u.Name != "" {
		return u.Name
	}
	return id
}

func (s *Server) channelNameLocked(id string) string {
	if c, ok := s.channels[id]; ok {
		return c.name
	}
	return id
}

// nextLocked returns a fresh sequence number.
func (s *Server) nextLocked() int64 {
	s.seq++
	return s.seq
}

// tsLocked returns a unique, monotonically increasing Slack timestamp.
func (s *Server) tsLocked() string {
	n := s.nextLocked()
	if s.opts.Now == nil {
		return fmt.Sprintf("%d.%06d", 1700000000+n/10000, (n%10000)*100)
	}
	micros := s.opts.Now().UnixMicro()
	if micros <= s.lastTSMicros {
		micros = s.lastTSMicros + 1
	}
	s.lastTSMicros = micros
	return fmt.Sprintf("%d.%06d", micros/1e6, micros%1e6)
}

// notifyLocked wakes every waiter; callers hold s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

var errClosed = errors.New("slackfake: server closed")

// waitFor blocks until cond (called with s.mu held) is true or ctx ends.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		ch, closed := s.changed, s.closed
		s.mu.Unlock()
		if closed {
			return errClosed
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// clone returns a copy of a byte slice (nil stays nil).
func clone[T ~[]byte](b T) T {
	if b == nil {
		return nil
	}
	return slices.Clone(b)
}
