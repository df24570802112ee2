package storage

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/tobanbot/toban/domain"
)

// TestAcceptEventsOnTwoReplicas delivers overlapping batches to two
// replicas at once, the shared events in opposite orders (what would
// deadlock two inserts taking rows in arrival order): every event is
// stored once, each new one is counted by exactly one delivery, and the
// events of one delivery keep their order in the inbox.
func TestAcceptEventsOnTwoReplicas(t *testing.T) {
	dbs := openReplicas(t, 2)
	ctx := context.Background()
	// Delivery d brings events 8d … 8d+11: four shared with the one
	// before, four its own, four shared with the one after.
	const deliveries, perDelivery, stride = 40, 12, 8
	batch := func(d int) []domain.IncidentEvent {
		var evs []domain.IncidentEvent
		for i := range perDelivery {
			n := d*stride + i
			evs = append(evs, ev(fmt.Sprintf("E%05d", n), fmt.Sprintf("P%d", d), i))
		}
		if d%2 == 1 {
			slices.Reverse(evs)
		}
		return evs
	}
	var mu sync.Mutex
	counted := 0
	var wg sync.WaitGroup
	for d := range deliveries {
		for r, db := range dbs {
			wg.Go(func() {
				n, err := db.AcceptEvents(ctx, fmt.Sprintf("W%d-%d", d, r), batch(d))
				if err != nil {
					t.Errorf("delivery %d on replica %d: %v", d, r, err)
				}
				mu.Lock()
				counted += n
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	distinct := (deliveries-1)*stride + perDelivery
	if got := countEvents(t, dbs[0]); got != distinct {
		t.Errorf("stored %d events, want %d", got, distinct)
	}
	if counted != distinct {
		t.Errorf("deliveries counted %d new events, want %d", counted, distinct)
	}
	// Events only one delivery brought keep that delivery's order.
	seqOf := map[string]int64{}
	rows, err := dbs[0].sql.QueryContext(ctx, `SELECT event_id, seq FROM incident_events`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			t.Fatal(err)
		}
		seqOf[id] = seq
	}
	rows.Close()
	for d := range deliveries {
		var own []int64
		for _, e := range batch(d) {
			var n int
			fmt.Sscanf(e.ID, "E%05d", &n)
			if i := n - d*stride; i >= perDelivery-stride && i < stride {
				own = append(own, seqOf[e.ID])
			}
		}
		if len(own) != 2*stride-perDelivery || !slices.IsSorted(own) {
			t.Errorf("delivery %d's own events stored out of its order: seqs %v", d, own)
		}
	}
}
