package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
)

// scrapeMetric sums the samples of a metric in the /metrics of the toban
// listening on addr whose labels contain labels ("" for any).
func scrapeMetric(t *testing.T, addr, name, labels string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || !strings.Contains(line, labels) {
			continue
		}
		rest := strings.TrimPrefix(line, name)
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue // another metric sharing the prefix
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// A storm through two real replicas on one PostgreSQL: 500 incidents as
// signed webhooks spread over both replicas' endpoints, 30 % of them
// delivered twice (to the other replica, the hard case). Each incident
// must end on exactly one card or in one digest; storm thresholds are
// counted across the replicas (ReserveCardSlot) and Slack pacing and
// Retry-After are shared in the database, so the fake's per-channel
// limit (1 post a second, bursts of 4) is kept by the two together: at
// most 3 × 429. Every event is claimed from the shared inbox exactly
// once (toban_claims_taken_total summed over the replicas).
func TestReplicasStormOverTwoReplicas(t *testing.T) {
	url := postgresDB(t)
	w := replicaWorld(t, 10, time.Now)
	w.env["TOBAN_DB"] = url
	w.env["PAGERDUTY_WEBHOOK_SECRET"] = hookSecret
	w.env["TOBAN_STORM_THRESHOLD"] = "5"
	w.slack.AddChannel("C2", "billing")
	services := []string{"PSVC1", "PSVC2", "PSVC3", "PSVC4", "PSVC5"}
	for _, s := range services[1:] {
		w.pd.AddService(pdfake.Service{ID: s, Name: "Service " + s, EscalationPolicyID: "PEP1"})
	}
	db := openDB(t, w)
	ctx := context.Background()
	for i, s := range services {
		if err := db.Subscribe(ctx, domain.Subscription{ChannelID: []string{"C1", "C2"}[i%2], ServiceID: s,
			ServiceName: "Service " + s, Urgencies: []string{"high", "low"}}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	const n = 500
	titles := make([]string, n)
	incidents := make([]pdfake.Incident, n)
	type delivery struct {
		body    []byte
		replica int
	}
	var deliveries []delivery
	rng := rand.New(rand.NewPCG(16, 500))
	for i := range n {
		titles[i] = fmt.Sprintf("Burst incident %03d", i)
		incidents[i] = w.pd.AddIncident(pdfake.Incident{Title: titles[i], ServiceID: services[i%len(services)],
			Urgency: "high", EscalationPolicyID: "PEP1"})
		body, _ := json.Marshal(pagerDutyEvent(fmt.Sprintf("EvStorm%03d", i), "incident.triggered", incidents[i], "triggered", time.Now()))
		first := rng.IntN(2)
		deliveries = append(deliveries, delivery{body, first})
		if i%10 < 3 { // 30 % delivered again, to the other replica
			deliveries = append(deliveries, delivery{body, 1 - first})
		}
	}
	rng.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })

	_, addrA := startReady(t, w)
	_, addrB := startReady(t, w)
	addrs := []string{addrA, addrB}
	before := w.slack.RateLimited()
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan delivery)
	for range 16 {
		wg.Go(func() {
			for d := range next {
				if code := post(addrs[d.replica], d.body); code != http.StatusAccepted {
					t.Errorf("delivery to replica %d answered %d", d.replica, code)
				}
			}
		})
	}
	for _, d := range deliveries {
		next <- d
	}
	close(next)
	wg.Wait()
	ingest := time.Since(start)

	cards, digested := 0, 0
	within(t, 50*time.Second, "every incident on a card or in a digest", func() bool {
		cards, digested = feedCounts(w.slack, "C1", "C2")
		return cards+digested >= n
	})
	represented := time.Since(start)
	// The inbox drained and every digest shown as it now is: nothing is
	// left that could still post.
	within(t, 20*time.Second, "inbox drained on both replicas", func() bool {
		return scrapeMetric(t, addrA, "toban_inbox_depth", "") == 0
	})
	db = openDB(t, w)
	defer db.Close()
	within(t, 20*time.Second, "digests up to date", func() bool {
		dirty, err := db.DirtyDigests(ctx)
		return err == nil && len(dirty) == 0
	})
	cards, digested = feedCounts(w.slack, "C1", "C2")
	if cards+digested != n {
		t.Errorf("%d cards + %d in digests = %d, want %d", cards, digested, cards+digested, n)
	}
	doubled := 0
	for i, inc := range incidents {
		onCards := countMessages(w.slack, "C1", titles[i]) + countMessages(w.slack, "C2", titles[i])
		inDigest, err := db.InDigest(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if digest := map[bool]int{true: 1}[inDigest]; onCards+digest != 1 {
			doubled++
			t.Errorf("%s: %d cards and in a digest: %v; want exactly one of them", titles[i], onCards, inDigest)
		}
	}
	// Threshold 5 per channel, counted across replicas: 5 cards in each.
	for _, ch := range []string{"C1", "C2"} {
		if got := countMessages(w.slack, ch, "Burst incident"); got != 5 {
			t.Errorf("%s has %d cards of their own, want the storm threshold, 5", ch, got)
		}
	}
	limited := w.slack.RateLimited() - before
	if limited > 3 {
		t.Errorf("the Slack fake answered 429 %d times, want at most 3", limited)
	}
	claimedA := scrapeMetric(t, addrA, "toban_claims_taken_total", `kind="inbox"`)
	claimedB := scrapeMetric(t, addrB, "toban_claims_taken_total", `kind="inbox"`)
	if claimedA+claimedB != n {
		t.Errorf("inbox claims: %v + %v, want %d (each event processed once)", claimedA, claimedB, n)
	}
	if claimedA == 0 || claimedB == 0 {
		t.Logf("one replica processed every event (%v / %v)", claimedA, claimedB)
	}
	t.Logf("%d deliveries (%d duplicates) in %v; all represented after %v: %d cards + %d in digests, %d doubled, %d × 429; events claimed %v / %v",
		len(deliveries), len(deliveries)-n, ingest.Round(time.Millisecond), represented.Round(time.Millisecond),
		cards, digested, doubled, limited, claimedA, claimedB)
}
