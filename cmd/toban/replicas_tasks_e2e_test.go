package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

// long runs the replica load tests at the full size; without it
// make test runs a smaller firing that still kills a replica in it.
var long = flag.Bool("long", false, "run the replica load tests at full size (1,000 tasks)")

// Three real replicas on one PostgreSQL, tasks each in its own channel
// all due in the same minute, and one replica SIGKILLed while they fire.
// Every replica's scheduler fires every task; the occurrence claims decide
// who posts, a live claim is left to its holder, and the dead replica's
// claims lapse (storage.ClaimLease) and are retaken by the others. Every
// occurrence must be posted exactly once, none missing; lateness is the
// fake's time of the post against the due time (the processes run on the
// wall clock).
func TestReplicasTasksFireOnceThroughAKill(t *testing.T) {
	// What this test holds is that a dead replica's claims are retaken
	// within a lease and a sweep (storage.ClaimLease + 2.5 s), not at some
	// later restart: a machine busy with other suites (or the race
	// detector) makes lateness say nothing about toban. The 2 s speed
	// target is measured by make bench's replica firing, and checked here
	// only when asked for with -args -long on a quiet machine.
	n, p99Bound := 300, 20*time.Second
	if *long && !raceEnabled {
		n, p99Bound = 1000, 2*time.Second
	}
	url := postgresDB(t)
	w := replicaWorld(t, 10, time.Now)
	w.env["TOBAN_DB"] = url
	now := time.Now()
	due := now.Truncate(time.Minute).Add(time.Minute)
	if time.Until(due) < 12*time.Second { // three replicas start well before
		due = due.Add(time.Minute)
	}
	rule := scheduler.Rule{Kind: scheduler.KindOnce, Date: due.UTC().Format(time.DateOnly), At: due.UTC().Format("15:04"), Location: time.UTC}
	db := openDB(t, w)
	ctx := context.Background()
	batch := make([]domain.Task, n)
	for i := range n {
		ch := fmt.Sprintf("CT%04d", i)
		w.slack.AddChannel(ch, strings.ToLower(ch))
		batch[i] = domain.Task{ID: domain.NewTaskID(), Title: fmt.Sprintf("Fire check %04d", i), ChannelID: ch,
			Rule: rule, Escalation: domain.EscalateNone, CreatedBy: "U1"}
	}
	if err := db.ImportTasks(ctx, batch); err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var procs []*process
	var addrs []string
	for range 3 {
		p, addr := startReady(t, w)
		procs, addrs = append(procs, p), append(addrs, addr)
	}
	posted := func() int {
		k := 0
		for _, c := range w.slack.Calls("chat.postMessage") {
			if c.Error == "" && strings.HasPrefix(c.Form.Get("channel"), "CT") {
				k++
			}
		}
		return k
	}
	t.Logf("%d tasks due in %v", n, time.Until(due).Round(time.Millisecond))
	// The kill lands during the firing: once a fifth of the cards are
	// posted, the first replica dies with whatever it has claimed.
	var killedAt atomic.Int64
	within(t, time.Until(due)+30*time.Second, "a fifth of the cards", func() bool { return posted() >= n/5 })
	kill(t, procs[0])
	killedAt.Store(time.Now().UnixNano())
	atKill := posted()
	if atKill >= n {
		t.Fatalf("all %d cards were posted before the kill; the test did not test", atKill)
	}
	within(t, 40*time.Second, "every card", func() bool { return posted() >= n })
	within(t, 20*time.Second, "every occurrence recorded as posted", func() bool {
		unposted, err := db.UnpostedOccurrences(ctx)
		return err == nil && len(unposted) == 0
	})

	var late []time.Duration
	for _, c := range w.slack.Calls("chat.postMessage") {
		if c.Error == "" && strings.HasPrefix(c.Form.Get("channel"), "CT") {
			late = append(late, c.At.Sub(due))
		}
	}
	missing, doubled := 0, 0
	for i := range n {
		switch k := countMessages(w.slack, fmt.Sprintf("CT%04d", i), "Fire check"); {
		case k == 0:
			missing++
		case k > 1:
			doubled++
			t.Errorf("task %d posted %d times, want once", i, k)
		}
	}
	if missing > 0 {
		t.Errorf("%d occurrences never posted", missing)
	}
	slices.Sort(late)
	p50, p99 := late[len(late)/2], late[min(len(late)-1, len(late)*99/100)]
	var retaken float64
	for _, a := range addrs[1:] {
		retaken += scrapeMetric(t, a, "toban_claims_retaken_total", `kind="task"`)
	}
	t.Logf("%d tasks, killed with %d posted: %d posts, %d missing, %d doubled; lateness p50 %v, p99 %v, max %v; survivors retook %v claims",
		n, atKill, len(late), missing, doubled, p50.Round(time.Millisecond), p99.Round(time.Millisecond),
		late[len(late)-1].Round(time.Millisecond), retaken)
	if p99 > p99Bound {
		t.Errorf("lateness p99 %v, want ≤ %v", p99, p99Bound)
	}
}
