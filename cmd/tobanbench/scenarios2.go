package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/scheduler"
	"github.com/tobanbot/toban/storage"
)

// clickToUpdate measures a click on Acknowledge until the card's
// chat.update, with fakes that answer at once: toban's own overhead.
// The clicks go to replicas tobans on target, each holding a socket.
func clickToUpdate(bin, target string, replicas, clicks int, spacing time.Duration) (clickRun, error) {
	warm := warmClicks(clicks)
	clicks += warm
	s := slackfake.New(slackfake.Options{Now: time.Now, MaxConnections: max(0, replicas)})
	defer s.Close()
	s.AddUser(slackfake.User{ID: "U1", Name: "alice", Email: "alice@example.com"})
	pd := pdfake.New(pdfake.Options{})
	defer pd.Close()
	pd.AddUser(pdfake.User{ID: "PU1", Name: "Alice", Email: "alice@example.com"})
	pd.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEP1", Name: "Ops", Levels: []pdfake.EscalationLevel{{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "PU1"}}}}})
	dbPath := target
	err := seed(dbPath, func(ctx context.Context, db *storage.DB) error {
		for i := range clicks {
			svc := fmt.Sprintf("PS%03d", i)
			pd.AddService(pdfake.Service{ID: svc, Name: "Service " + svc, EscalationPolicyID: "PEP1"})
			if err := db.Subscribe(ctx, domain.Subscription{ChannelID: fmt.Sprintf("C%03d", i), ServiceID: svc, ServiceName: svc,
				Urgencies: []string{"high", "low"}, CreatedBy: "U1"}); err != nil {
				return err
			}
		}
		return db.SaveUserLink(ctx, domain.UserLink{SlackUserID: "U1", PDUserID: "PU1", PDName: "Alice", Email: "alice@example.com", Manual: true})
	})
	if err != nil {
		return clickRun{}, err
	}
	p, err := startToban(bin, env(s, pd, dbPath))
	if err != nil {
		return clickRun{}, err
	}
	defer p.stop()
	for range replicas - 1 {
		q, err := startToban(bin, env(s, pd, dbPath))
		if err != nil {
			return clickRun{}, err
		}
		defer q.stop()
	}

	cards := make([]benchCard, clicks)
	for i := range clicks {
		inc := pd.AddIncident(pdfake.Incident{Title: fmt.Sprintf("Bench incident %03d", i), ServiceID: fmt.Sprintf("PS%03d", i), Urgency: "high", EscalationPolicyID: "PEP1"})
		if code, err := deliver(p.addr, pagerDutyEvent(fmt.Sprintf("EvC%03d", i), "incident.triggered", inc, "svc")); err != nil || code/100 != 2 {
			return clickRun{}, fmt.Errorf("trigger %d: %d %v", i, code, err)
		}
		cards[i] = benchCard{channel: fmt.Sprintf("C%03d", i), incident: inc.ID}
	}
	// A minute for the cards, and up to 30 s more for each click.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second+time.Duration(clicks)*(spacing+30*time.Second))
	defer cancel()
	for i := range cards {
		err := waitFor(ctx, func() bool {
			for _, m := range s.Messages(cards[i].channel) {
				if strings.Contains(m.Text, "Bench incident") {
					cards[i].ts = m.TS
					return true
				}
			}
			return false
		})
		if err != nil {
			return clickRun{}, fmt.Errorf("card %d never posted", i)
		}
	}
	return measureClicks(ctx, s, cards, warm, spacing)
}

// benchCard is a card clicked by the click scenarios.
type benchCard struct{ channel, ts, incident string }

// clickRun is the latencies of one click scenario: each from the
// envelope sent to the card's chat.update arriving at the fake.
type clickRun struct {
	// warm are the first clicks, not measured: each replica's first
	// clicks open its connections and prepare its statements.
	warm []time.Duration
	lat  []time.Duration // the measured clicks
}

// warmClicks is how many clicks come before the measured ones: enough
// for each of 2 replicas, chosen at random per envelope, to have had
// several.
func warmClicks(clicks int) int { return min(20, clicks) }

