package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/internal/pgtest"
	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
)

// The PostgreSQL column: the same figures with several replicas sharing
// one PostgreSQL, beside SQLite's single replica measured in the same run
// (the floor each ratio is taken against).

// pgBench is a private PostgreSQL cluster for the run, or why there is none.
type pgBench struct {
	cluster *pgtest.Cluster
	skip    string
	n       int
}

func startPostgres() (*pgBench, error) {
	c, skip, err := pgtest.Start()
	if err != nil {
		return nil, err
	}
	return &pgBench{cluster: c, skip: skip}, nil
}

// database makes a fresh database for one scenario.
func (b *pgBench) database() (string, error) {
	b.n++
	return b.cluster.CreateDatabase(context.Background(), fmt.Sprintf("tobanbench_%d_%d", os.Getpid(), b.n))
}

func (b *pgBench) stop() {
	if b.cluster != nil {
		if err := b.cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		}
	}
}

// countEvents counts the incident events stored in toban's database.
func countEvents(target string) (int, error) {
	driver, dsn := "sqlite", "file:"+target+"?mode=ro&_pragma=busy_timeout(5000)"
	if strings.HasPrefix(target, "postgres") {
		driver, dsn = "pgx", target
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT COUNT(*) FROM incident_events`).Scan(&n)
	return n, err
}

// webhookIngest sends n signed webhook deliveries (30 % of them
// duplicates) from 16 senders spread over replicas tobans on target (a
// SQLite path or a PostgreSQL URL), and counts what was stored.
func webhookIngest(bin, target string, replicas, n int) (ingestResult, error) {
	s := slackfake.New(slackfake.Options{Now: time.Now, MaxConnections: 10})
	defer s.Close()
	pd := pdfake.New(pdfake.Options{})
	defer pd.Close()
	var addrs []string
	for range replicas {
		p, err := startToban(bin, env(s, pd, target))
		if err != nil {
			return ingestResult{}, err
		}
		defer p.stop()
		addrs = append(addrs, p.addr)
	}
	unique := n * 7 / 10
	events := make([]map[string]any, 0, n)
	for i := range unique {
		inc := pdfake.Incident{ID: fmt.Sprintf("Q%06d", i), Number: i + 1, Title: "Ingest", ServiceID: "PUNSUB", CreatedAt: time.Now()}
		events = append(events, pagerDutyEvent(fmt.Sprintf("EvI%06d", i), "incident.triggered", inc, "Unsubscribed"))
	}
	for len(events) < n {
		events = append(events, events[rand.IntN(unique)])
	}
	rand.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	signed := make([]signedDelivery, len(events))
	for i, ev := range events {
		signed[i] = sign(ev)
	}
	var next, failures atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(events) {
					return
				}
				if code, err := deliverSigned(addrs[i%len(addrs)], signed[i]); err != nil || code/100 != 2 {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failures.Load(); f > 0 {
		return ingestResult{}, fmt.Errorf("%d deliveries failed", f)
	}
	stored, err := countEvents(target)
	if err != nil {
		return ingestResult{}, err
	}
	return ingestResult{deliveries: n, unique: unique, stored: stored, elapsed: elapsed}, nil
}

// readyz reads the leases a toban holds from its /readyz.
func readyzLeases(addr string) []string {
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var body struct {
		Leases []string `json:"leases"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.Leases
}

// failover starts two tobans on target, SIGKILLs the one holding the
// on-call lease and returns how long until the other holds every lease
// the dead one held.
func failover(bin, target string) (time.Duration, error) {
	s := slackfake.New(slackfake.Options{Now: time.Now, MaxConnections: 10})
	defer s.Close()
	pd := pdfake.New(pdfake.Options{})
	defer pd.Close()
	a, err := startToban(bin, env(s, pd, target))
	if err != nil {
		return 0, err
	}
	defer a.stop()
	b, err := startToban(bin, env(s, pd, target))
	if err != nil {
		return 0, err
	}
	defer b.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var dead, survivor *tobanProc
	var held []string
	if err := waitFor(ctx, func() bool {
		for _, p := range []*tobanProc{a, b} {
			if l := readyzLeases(p.addr); slices.Contains(l, "oncall") {
				dead, held = p, l
				survivor = map[bool]*tobanProc{true: b, false: a}[p == a]
				return true
			}
		}
		return false
	}); err != nil {
		return 0, fmt.Errorf("nobody took the on-call lease")
	}
	_ = dead.cmd.Process.Kill()
	killed := time.Now()
	if err := waitFor(ctx, func() bool {
		got := readyzLeases(survivor.addr)
		for _, l := range held {
			if !slices.Contains(got, l) {
				return false
			}
		}
		return true
	}); err != nil {
		return 0, fmt.Errorf("leases %v not taken over within 30 s", held)
	}
	return time.Since(killed), nil
}

// firingResult is a burst of tasks fired by several replicas.
type firingResult struct {
	fired, missing, doubled int
	lateness50, late99      time.Duration
	killedAfter             int
}

// firing seeds burst once-tasks, each in its own channel, due in the same
// minute, starts replicas tobans on target and, with kill, SIGKILLs the
// first once a fifth of the cards are posted; lateness is the fake's post
// time against the due time.
func firing(bin, target string, replicas, burst int, kill bool) (firingResult, error) {
	s := slackfake.New(slackfake.Options{Now: time.Now, MaxConnections: 10})
	defer s.Close()
	now := time.Now()
	due := now.Truncate(time.Minute).Add(time.Minute)
	if time.Until(due) < 20*time.Second {
		due = due.Add(time.Minute)
	}
	err := seed(target, func(ctx context.Context, db *storage.DB) error {
		batch := make([]domain.Task, 0, burst)
		for i := range burst {
			r := scheduler.Rule{Kind: scheduler.KindOnce, Date: due.UTC().Format("2006-01-02"), At: due.UTC().Format("15:04"), Location: time.UTC}
			batch = append(batch, domain.Task{ID: domain.NewTaskID(), Title: fmt.Sprintf("Burst task %04d", i), ChannelID: fmt.Sprintf("CB%04d", i),
				Rule: r, GraceMinutes: 15, Escalation: domain.EscalateNone, CreatedBy: "U1"})
		}
		return db.ImportTasks(ctx, batch)
	})
	if err != nil {
		return firingResult{}, err
	}
	var procs []*tobanProc
	for range replicas {
		p, err := startToban(bin, env(s, nil, target))
		if err != nil {
			return firingResult{}, err
		}
		defer p.stop()
		procs = append(procs, p)
	}
	posted := func() int {
		k := 0
		for _, c := range s.Calls("chat.postMessage") {
			if c.Error == "" && strings.HasPrefix(c.Form.Get("channel"), "CB") {
				k++
			}
		}
		return k
	}
	var r firingResult
	ctx, cancel := context.WithTimeout(context.Background(), time.Until(due)+2*time.Minute)
	defer cancel()
	if kill {
		if err := waitFor(ctx, func() bool { return posted() >= burst/5 }); err != nil {
			return r, fmt.Errorf("only %d of %d cards posted before the kill", posted(), burst)
		}
		_ = procs[0].cmd.Process.Kill()
		r.killedAfter = posted()
	}
	if err := waitFor(ctx, func() bool { return posted() >= burst }); err != nil {
		return r, fmt.Errorf("only %d of %d cards posted", posted(), burst)
	}
	time.Sleep(time.Duration(storage.ClaimLease) + 5*time.Second) // a doubled post would come by now
	var late []time.Duration
	perChannel := map[string]int{}
	for _, c := range s.Calls("chat.postMessage") {
		if ch := c.Form.Get("channel"); c.Error == "" && strings.HasPrefix(ch, "CB") {
			late = append(late, c.At.Sub(due))
			perChannel[ch]++
		}
	}
	for i := range burst {
		switch k := perChannel[fmt.Sprintf("CB%04d", i)]; {
		case k == 0:
			r.missing++
		case k > 1:
			r.doubled += k - 1
		}
	}
	r.fired = len(late)
	r.lateness50, r.late99 = percentile(late, 0.5), percentile(late, 0.99)
	return r, nil
}

// sqliteFloor is what the SQLite scenarios measured, for the ratios.
type sqliteFloor struct {
	ingestRate      float64
	haveIngest      bool
	click99, late99 time.Duration
	// clickFloor50 and clickFloor99 are the click floor's (clickfloor.go).
	clickFloor50, clickFloor99 time.Duration
}

// postgresSection runs the PostgreSQL scenarios and renders their table.
func postgresSection(bin, dir string, floor sqliteFloor, clicks int, only string) string {
	want := func(name string) bool { return only == "" || only == "postgres" || only == "pg-"+name }
	var b strings.Builder
	b.WriteString("\n## PostgreSQL beside SQLite\n\n")
	pg, err := startPostgres()
	if err != nil {
		fmt.Fprintf(&b, "PostgreSQL could not be started, so this column is missing: %v\n", err)
		return b.String()
	}
	defer pg.stop()
	if pg.skip != "" {
		fmt.Fprintf(&b, "Skipped: %s.\n", pg.skip)
		return b.String()
	}
	b.WriteString("Several replicas of the same binary share one PostgreSQL (a private cluster on loopback, started for the run);\n")
	b.WriteString("the SQLite figures are the single replica's, measured earlier in this run: they are the floor each ratio is against.\n\n")
	b.WriteString("| figure | SQLite (1 replica) | PostgreSQL | PostgreSQL ÷ SQLite | target | met | notes |\n|---|---|---|---|---|---|---|\n")
	rowf := func(figure, sqlite, pgv, ratio, target string, ok bool, note string) {
		met := "✅"
		if !ok {
			met = "❌"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", figure, sqlite, pgv, ratio, target, met, note)
	}
	dash := "—"
	fail := func(figure string, err error) {
		fmt.Fprintf(&b, "| %s | | failed: %s | | | ❌ | |\n", figure, strings.ReplaceAll(err.Error(), "\n", " "))
	}

	if want("ingest") {
		step("PostgreSQL: webhook ingest, 2 replicas, 5,000 deliveries, 30% duplicates")
		if url, err := pg.database(); err != nil {
			fail("webhook ingest", err)
		} else if ing, err := webhookIngest(bin, url, 2, 5000); err != nil {
			fail("webhook ingest", err)
		} else {
			rate := float64(ing.deliveries) / ing.elapsed.Seconds()
			sq, ratio := dash, dash
			if floor.haveIngest {
				sq, ratio = fmt.Sprintf("%.0f/s", floor.ingestRate), fmt.Sprintf("%.2f×", rate/floor.ingestRate)
			}
			rowf("webhook ingest", sq, fmt.Sprintf("%.0f deliveries/s (2 replicas)", rate), ratio, "≥ 2,000/s", rate >= 2000,
				fmt.Sprintf("%d stored of %d unique, %d doubled", ing.stored, ing.unique, max(0, ing.stored-ing.unique)))
		}
	}

	if want("click") {
		step(fmt.Sprintf("PostgreSQL: click → update, 2 replicas, %d clicks", clicks))
		if url, err := pg.database(); err != nil {
			fail("click → update p99", err)
		} else if r, err := clickToUpdate(bin, url, 2, clicks, clickSpacing); err != nil {
			fail("click → update p99", err)
		} else {
			lat := r.lat
			p50, p99 := percentile(lat, 0.5), percentile(lat, 0.99)
			sq, ratio := dash, dash
			if floor.click99 > 0 {
				sq, ratio = ms(floor.click99), fmt.Sprintf("%.2f×", ratio2(p99, floor.click99))
			}
			if floor.clickFloor99 == 0 {
				step(fmt.Sprintf("click floor: a bare slack-go + go-pagerduty loop, %d clicks", clicks))
				if fr, err := clickFloor(clicks, clickSpacing); err == nil {
					floor.clickFloor50, floor.clickFloor99 = percentile(fr.lat, 0.5), percentile(fr.lat, 0.99)
				}
			}
			note := ""
			if floor.clickFloor99 > 0 {
				note = fmt.Sprintf("; the click floor (no database) in this run: p50 %s, p99 %s", ms(floor.clickFloor50), ms(floor.clickFloor99))
			}
			rowf("click → update p99", sq, fmt.Sprintf("%s (p50 %s)", ms(p99), ms(p50)), ratio, "≤ 10 ms", p99 <= 10*time.Millisecond,
				"2 replicas, each envelope to one socket at random; the per-incident lock is a PostgreSQL advisory lock; "+clickSpread(r)+note)
		}
	}

	if want("failover") {
		step("failover: SIGKILL the lease holder of 2 replicas, on SQLite and on PostgreSQL")
		sqFail, sqErr := failover(bin, filepath.Join(dir, "failover.db"))
		if url, err := pg.database(); err != nil {
			fail("failover", err)
		} else if d, err := failover(bin, url); err != nil {
			fail("failover", err)
		} else {
			sq, ratio := dash, dash
			if sqErr == nil {
				sq, ratio = sqFail.Round(10*time.Millisecond).String(), fmt.Sprintf("%.2f×", ratio2(d, sqFail))
			}
			rowf("failover: leases taken over after SIGKILL", sq, d.Round(10*time.Millisecond).String(), ratio, "≤ 10 s", d <= 10*time.Second,
				"lease TTL 6 s: the bound is the dead holder's last renewal plus the TTL; SQLite: two replicas on one file")
		}
	}

	if want("firing") {
		step("PostgreSQL: 1,000 tasks due in one minute over 3 replicas, one SIGKILLed during the firing")
		if url, err := pg.database(); err != nil {
			fail("firing lateness", err)
		} else if r, err := firing(bin, url, 3, 1000, true); err != nil {
			fail("firing lateness", err)
		} else {
			sq, ratio := dash, dash
			if floor.late99 > 0 {
				sq, ratio = ms(floor.late99), fmt.Sprintf("%.2f×", ratio2(r.late99, floor.late99))
			}
			rowf("1,000-task firing lateness p99", sq, fmt.Sprintf("%s (p50 %s)", ms(r.late99), ms(r.lateness50)), ratio, "≤ 2 s, each once", r.late99 <= 2*time.Second && r.missing == 0 && r.doubled == 0,
				fmt.Sprintf("3 replicas, one SIGKILLed after %d posts: %d posted, %d missing, %d doubled", r.killedAfter, r.fired, r.missing, r.doubled))
		}
	}
	return b.String()
}

func ratio2(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}
