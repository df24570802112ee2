package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/scheduler"
)

// replicaWorld is incidentWorld whose Slack holds several sockets at once,
// as Slack does for an app whose replicas each open one.
func replicaWorld(t *testing.T, maxSockets int, now func() time.Time) *world {
	t.Helper()
	w := newWorldWith(t, slackfake.Options{Now: now, MaxConnections: maxSockets, Seed: 16})
	w.slack.AddUser(slackfake.User{ID: "U2", Name: "bob", RealName: "Bob", Email: "bob@example.com"})
	w.pd.AddService(pdfake.Service{ID: "PSVC1", Name: "Checkout API", EscalationPolicyID: "PEP1"})
	return w
}

// pdTap stands between one replica and the PagerDuty fake and counts that
// replica's reads of the log, which the fake alone cannot tell apart.
type pdTap struct{ logReads atomic.Int64 }

func tapPagerDuty(t *testing.T, pdURL string) (*pdTap, string) {
	t.Helper()
	u, err := url.Parse(pdURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	tap := &pdTap{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/log_entries") {
			tap.logReads.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return tap, srv.URL
}

// startReplica starts one more toban on w's database and Slack, reaching
// PagerDuty through its own tap.
func (w *world) startReplica(t *testing.T, prepare func(*Main)) (*running, *pdTap) {
	t.Helper()
	tap, pdURL := tapPagerDuty(t, w.pd.URL())
	w.env["PAGERDUTY_API_URL"] = pdURL
	return w.startWith(t, prepare), tap
}

func (r *running) readiness(t *testing.T) (int, readiness) {
	t.Helper()
	code, body := r.get(t, "/readyz")
	var got readiness
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("/readyz body %q: %v", body, err)
	}
	return code, got
}

// waitLease waits until r's /readyz lists lease and returns how long that took.
func (r *running) waitLease(t *testing.T, lease string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if _, got := r.readiness(t); slices.Contains(got.Leases, lease) {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("lease %s not held within %v", lease, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// singletonLeases are the leases a toban with PagerDuty configured takes.
var singletonLeases = []string{"calendars", "card-sync", "home", "oncall", "oncall-groups", "poller"}

func TestReplicasRunEachSingletonOnceAndTakeOver(t *testing.T) {
	onBothBackends(t, testSingletonsAndTakeover)
}

func testSingletonsAndTakeover(t *testing.T, db func(*world)) {
	w := replicaWorld(t, 10, nil)
	db(w)
	w.env["TOBAN_PD_POLL_INTERVAL"] = "1s"
	short := func(m *Main) { m.LeaseTTL = 3 * time.Second }
	a, tapA := w.startReplica(t, short)
	b, tapB := w.startReplica(t, short)
	a.waitReady(t, http.StatusOK)
	b.waitReady(t, http.StatusOK)

	// Each lease has exactly one holder, whichever replica won it.
	deadline := time.Now().Add(10 * time.Second)
	var holders map[string][]string
	for {
		_, ra := a.readiness(t)
		_, rb := b.readiness(t)
		holders = map[string][]string{}
		for _, r := range []readiness{ra, rb} {
			for _, l := range r.Leases {
				holders[l] = append(holders[l], r.Holder)
			}
		}
		if len(holders) == len(singletonLeases) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, l := range singletonLeases {
		if len(holders[l]) != 1 {
			t.Errorf("lease %s held by %v, want exactly one replica", l, holders[l])
		}
	}
	leader, follower, leaderTap, followerTap := a, b, tapA, tapB
	if _, rb := b.readiness(t); slices.Contains(rb.Leases, "poller") {
		leader, follower, leaderTap, followerTap = b, a, tapB, tapA
	}

	// Three poll intervals: only the holder reads PagerDuty's log.
	time.Sleep(3500 * time.Millisecond)
	if n := followerTap.logReads.Load(); n != 0 {
		t.Errorf("the replica without the poller lease read the log %d times", n)
	}
	if n := leaderTap.logReads.Load(); n < 2 {
		t.Errorf("the poller's holder read the log %d times in 3.5 s, want at least 2", n)
	}
	if _, body := leader.get(t, "/metrics"); !strings.Contains(body, `toban_leader{lease="poller"} 1`) {
		t.Errorf("holder's /metrics lacks toban_leader{lease=\"poller\"} 1")
	}
	if _, body := follower.get(t, "/metrics"); strings.Contains(body, `toban_leader{lease="poller"} 1`) {
		t.Errorf("follower's /metrics says it holds the poller")
	}

	t.Run("TakeoverWhenTheHolderStops", func(t *testing.T) {
		stopped := time.Now()
		leader.stop()
		took := follower.waitLease(t, "poller", 10*time.Second)
		t.Logf("poller taken over %v after the holder stopped", time.Since(stopped))
		if took > 10*time.Second {
			t.Errorf("takeover took %v, want within 10 s", took)
		}
		before := followerTap.logReads.Load()
		deadline := time.Now().Add(5 * time.Second)
		for followerTap.logReads.Load() == before {
			if time.Now().After(deadline) {
				t.Fatal("the new holder never read PagerDuty's log")
			}
			time.Sleep(20 * time.Millisecond)
		}
		// Every singleton moved, not only the poller.
		for _, l := range singletonLeases {
			follower.waitLease(t, l, 10*time.Second)
		}
	})
}

// A replica Slack refuses a socket (the app's connections are all taken)
// stays ready: it still serves webhooks, timers and leases, and says so.
func TestReplicaRefusedASocketStaysReady(t *testing.T) {
	w := replicaWorld(t, 1, nil)
	a, _ := w.startReplica(t, nil)
	a.waitReady(t, http.StatusOK)
	b, _ := w.startReplica(t, nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, got := b.readiness(t)
		if got.Socket.State == "refused" {
			if code != http.StatusOK || !got.Ready || got.Database != "ok" {
				t.Errorf("/readyz of the refused replica = %d %+v, want 200 and ready", code, got)
			}
			if got.Socket.Since.IsZero() || got.Socket.Refusals < 1 {
				t.Errorf("refused socket without since or count: %+v", got.Socket)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("socket state = %+v, want refused", got.Socket)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if w.slack.TooManyRefused() < 1 {
		t.Error("the fake refused no socket")
	}
	if _, got := a.readiness(t); got.Socket.State != "connected" {
		t.Errorf("first replica's socket = %+v, want connected", got.Socket)
	}
}

// A task saved through one replica is armed on the other within 2 s, by
// the change notice rather than the 30 s periodic reload, and fires there
// once when due while the first replica is gone.
func TestReplicasArmTasksSavedElsewhere(t *testing.T) {
	onBothBackends(t, testTasksArmedElsewhere)
}

func testTasksArmedElsewhere(t *testing.T, db func(*world)) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	clock := scheduler.NewFakeClock(time.Date(2026, 11, 23, 8, 0, 0, 0, tokyo)) // a Monday, 08:00
	w := replicaWorld(t, 10, nil)
	db(w)
	on := func(m *Main) { m.Clock = clock }
	a, _ := w.startReplica(t, on)
	b, _ := w.startReplica(t, on)
	a.waitReady(t, http.StatusOK)
	b.waitReady(t, http.StatusOK)

	w.slack.User("U1").In("C1").Slash(t, "remind")
	id, _ := view(t, w.slack, "U1", callback("task.save"))
	saved := time.Now()
	w.slack.Submit(t, "U1", id, taskForm("Check backups", nil))
	w.slack.Channel(t, "C1").ExpectMessage("scheduled *Check backups* every day at 09:00")
	tasks, err := a.main.db.AllTasks(t.Context())
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks = %v, %v; want one", tasks, err)
	}
	want := time.Date(2026, 11, 23, 9, 0, 0, 0, tokyo)
	for name, r := range map[string]*running{"A": a, "B": b} {
		for {
			if due, ok := r.main.engine.NextDue(tasks[0].ID); ok {
				if !due.Equal(want) {
					t.Errorf("replica %s arms the task for %v, want %v", name, due, want)
				}
				break
			}
			if time.Since(saved) > 2*time.Second {
				t.Fatalf("replica %s has not armed the task %v after it was saved", name, time.Since(saved))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	a.stop()
	clock.Advance(time.Hour) // 09:00: due
	w.slack.Channel(t, "C1").ExpectMessage("Check backups — due")
	time.Sleep(500 * time.Millisecond)
	if n := countMessages(w.slack, "C1", "Check backups — due"); n != 1 {
		t.Errorf("%d cards for one occurrence, want 1", n)
	}
}

// A calendar attached through one replica is refreshed by whichever
// replica holds the "calendars" lease: the attach is announced to every
// replica, since the holder, idle while there were no calendars, waits
// for a wake-up that only its own process could give before.
func TestReplicasRefreshACalendarAttachedElsewhere(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	clock := scheduler.NewFakeClock(time.Date(2026, 3, 2, 8, 0, 0, 0, tokyo)) // a Monday, 08:00
	w := replicaWorld(t, 10, clock.Now)
	w.env["TOBAN_TIMEZONE"] = "Asia/Tokyo"
	feed := newICSServer(t, opsCalendar("backups|Check backups|20260302T090000"))
	on := func(m *Main) { m.Clock = clock }
	// The first replica takes every lease; the second gets Slack's
	// envelopes for this seed, which the metrics below confirm.
	holder, _ := w.startReplica(t, on)
	holder.waitReady(t, http.StatusOK)
	holder.waitLease(t, "calendars", 10*time.Second)
	other, _ := w.startReplica(t, on)
	other.waitReady(t, http.StatusOK)

	w.slack.User("U1").In("C1").Slash(t, "reminders calendar")
	id, _ := view(t, w.slack, "U1", callback("calendar.attach"))
	w.slack.Submit(t, "U1", id, calendarForm(feed.URL+calendarSecretPath))
	w.slack.Channel(t, "C1").ExpectMessage("attached a calendar")
	const submitted = `toban_envelopes_received_total{type="interactive"}`
	if _, body := holder.get(t, "/metrics"); strings.Contains(body, submitted) {
		t.Fatal("the lease holder handled the attach; pick a Seed that sends it to the other replica")
	}
	if _, body := other.get(t, "/metrics"); !strings.Contains(body, submitted) {
		t.Fatal("the other replica did not handle the attach")
	}
	if _, got := holder.readiness(t); !slices.Contains(got.Leases, "calendars") {
		t.Fatalf("holder's leases = %v, want calendars still", got.Leases)
	}

	time.Sleep(time.Second) // the notice reaches the holder, whose loop starts its 15 min schedule
	feed.fail(http.StatusServiceUnavailable)
	advanceUntil(t, w, clock, 15*time.Minute, "C1", "I can't read the calendar")
	time.Sleep(300 * time.Millisecond)
	if n := countMessages(w.slack, "C1", "I can't read the calendar"); n != 1 {
		t.Errorf("told %d times that the calendar fails, want once (one refresher)", n)
	}
}

// processReadiness reads /readyz of a toban process.
func processReadiness(t *testing.T, addr string) readiness {
	t.Helper()
	var got readiness
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return got
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&got)
	return got
}

// SIGKILLed, the poller's holder releases nothing: the other replica takes
// the lease over when it expires, with the default 6 s lease, within the
// 10 s the issue allows, and counts it as a takeover.
func TestReplicaKilledPollerTakenOver(t *testing.T) {
	onBothBackends(t, testKilledPollerTakenOver)
}

func testKilledPollerTakenOver(t *testing.T, db func(*world)) {
	w := replicaWorld(t, 10, time.Now)
	db(w)
	w.env["TOBAN_PD_POLL_INTERVAL"] = "1s"
	// No webhooks: incidents reach the feed only through the poller, so
	// each card below is a log entry the poller read and the feed
	// processed.
	sdb := openDB(t, w)
	if err := sdb.Subscribe(context.Background(), domain.Subscription{ChannelID: "C1", ServiceID: "PSVC1",
		ServiceName: "Checkout API", Urgencies: []string{"high", "low"}}); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	var polled []string
	trigger := func(k int) {
		for range k {
			title := fmt.Sprintf("Polled incident %02d", len(polled))
			w.pd.AddIncident(pdfake.Incident{Title: title, ServiceID: "PSVC1", Urgency: "high", EscalationPolicyID: "PEP1"})
			polled = append(polled, title)
		}
	}
	tapA, urlA := tapPagerDuty(t, w.pd.URL())
	tapB, urlB := tapPagerDuty(t, w.pd.URL())
	w.env["PAGERDUTY_API_URL"] = urlA
	pa, addrA := startReady(t, w)
	w.env["PAGERDUTY_API_URL"] = urlB
	pb, addrB := startReady(t, w)

	var holder *process
	var survivor string
	var survivorTap *pdTap
	deadline := time.Now().Add(10 * time.Second)
	for holder == nil {
		switch {
		case slices.Contains(processReadiness(t, addrA).Leases, "poller"):
			holder, survivor, survivorTap = pa, addrB, tapB
		case slices.Contains(processReadiness(t, addrB).Leases, "poller"):
			holder, survivor, survivorTap = pb, addrA, tapA
		case time.Now().After(deadline):
			t.Fatal("nobody holds the poller lease")
		default:
			time.Sleep(20 * time.Millisecond)
		}
	}
	if n := survivorTap.logReads.Load(); n != 0 {
		t.Errorf("the replica without the lease read the log %d times", n)
	}
	trigger(5)
	within(t, 15*time.Second, "cards of the incidents polled before the kill", func() bool {
		return countMessages(w.slack, "C1", "Polled incident") >= 5
	})

	kill(t, holder)
	trigger(5) // logged while nobody polls
	killed := time.Now()
	for !slices.Contains(processReadiness(t, survivor).Leases, "poller") {
		if time.Since(killed) > 10*time.Second {
			t.Fatal("the poller lease was not taken over within 10 s of SIGKILL")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("poller taken over %v after SIGKILL", time.Since(killed))
	for survivorTap.logReads.Load() == 0 {
		if time.Since(killed) > 12*time.Second {
			t.Fatal("the new holder never read PagerDuty's log")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The new holder resumes from the shared cursor (with its overlap):
	// the entries after the kill are polled, those before not again.
	within(t, 15*time.Second, "cards of the incidents logged after the kill", func() bool {
		return countMessages(w.slack, "C1", "Polled incident") >= len(polled)
	})
	within(t, 10*time.Second, "inbox drained", func() bool {
		return scrapeMetric(t, survivor, "toban_inbox_depth", "") == 0
	})
	for _, title := range polled {
		if n := countMessages(w.slack, "C1", title); n != 1 {
			t.Errorf("%s: %d cards, want 1 (its log entry processed once)", title, n)
		}
	}
	resp, err := http.Get("http://" + survivor + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body strings.Builder
	_, _ = io.Copy(&body, resp.Body)
	for _, want := range []string{`toban_lease_takeovers_total{lease="poller"} 1`, `toban_leader{lease="poller"} 1`} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("survivor's /metrics lacks %s", want)
		}
	}
}