// measureClicks clicks Acknowledge on each card in turn, spacing apart;
// the first warm clicks are the warm-up.
func measureClicks(ctx context.Context, s *slackfake.Server, cards []benchCard, warm int, spacing time.Duration) (clickRun, error) {
	var lat []time.Duration
	for i, c := range cards {
		sent := time.Now()
		s.SendInteraction(clickPayload(s, i, c.channel, c.ts, c.incident))
		var updated time.Time
		err := waitFor(ctx, func() bool {
			for _, call := range s.Calls("chat.update") {
				if call.Form.Get("ts") == c.ts && call.Error == "" {
					updated = call.At
					return true
				}
			}
			return false
		})
		if err != nil {
			return clickRun{}, fmt.Errorf("click %d: card never updated", i)
		}
		lat = append(lat, updated.Sub(sent))
		time.Sleep(spacing)
	}
	return clickRun{warm: lat[:warm], lat: lat[warm:]}, nil
}

// stormResult is the alert storm measurement.
type stormResult struct {
	incidents, cards, digested, posts, ratelimited int
	elapsed, bound                                 time.Duration
}

// storm sends n incidents on 5 services into one subscribed channel and
// waits until every one is represented by a card or a digest entry.
func storm(bin, dir string, n int) (stormResult, error) {
	s := slackfake.New(slackfake.Options{Now: time.Now}) // Slack's 1 post/s per channel, bursts of 4
	defer s.Close()
	pd := pdfake.New(pdfake.Options{})
	defer pd.Close()
	dbPath := filepath.Join(dir, "storm.db")
	services := []string{"PSA", "PSB", "PSC", "PSD", "PSE"}
	err := seed(dbPath, func(ctx context.Context, db *storage.DB) error {
		for _, svc := range services {
			pd.AddService(pdfake.Service{ID: svc, Name: svc, EscalationPolicyID: "PEP1"})
			if err := db.Subscribe(ctx, domain.Subscription{ChannelID: "CSTORM", ServiceID: svc, ServiceName: svc, Urgencies: []string{"high"}, CreatedBy: "U1"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return stormResult{}, err
	}
	p, err := startToban(bin, env(s, pd, dbPath))
	if err != nil {
		return stormResult{}, err
	}
	defer p.stop()
	incs := make([]pdfake.Incident, n)
	for i := range incs {
		incs[i] = pd.AddIncident(pdfake.Incident{Title: fmt.Sprintf("Storm %03d", i), ServiceID: services[i%5], Urgency: "high"})
	}
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, inc := range incs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			deliver(p.addr, pagerDutyEvent(fmt.Sprintf("EvS%03d", i), "incident.triggered", inc, inc.ServiceID))
		})
	}
	wg.Wait()
	var r stormResult
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err = waitFor(ctx, func() bool {
		r = stormResult{incidents: n}
		for _, m := range s.Messages("CSTORM") {
			if m.ThreadTS != "" {
				continue
			}
			r.posts++
			var k int
			if strings.HasPrefix(m.Text, "Storm ") || strings.Contains(m.Text, "] Storm ") {
				r.cards++
			} else if _, err := fmt.Sscanf(m.Text[strings.Index(m.Text, ": ")+2:], "%d more incidents", &k); err == nil {
				r.digested += k
			}
		}
		return r.cards+r.digested >= n
	})
	r.elapsed = time.Since(start)
	r.ratelimited = s.RateLimited()
	// Slack lets a channel take a burst of 4, then one post a second.
	r.bound = time.Duration(max(0, r.posts-4)) * time.Second
	if err != nil {
		return r, fmt.Errorf("storm not represented after 3 min: %d cards + %d digested", r.cards, r.digested)
	}
	return r, nil
}

// remindersResult is the 100k-task measurement.
type remindersResult struct {
	tasks              int
	start              time.Duration
	rss                int64
	idleCPU            time.Duration
	idleWindow         time.Duration
	lateness50, late99 time.Duration
	fired              int
}

// reminders loads tasks into the database, starts toban, lets burst tasks
// come due in the same minute (each in its own channel), and measures the
// start, memory, firing lateness and CPU used while idle.
func reminders(bin, dir string, tasks, burst int, idle time.Duration) (remindersResult, error) {
	s := slackfake.New(slackfake.Options{Now: time.Now})
	defer s.Close()
	dbPath := filepath.Join(dir, "reminders.db")
	now := time.Now()
	due := now.Truncate(time.Minute).Add(time.Minute) // toban is up well before
	if time.Until(due) < 20*time.Second {
		due = due.Add(time.Minute)
	}
	past := now.Add(-3 * time.Hour).UTC().Format("15:04") // daily tasks next due tomorrow
	err := seed(dbPath, func(ctx context.Context, db *storage.DB) error {
		batch := make([]domain.Task, 0, tasks)
		for i := range tasks - burst {
			r := scheduler.Rule{Kind: scheduler.KindDaily, At: past, Location: time.UTC}
			batch = append(batch, domain.Task{ID: domain.NewTaskID(), Title: fmt.Sprintf("Daily check %06d", i), ChannelID: "CBULK",
				Rule: r, GraceMinutes: 15, Escalation: domain.EscalateNone, CreatedBy: "U1"})
		}
		for i := range burst {
			r := scheduler.Rule{Kind: scheduler.KindOnce, Date: due.UTC().Format("2006-01-02"), At: due.UTC().Format("15:04"), Location: time.UTC}
			batch = append(batch, domain.Task{ID: domain.NewTaskID(), Title: fmt.Sprintf("Burst task %04d", i), ChannelID: fmt.Sprintf("CB%04d", i),
				Rule: r, GraceMinutes: 15, Escalation: domain.EscalateNone, CreatedBy: "U1"})
		}
		return db.ImportTasks(ctx, batch)
	})
	if err != nil {
		return remindersResult{}, err
	}
	p, err := startToban(bin, env(s, nil, dbPath))
	if err != nil {
		return remindersResult{}, err
	}
	defer p.stop()
	r := remindersResult{tasks: tasks, start: p.ready}
	r.rss, _ = p.rssBytes()

	ctx, cancel := context.WithTimeout(context.Background(), time.Until(due)+2*time.Minute)
	defer cancel()
	if err := waitFor(ctx, func() bool { return len(s.Calls("chat.postMessage")) >= burst }); err != nil {
		return r, fmt.Errorf("only %d of %d burst cards posted", len(s.Calls("chat.postMessage")), burst)
	}
	var late []time.Duration
	for _, c := range s.Calls("chat.postMessage") {
		if strings.HasPrefix(c.Form.Get("channel"), "CB") {
			late = append(late, c.At.Sub(due))
		}
	}
	r.fired = len(late)
	r.lateness50, r.late99 = percentile(late, 0.5), percentile(late, 0.99)

	time.Sleep(2 * time.Second) // let the burst's follow-up work settle
	before, _ := p.cpuTime()
	time.Sleep(idle)
	after, _ := p.cpuTime()
	r.idleCPU, r.idleWindow = after-before, idle
	return r, nil
}

// idleFootprint starts toban with nothing to do and reads its memory.
func idleFootprint(bin, dir string) (int64, error) {
	s := slackfake.New(slackfake.Options{Now: time.Now})
	defer s.Close()
	p, err := startToban(bin, env(s, nil, filepath.Join(dir, "idle.db")))
	if err != nil {
		return 0, err
	}
	defer p.stop()
	time.Sleep(3 * time.Second)
	return p.rssBytes()
}

// clickSpread says how many clicks were measured and how they spread
// beyond p50 and p99, and what the warm-up clicks took (the first of all
// opens toban's connections and prepares its statements).
func clickSpread(r clickRun) string {
	if len(r.lat) == 0 {
		return "no clicks"
	}
	out := fmt.Sprintf("%d clicks, p90 %s, slowest %s", len(r.lat), ms(percentile(r.lat, 0.9)), ms(slices.Max(r.lat)))
	if len(r.warm) > 0 {
		out += fmt.Sprintf("; after %d warm-up clicks (first %s, slowest %s)", len(r.warm), ms(r.warm[0]), ms(slices.Max(r.warm)))
	}
	return out
}

// clickSpacing spaces the measured clicks: each click updates a card, and
// chat.update is Tier 3 (toban paces itself at 50 a minute, bursts of
// 10, shared by the replicas), so clicks closer than 1.2 s would end up
// measuring toban's pacing instead of its work.
const clickSpacing = 1300 * time.Millisecond
