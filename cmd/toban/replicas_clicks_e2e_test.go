package main

import (
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/slackfake"
)

// TestReplicasTwentyClicksOneWrite: 20 Acknowledge clicks on one card,
// spread by Slack over two replicas' sockets within about 50 ms, make one
// PagerDuty write, and the card names the winner. The incident's lock is
// in the database, so a replica never acts on a read the other made stale.
func TestReplicasTwentyClicksOneWrite(t *testing.T) {
	onBothBackends(t, func(t *testing.T, db func(*world)) {
		w := replicaWorld(t, 10, nil)
		db(w)
		w.startReplica(t, nil)
		w.startReplica(t, nil)
		if err := w.slack.WaitLive(t.Context(), 2); err != nil {
			t.Fatal(err)
		}
		alice := w.slack.User("U1").In("C1")
		bob := w.slack.User("U2").In("C1")
		for _, p := range []*slackfake.Person{alice, bob} {
			p.Slash(t, "link")
			p.ExpectEphemeral(t, "is linked to PagerDuty user")
		}
		card := triggerIncident(t, w, alice, "Payments timing out")
		w.pd.SetDelay(20 * time.Millisecond) // widen the window for a race

		start := time.Now()
		var wg sync.WaitGroup
		for i := range 20 {
			p := alice
			if i%2 == 1 {
				p = bob
			}
			own := w.slack.Channel(t, "C1").ExpectMessage("Payments timing out") // each click its own view
			wg.Go(func() { own.ClickAs(t, p, "Acknowledge") })
		}
		wg.Wait()
		t.Logf("20 clicks sent and acked in %v", time.Since(start).Round(time.Millisecond))
		card.ExpectText("Acknowledged by")
		// Every click but the winner's is told who won, once.
		expectEphemerals(t, w.slack, "was already acknowledged by", 19)
		if got := len(writes(w.pd, "PUT", "/incidents", `"acknowledged"`)); got != 1 {
			t.Errorf("acknowledge writes = %d, want 1", got)
		}
		conns := map[int]bool{}
		for _, e := range w.slack.Envelopes() {
			if e.Type == "interactive" {
				conns[e.Conn] = true
			}
		}
		if len(conns) < 2 {
			t.Errorf("the clicks went to %d socket(s), want both replicas'", len(conns))
		}
	})
}
