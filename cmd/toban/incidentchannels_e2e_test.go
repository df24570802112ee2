package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/scheduler"
)

// jumpClock is real time that a test can move forward at once (days
// later), firing the timers that come due: the incident channel test
// needs PagerDuty's real times and toban's to agree until it skips to the
// archive.
type jumpClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *jumpClock) Jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func (c *jumpClock) NewTimer(d time.Duration) scheduler.Timer {
	t := &jumpTimer{ch: make(chan time.Time, 1), stop: make(chan struct{})}
	when := c.Now().Add(d)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if now := c.Now(); !now.Before(when) {
				t.ch <- now
				return
			}
			select {
			case <-t.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return t
}

type jumpTimer struct {
	ch   chan time.Time
	stop chan struct{}
	once sync.Once
}

func (t *jumpTimer) C() <-chan time.Time { return t.ch }

func (t *jumpTimer) Stop() bool {
	stopped := false
	t.once.Do(func() { close(t.stop); stopped = true })
	return stopped
}

// Alice opens a channel for her incident from the card: Bob, the linked
// assignee, is in it with her, the card is mirrored there and works in
// both places, and after the resolve the channel gets the timeline once;
// the CLI prints the same; two days later the channel is archived.
func TestEndToEndIncidentChannel(t *testing.T) {
	clock := &jumpClock{}
	w := incidentWorld(t)
	w.env["TOBAN_PD_POLL_INTERVAL"] = "1s" // the resolve reaches the feed
	w.env["TOBAN_INCIDENT_CHANNEL_ARCHIVE_DAYS"] = "2"
	r := w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")

	card := triggerIncident(t, w, alice, "Checkout latency > 2s")
	inc := incidentByTitle(t, w.pd, "Checkout latency > 2s")
	name := fmt.Sprintf("inc-%d-checkout-latency-2s", inc.Number)

	// Bob links his account; Alice escalates to him (level 2).
	bob.Slash(t, "link")
	bob.ExpectEphemeral(t, "<@U2> is linked to PagerDuty user *Bob Ops*")
	card.ClickAs(t, alice, "Escalate")
	alice.ExpectModal(t, "Escalate").Choose("Escalate to", "Level 2").Submit()
	card.ExpectReply("escalated #")
	card.ExpectText("Escalated to level 2 by <@U1>")

	var channelID string
	var mirror *slackfake.Card
	t.Run("AliceOpensTheChannel", func(t *testing.T) {
		card.ChooseAs(t, alice, "More actions…", "Open incident channel")
		deadline := time.Now().Add(10 * time.Second)
		for {
			if id, ok := w.slack.ChannelByName(name); ok {
				channelID = id
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no channel %s", name)
			}
			time.Sleep(20 * time.Millisecond)
		}
		mirror = w.slack.Channel(t, channelID).ExpectMessage("Checkout latency")
		if got := w.slack.ChannelMembers(channelID); !slices.Contains(got, "U1") || !slices.Contains(got, "U2") || len(got) != 3 {
			t.Errorf("members = %q, want the bot, Alice (who clicked) and Bob (the linked assignee)", got)
		}
		expectThread(t, card, "escalated #", fmt.Sprintf("<@U1> opened <#%s>", channelID))
	})
	if channelID == "" {
		t.FailNow()
	}

	t.Run("BobAcknowledgesInTheChannel", func(t *testing.T) {
		mirror.ClickAs(t, bob, "Acknowledge")
		mirror.ExpectText("Acknowledged by <@U2>")
		card.ExpectText("Acknowledged by <@U2>")
	})
	t.Run("BobAddsANoteInTheChannel", func(t *testing.T) {
		mirror.ClickAs(t, bob, "Add note")
		bob.ExpectModal(t, "Add note").Type("Note", "Rolled back the CDN config").Submit()
		mirror.ExpectReply("Rolled back the CDN config")
		card.ExpectReply("Rolled back the CDN config")
	})
	t.Run("SecondClickLinksTheSameChannel", func(t *testing.T) {
		card.ChooseAs(t, bob, "More actions…", "Open incident channel")
		bob.ExpectEphemeral(t, fmt.Sprintf("already has its channel: <#%s>", channelID))
		if n := countChannelsNamed(w.slack, name); n != 1 {
			t.Errorf("%d channels named like %s, want 1", n, name)
		}
	})

	var timeline *slackfake.Card
	t.Run("TimelineAfterResolve", func(t *testing.T) {
		card.ClickAs(t, alice, "Resolve")
		card.ExpectText("Resolved by <@U1>")
		mirror.ExpectText("Resolved by <@U1>")
		timeline = w.slack.Channel(t, channelID).ExpectMessage("Timeline of")
		text := timeline.Text()
		last := -1
		for _, want := range []string{"Triggered by <@U1>", "Escalated to level 2 by <@U1>", "Incident channel #" + name + " opened by <@U1>",
			"Acknowledged by <@U2>", "Note by <@U2>: Rolled back the CDN config", "Resolved by <@U1>"} {
			i := strings.Index(text, want)
			if i < 0 || i < last {
				t.Errorf("timeline lacks %q after the previous line:\n%s", want, text)
				continue
			}
			last = i
		}
		if strings.Count(text, "Acknowledged by") != 1 || strings.Count(text, "Note by") != 1 {
			t.Errorf("an action twice (toban's record and PagerDuty's log):\n%s", text)
		}
		if !strings.Contains(text, "<!date^") {
			t.Errorf("times not in each reader's zone:\n%s", text)
		}
	})
	t.Run("TimelinePostedOnce", func(t *testing.T) {
		// The same resolve again (the webhook after the poller; another
		// replica): nothing more.
		if err := r.main.app.IncidentChannels.Resolved(context.Background(), inc.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond) // a poll more
		n := 0
		for _, m := range w.slack.Channel(t, channelID).Messages() {
			if strings.Contains(m.Text, "Timeline of") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d timelines, want 1", n)
		}
	})

	t.Run("CLI", func(t *testing.T) {
		var out, errb bytes.Buffer
		if code := run([]string{"incident", "timeline", fmt.Sprint(inc.Number)}, envOf(w.env), &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		md := out.String()
		last := -1
		for _, want := range []string{"# Timeline of incident #", "Triggered by Alice Ops", "Escalated to level 2 by Alice Ops",
			"Acknowledged by Bob Ops", "Note by Bob Ops: Rolled back the CDN config", "Resolved by Alice Ops"} {
			i := strings.Index(md, want)
			if i < 0 || i < last {
				t.Errorf("markdown lacks %q in order:\n%s", want, md)
				continue
			}
			last = i
		}
		out.Reset()
		if code := run([]string{"incident", "timeline", "--format", "json", fmt.Sprint(inc.Number)}, envOf(w.env), &out, &errb); code != 0 {
			t.Fatalf("json: exit %d: %s", code, errb.String())
		}
		var got struct {
			Incident struct {
				Number int    `json:"number"`
				Status string `json:"status"`
			} `json:"incident"`
			Entries []struct {
				Kind string `json:"kind"`
				Who  struct {
					SlackUser string `json:"slack_user"`
				} `json:"who"`
				Source string `json:"source"`
			} `json:"entries"`
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("json: %v\n%s", err, out.String())
		}
		var kinds []string
		for _, e := range got.Entries {
			kinds = append(kinds, e.Kind+"/"+e.Who.SlackUser)
		}
		want := []string{"triggered/U1", "escalated/U1", "channel/U1", "acknowledged/U2", "note/U2", "resolved/U1"}
		if got.Incident.Number != inc.Number || got.Incident.Status != "resolved" || !slices.Equal(kinds, want) {
			t.Errorf("json = #%d %s %q, want #%d resolved %q", got.Incident.Number, got.Incident.Status, kinds, inc.Number, want)
		}
	})
	t.Run("CLIErrors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"incident", "timeline"}, 2, "want one incident NUMBER"},
			{[]string{"incident", "timeline", "abc"}, 2, "NUMBER must be an incident number"},
			{[]string{"incident", "timeline", "1", "--format", "pdf"}, 2, "--format must be markdown or json"},
			{[]string{"incident", "timeline", "9999"}, 1, "PagerDuty has no incident #9999"},
		} {
			var out, errb bytes.Buffer
			code := run(tc.args, envOf(w.env), &out, &errb)
			if code != tc.code || !strings.Contains(errb.String(), tc.want) || strings.Count(strings.TrimSpace(strings.Split(errb.String(), "\n\n")[0]), "\n") > 0 {
				t.Errorf("%q: exit %d, stderr %q; want %d and one line saying %q", tc.args, code, errb.String(), tc.code, tc.want)
			}
		}
	})

	t.Run("ArchivedTwoDaysLater", func(t *testing.T) {
		clock.Jump(47 * time.Hour)
		time.Sleep(300 * time.Millisecond)
		if w.slack.ChannelArchived(channelID) {
			t.Fatal("archived before two days")
		}
		clock.Jump(2 * time.Hour)
		deadline := time.Now().Add(10 * time.Second)
		for !w.slack.ChannelArchived(channelID) {
			if time.Now().After(deadline) {
				t.Fatal("the channel was not archived two days after the resolve")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// countChannelsNamed counts the channels named name or name-N.
func countChannelsNamed(s *slackfake.Server, name string) int {
	n := 0
	if _, ok := s.ChannelByName(name); ok {
		n++
	}
	for i := 2; i <= 9; i++ {
		if _, ok := s.ChannelByName(fmt.Sprintf("%s-%d", name, i)); ok {
			n++
		}
	}
	return n
}

// Alice double-clicks "Open incident channel" while Bob clicks it too:
// one channel, one link in the card's thread, and the other two clicks
// are told where the channel is.
func TestEndToEndIncidentChannelOpenedOnce(t *testing.T) {
	w := incidentWorld(t)
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	card := triggerIncident(t, w, alice, "Payments timing out")
	inc := incidentByTitle(t, w.pd, "Payments timing out")
	name := fmt.Sprintf("inc-%d-payments-timing-out", inc.Number)

	var wg sync.WaitGroup
	for _, p := range []*slackfake.Person{alice, alice, bob} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			card.ChooseAs(t, p, "More actions…", "Open incident channel")
		}()
	}
	wg.Wait()
	card.ExpectReply("opened <#")
	expectEphemerals(t, w.slack, "already has its channel", 2)
	id, ok := w.slack.ChannelByName(name)
	if !ok {
		t.Fatalf("no channel %s", name)
	}
	w.slack.Channel(t, id).ExpectMessage("Payments timing out")
	expectThread(t, card, "opened <#"+id+">")
	if n := countChannelsNamed(w.slack, name); n != 1 {
		t.Errorf("%d channels, want 1", n)
	}
	if n := len(w.slack.Calls("conversations.create")); n != 1 {
		t.Errorf("conversations.create called %d times, want once", n)
	}
	if got := w.slack.ChannelMembers(id); !slices.Contains(got, "U1") || !slices.Contains(got, "U2") {
		t.Errorf("members = %q; whoever clicked is in the channel", got)
	}
}

// A channel someone made by hand already has the name: toban takes the
// next one.
func TestEndToEndIncidentChannelNameTaken(t *testing.T) {
	w := incidentWorld(t)
	w.start(t)
	alice := w.slack.User("U1").In("C1")
	card := triggerIncident(t, w, alice, "Search index stale")
	inc := incidentByTitle(t, w.pd, "Search index stale")
	name := fmt.Sprintf("inc-%d-search-index-stale", inc.Number)
	w.slack.AddChannel("C0TAKEN", name)

	card.ChooseAs(t, alice, "More actions…", "Open incident channel")
	reply := card.ExpectReply("opened <#")
	id, ok := w.slack.ChannelByName(name + "-2")
	if !ok || !strings.Contains(reply.Text(), "<#"+id+">") {
		t.Fatalf("no channel %s-2 linked; the thread says %q", name, reply.Text())
	}
	w.slack.Channel(t, id).ExpectMessage("Search index stale")
}
