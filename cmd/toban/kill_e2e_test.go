package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
	"github.com/tobanbot/toban/webhook"
)

// SIGKILL and restart: the real binary is killed in the middle of work
// and started again on the same database, as a crashed container is.
// Nothing may be lost and nothing doubled: cards, thread replies and
// PagerDuty writes are counted.

// freeAddr picks a loopback port for TOBAN_HTTP_ADDR: webhooks need to
// know where toban listens before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startReady runs toban as a process and waits until /readyz says it is
// connected to Slack with a writable database.
func startReady(t *testing.T, w *world) (*process, string) {
	t.Helper()
	env := maps.Clone(w.env)
	env["TOBAN_HTTP_ADDR"] = freeAddr(t)
	p := startProcess(t, env)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + env["TOBAN_HTTP_ADDR"] + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, env["TOBAN_HTTP_ADDR"]
			}
		}
		select {
		case <-p.done:
			t.Fatalf("toban exited before it was ready:\n%s", p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("toban not ready after 20s:\n%s", p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL: no shutdown code runs.
func kill(t *testing.T, p *process) {
	t.Helper()
	_ = p.cmd.Process.Kill() // already dead is fine
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("toban did not die")
	}
}

// openDB opens toban's database from the test, while toban is stopped.
func openDB(t *testing.T, w *world) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), w.env["TOBAN_DB"])
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// post delivers one signed webhook body and returns the status, 0 when
// toban gave no answer (it was dead or died while answering).
func post(addr string, body []byte) int {
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/pagerduty", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(hookSecret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// killWorld is a world whose Slack stamps messages with real time, as the
// process's clock is real: finding a card again after a crash looks at
// the channel's history since the claim.
func killWorld(t *testing.T) *world {
	t.Helper()
	w := incidentWorldAt(t, time.Now)
	w.env["TOBAN_LOG_LEVEL"] = "info"
	return w
}

func TestKillDuringWebhookBurst(t *testing.T) {
	w := killWorld(t)
	w.env["PAGERDUTY_WEBHOOK_SECRET"] = hookSecret
	w.env["TOBAN_STORM_THRESHOLD"] = "3" // cards, then digests: both kinds of post
	w.slack.AddChannel("C2", "billing")
	db := openDB(t, w)
	for _, s := range []struct{ channel, service string }{{"C1", "PSVC1"}, {"C2", "PSVC2"}} {
		if err := db.Subscribe(context.Background(), domain.Subscription{ChannelID: s.channel, ServiceID: s.service,
			ServiceName: serviceName(s.service), Urgencies: []string{"high", "low"}, Events: []string{"notes"}}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	const n = 200
	bodies := make([][]byte, n)
	titles := make([]string, n)
	incidents := make([]pdfake.Incident, n)
	for i := range n {
		titles[i] = fmt.Sprintf("Burst incident %03d", i)
		incidents[i] = w.pd.AddIncident(pdfake.Incident{Title: titles[i], ServiceID: []string{"PSVC1", "PSVC2"}[i%2],
			Urgency: "high", EscalationPolicyID: "PEP1"})
		bodies[i], _ = json.Marshal(pagerDutyEvent(fmt.Sprintf("EvKill%03d", i), "incident.triggered", incidents[i], "triggered", time.Now()))
	}
	// The first card reaches Slack but toban never learns its ts, as if it
	// died right after the post: it must find it, not post another or
	// digest the incident as well.
	w.slack.FailAfterPost("chat.postMessage", 1)

	p, addr := startReady(t, w)
	status := make([]int, n)
	var ok atomic.Int32
	var once sync.Once
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				status[i] = post(addr, bodies[i])
				if status[i]/100 == 2 && ok.Add(1) == n/2 {
					once.Do(func() { p.cmd.Process.Kill() })
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	kill(t, p)
	var unanswered []int
	for i, s := range status {
		if s/100 != 2 {
			unanswered = append(unanswered, i)
		}
	}
	t.Logf("killed after %d of %d deliveries answered 2xx", n-len(unanswered), n)
	if len(unanswered) == 0 {
		t.Fatal("every delivery was answered before the kill; the test did not test")
	}

	_, addr = startReady(t, w)
	for _, i := range unanswered { // PagerDuty retries what got no 2xx
		if code := post(addr, bodies[i]); code != http.StatusAccepted {
			t.Fatalf("redelivery of %s answered %d", titles[i], code)
		}
	}
	cards, digested := 0, 0
	within(t, 30*time.Second, "every incident on a card or in a digest", func() bool {
		cards, digested = feedCounts(w.slack, "C1", "C2")
		return cards+digested >= n
	})
	if cards+digested != n {
		t.Errorf("%d cards + %d in digests = %d, want %d", cards, digested, cards+digested, n)
	}

	t.Run("EachIncidentOnce", func(t *testing.T) {
		db := openDB(t, w)
		defer db.Close()
		ctx := context.Background()
		for i, inc := range incidents {
			onCards := countMessages(w.slack, "C1", titles[i]) + countMessages(w.slack, "C2", titles[i])
			inDigest, err := db.InDigest(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if digest := map[bool]int{true: 1}[inDigest]; onCards+digest != 1 {
				t.Errorf("%s: %d cards and in a digest: %v; want exactly one of them", titles[i], onCards, inDigest)
			}
		}
	})
	for _, ch := range []string{"C1", "C2"} {
		for _, m := range w.slack.Messages(ch) {
			if m.ThreadTS != "" && m.ThreadTS != m.TS {
				t.Errorf("unexpected thread reply in %s: %q", ch, m.Text)
			}
		}
	}
	if got := len(w.pd.Writes()); got != 0 {
		t.Errorf("PagerDuty writes = %d, want 0 (the feed only reads)", got)
	}
	t.Logf("%d cards, %d incidents in digests", cards, digested)
}

// feedCounts counts top-level incident cards and the incidents the storm
// digests say they hold; a digest posted twice would count twice.
func feedCounts(s *slackfake.Server, channels ...string) (cards, digested int) {
	for _, ch := range channels {
		for _, m := range s.Messages(ch) {
			if m.ThreadTS != "" && m.ThreadTS != m.TS {
				continue
			}
			var k int
			switch {
			case strings.Contains(m.Text, "Burst incident"):
				cards++
			case strings.HasPrefix(m.Text, "Alert storm on"):
				if _, err := fmt.Sscanf(after(m.Text, ": "), "%d more incidents", &k); err == nil {
					digested += k
				}
			}
		}
	}
	return cards, digested
}

// The scheduler fires tasks that came due while toban was down as soon as
// it starts (a once task whose time has passed is posted late), so the
// firing starts at a known moment: start-up. The kill lands while cards
// are still queued behind toban's pacing of one post a second per channel
// (bursts of 3). Two crash points are also set up exactly: occurrences
// claimed but never posted (seeded in the database), and posts Slack
// took whose ts toban never learned (FailAfterPost).
func TestKillDuringReminderFiring(t *testing.T) {
	w := killWorld(t)
	const channels, perChannel = 6, 6
	due := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Minute)
	rule := scheduler.Rule{Kind: scheduler.KindOnce, Date: due.Format(time.DateOnly), At: due.Format("15:04")}
	db := openDB(t, w)
	ctx := context.Background()
	type card struct{ channel, title string }
	var titles []card
	for c := range channels {
		channel := fmt.Sprintf("C%d", 10+c)
		w.slack.AddChannel(channel, "ops-"+channel)
		for i := range perChannel {
			title := fmt.Sprintf("Rotate keys %s-%d", channel, i)
			task, err := db.SaveTask(ctx, domain.Task{Title: title, ChannelID: channel, Rule: rule, CreatedBy: "U1"})
			if err != nil {
				t.Fatal(err)
			}
			titles = append(titles, card{channel, title})
			if i == 0 { // claimed by a toban that died before posting
				if _, _, err := db.ClaimOccurrence(ctx, task.ID, due, true, channel, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	db.Close()
	w.slack.FailAfterPost("chat.postMessage", 2)

	total := len(titles)
	posted := func() int {
		n := 0
		for c := range channels {
			n += countMessages(w.slack, fmt.Sprintf("C%d", 10+c), "Rotate keys")
		}
		return n
	}
	p, _ := startReady(t, w)
	within(t, 10*time.Second, "the first burst of cards", func() bool { return posted() >= channels*3 })
	kill(t, p)
	if got := posted(); got >= total {
		t.Fatalf("all %d cards were posted before the kill; the test did not test", got)
	}
	t.Logf("killed with %d of %d cards posted", posted(), total)

	p, _ = startReady(t, w)
	within(t, 20*time.Second, "every card", func() bool { return posted() >= total })
	// Every occurrence recorded as posted means nothing is left to post:
	// no need to wait for a second card that should not come. (The
	// database is shared with the running toban, as the CLI shares it.)
	db = openDB(t, w)
	defer db.Close()
	within(t, 10*time.Second, "every occurrence recorded as posted", func() bool {
		unposted, err := db.UnpostedOccurrences(ctx)
		return err == nil && len(unposted) == 0
	})
	kill(t, p)
	for c := range channels {
		channel := fmt.Sprintf("C%d", 10+c)
		for _, m := range w.slack.Messages(channel) {
			if m.ThreadTS != "" && m.ThreadTS != m.TS {
				t.Errorf("unexpected thread reply in %s: %q", channel, m.Text)
			}
		}
	}
	for _, c := range titles {
		if n := countMessages(w.slack, c.channel, c.title); n != 1 {
			t.Errorf("cards for %q = %d, want 1", c.title, n)
		}
	}
	if got := len(w.pd.Writes()); got != 0 {
		t.Errorf("PagerDuty writes = %d, want 0", got)
	}
}

// Cards whose chat.update Slack never got are marked dirty in the
// database (the outbox) and re-rendered from PagerDuty by the card sync
// loop. toban is killed while draining it (chat.update is paced at 50 a
// minute after a burst of 10), restarted, and every card ends true,
// updated in place, without a single new post.
func TestKillDuringOutboxDrain(t *testing.T) {
	w := killWorld(t)
	w.env["TOBAN_CARD_RETRY_INTERVAL"] = "100ms"
	w.env["TOBAN_PD_POLL_INTERVAL"] = "0" // only the outbox moves cards
	const cards = 14
	api := slack.New(w.slack.BotToken(), slack.OptionAPIURL(w.slack.URL()))
	db := openDB(t, w)
	ctx := context.Background()
	type seeded struct{ channel, ts, title string }
	var seeds []seeded
	for i := range cards {
		title := fmt.Sprintf("Stale card %02d", i)
		channel := fmt.Sprintf("C%d", 20+i/2) // two per channel: within Slack's burst
		w.slack.AddChannel(channel, "feed-"+channel)
		inc := w.pd.AddIncident(pdfake.Incident{Title: title, ServiceID: "PSVC1", Urgency: "high", EscalationPolicyID: "PEP1"})
		_, ts, err := api.PostMessage(channel, slack.MsgOptionText(title+" — Triggered", false))
		if err != nil {
			t.Fatal(err)
		}
		// Bob acknowledged it since; the update never reached Slack.
		if err := w.pd.AcknowledgeAs(inc.ID, "PU2"); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveCard(ctx, domain.Card{IncidentID: inc.ID, ChannelID: channel, TS: ts, Version: 1}); err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, seeded{channel, ts, title})
	}
	db.Close()
	postsBefore := len(w.slack.Calls("chat.postMessage"))

	updates := func() int { return len(w.slack.Calls("chat.update")) }
	p, _ := startReady(t, w)
	within(t, 10*time.Second, "the first burst of updates", func() bool { return updates() >= 10 })
	kill(t, p)
	if got := updates(); got >= cards {
		t.Fatalf("all %d updates went out before the kill; the test did not test", got)
	}
	t.Logf("killed after %d of %d card updates", updates(), cards)

	p, _ = startReady(t, w)
	isTrue := func(s seeded) bool {
		for _, m := range w.slack.Messages(s.channel) {
			if m.TS == s.ts {
				return strings.Contains(m.Text+string(m.Blocks), "Acknowledged by Bob Ops")
			}
		}
		return false
	}
	within(t, 20*time.Second, "every card true", func() bool {
		for _, s := range seeds {
			if !isTrue(s) {
				return false
			}
		}
		return true
	})
	// The outbox empties once each update is recorded; killing before
	// that would only leave a card to re-render (in place) once more.
	db = openDB(t, w)
	defer db.Close()
	within(t, 10*time.Second, "the outbox to empty", func() bool {
		dirty, err := db.DirtyCards(ctx, 100)
		return err == nil && len(dirty) == 0
	})
	kill(t, p)

	if got := len(w.slack.Calls("chat.postMessage")) - postsBefore; got != 0 {
		t.Errorf("%d new posts; cards must be updated in place", got)
	}
	for _, s := range seeds {
		if n := countMessages(w.slack, s.channel, s.title); n != 1 {
			t.Errorf("messages for %q = %d, want 1", s.title, n)
		}
	}
	if got := len(w.pd.Writes()); got != 0 {
		t.Errorf("PagerDuty writes = %d, want 0 (re-rendering only reads)", got)
	}
}
