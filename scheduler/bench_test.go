package scheduler

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// manyTasks returns n tasks spread over every kind of rule and a few zones,
// the way a large installation might look.
func manyTasks(tb testing.TB, n int) []Task {
	zones := []*time.Location{time.UTC, mustLoc(tb, "America/New_York"), mustLoc(tb, "Europe/Berlin"), mustLoc(tb, "Asia/Tokyo")}
	crons := []string{"0 9 * * 1-5", "*/15 * * * *", "30 2 * * 0", "@daily", "0 18 28-31 * *"}
	tasks := make([]Task, n)
	for i := range tasks {
		at := fmt.Sprintf("%02d:%02d", i%24, i%60)
		r := Rule{Location: zones[i%len(zones)]}
		switch i % 7 {
		case 0:
			r.Kind, r.At = KindDaily, at
		case 1:
			r.Kind, r.At = KindWeekdays, at
		case 2:
			r.Kind, r.At, r.Weekdays = KindWeekly, at, []time.Weekday{time.Weekday(i % 7), time.Weekday((i + 3) % 7)}
		case 3:
			r.Kind, r.At, r.Day = KindMonthlyDay, at, 1+i%31
		case 4:
			r.Kind, r.At = KindMonthlyLast, at
		case 5:
			r.Kind, r.At, r.Date = KindOnce, at, fmt.Sprintf("2027-%02d-%02d", 1+i%12, 1+i%28)
		case 6:
			r.Kind, r.Cron = KindCron, crons[i%len(crons)]
		}
		tasks[i] = Task{ID: fmt.Sprintf("task-%06d", i), Rule: r}
	}
	return tasks
}

func loadEngine(tasks []Task, clock Clock) *Engine {
	e := New(clock, nil, func(context.Context, Occurrence) error { return nil }, Options{})
	for _, t := range tasks {
		e.Upsert(t)
	}
	return e
}

// TestUpsert100k loads 100,000 tasks and checks it is quick and small.
func TestUpsert100k(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	tasks := manyTasks(t, 100_000)
	clock := NewFakeClock(time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	e := loadEngine(tasks, clock)
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	perTask := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / int64(len(tasks))
	t.Logf("100k Upserts: %s, %d bytes of heap per task", took, perTask)
	if e.Len() != len(tasks) || len(e.heap) != len(tasks) {
		t.Fatalf("Len = %d, heap %d; want %d", e.Len(), len(e.heap), len(tasks))
	}
	limit := 2 * time.Second
	if raceEnabled {
		limit *= 10 // the race detector slows everything down
	}
	if took > limit {
		t.Errorf("100k Upserts took %s, want under %s", took, limit)
	}
	if perTask > 512 {
		t.Errorf("%d bytes per task, want at most 512", perTask)
	}
	// The heap is in order.
	for i := 1; i < len(e.heap); i++ {
		if p := (i - 1) / 2; e.heap[p].next > e.heap[i].next || e.heap[i].idx != i {
			t.Fatalf("heap broken at %d", i)
		}
	}
	runtime.KeepAlive(e)
	runtime.KeepAlive(tasks) // so their memory is not counted as freed
}

func BenchmarkUpsert100k(b *testing.B) {
	tasks := manyTasks(b, 100_000)
	clock := NewFakeClock(time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		loadEngine(tasks, clock)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(tasks)), "ns/task")
}

func BenchmarkNext(b *testing.B) {
	ny := mustLoc(b, "America/New_York")
	berlin := mustLoc(b, "Europe/Berlin")
	tokyo := mustLoc(b, "Asia/Tokyo")
	after := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)
	dstDay := time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC) // NY spring-forward
	for _, bm := range []struct {
		name  string
		rule  Rule
		after time.Time
	}{
		{"daily_utc", Rule{Kind: KindDaily, At: "09:00"}, after},
		{"daily_ny", Rule{Kind: KindDaily, At: "09:00", Location: ny}, after},
		{"daily_ny_dst_gap", Rule{Kind: KindDaily, At: "02:30", Location: ny}, dstDay.Add(-24 * time.Hour)},
		{"weekly_berlin", Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Monday, time.Thursday}, Location: berlin}, after},
		{"monthly_last_tokyo", Rule{Kind: KindMonthlyLast, At: "18:00", Location: tokyo}, after},
		{"cron_weekdays_tokyo", Rule{Kind: KindCron, Cron: "0 9 * * 1-5", Location: tokyo}, after},
		{"cron_every15_ny_dst", Rule{Kind: KindCron, Cron: "*/15 * * * *", Location: ny}, dstDay},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := bm.rule.Next(bm.after); !ok {
					b.Fatal("no next")
				}
			}
		})
	}
	// What the engine pays per wake: the rule already compiled.
	s, err := Rule{Kind: KindDaily, At: "09:00", Location: ny}.compile()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("compiled_daily_ny", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.next(after.Unix())
		}
	})
}
