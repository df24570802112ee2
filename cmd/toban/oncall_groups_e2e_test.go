package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
	"github.com/tobanbot/toban/scheduler"
)

// TestEndToEndOnCallGroup ties @oncall-primary to the Primary schedule of
// onCallWorld and moves the clock through its shifts: the group follows
// each shift change and take with exactly one usergroups.users.update,
// keeps the last person through the night's gap with one warning, and a
// free plan is said once in the channel and to the admin.
func TestEndToEndOnCallGroup(t *testing.T) {
	clock := scheduler.NewFakeClock(tokyoAt(21, 10, 0))
	w := onCallWorld(t, clock)
	w.env["TOBAN_ADMINS"] = "U1"
	// Carol is in the group from an older rota: the first sync replaces her.
	w.slack.AddUserGroup(slackfake.UserGroup{ID: "S1", Handle: "oncall-primary", Name: "On-call primary", Users: []string{"U3"}})
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	channel := w.slack.Channel(t, "C1")

	updates := func() int { return len(w.slack.Calls("usergroups.users.update")) }
	// waitUpdates waits for the n-th update, then a while more to see
	// that no other follows.
	waitUpdates := func(t *testing.T, n int, members ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := w.slack.WaitCalls(ctx, "usergroups.users.update", n); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if got := updates(); got != n {
			t.Errorf("%d usergroups.users.update calls, want exactly %d", got, n)
		}
		if got := w.slack.UserGroupMembers("S1"); !slices.Equal(got, members) {
			t.Errorf("@oncall-primary = %v, want %v", got, members)
		}
	}
	// settle lets the sync that a clock move fires run to its end.
	settle := func() { time.Sleep(500 * time.Millisecond) }

	t.Run("NonAdminRefused", func(t *testing.T) {
		bob.Slash(t, "oncall group")
		bob.ExpectEphemeral(t, "Only toban admins")
	})

	t.Run("TieFillsTheGroup", func(t *testing.T) {
		alice.Slash(t, "oncall group")
		alice.ExpectModal(t, "On-call user group").Choose("User group", "@oncall-primary").Choose("Schedule", "Primary").Submit()
		channel.ExpectMessage("<@U1> tied @oncall-primary to *Primary*")
		waitUpdates(t, 1, "U1")
	})

	t.Run("ShiftChangeUpdatesOnce", func(t *testing.T) {
		clock.Set(tokyoAt(21, 18, 0))
		waitUpdates(t, 2, "U2")
	})

	t.Run("TakeInPagerDutyUpdates", func(t *testing.T) {
		if _, err := w.pd.AddOverride("PS1", pdfake.Override{UserID: "PU3", Start: tokyoAt(21, 18, 10), End: tokyoAt(21, 19, 0)}); err != nil {
			t.Fatal(err)
		}
		clock.Set(tokyoAt(21, 18, 11))
		waitUpdates(t, 3, "U3")
	})

	t.Run("GapKeepsLastPersonAndWarnsOnce", func(t *testing.T) {
		// 02:30: Bob's shift ended at 02:00 and Carol's starts at 06:00.
		// The group is still Carol's from her take: she stays.
		clock.Set(tokyoAt(22, 2, 30))
		channel.ExpectMessage("Nobody I can find in Slack is on call for *Primary* now. @oncall-primary keeps <@U3>")
		clock.Advance(time.Minute)
		settle()
		clock.Advance(time.Minute)
		settle()
		if got := updates(); got != 3 {
			t.Errorf("%d updates during the gap, want none more than 3", got)
		}
		if got := w.slack.UserGroupMembers("S1"); !slices.Equal(got, []string{"U3"}) {
			t.Errorf("@oncall-primary = %v during the gap, want Carol kept", got)
		}
		warnings := 0
		for _, m := range channel.Messages() {
			if strings.Contains(m.Text, "Nobody I can find in Slack") {
				warnings++
			}
		}
		if warnings != 1 {
			t.Errorf("%d gap warnings, want 1", warnings)
		}
	})

	t.Run("FreePlanSaidOnce", func(t *testing.T) {
		w.slack.SetFreePlan(true)
		clock.Set(tokyoAt(22, 6, 30))
		channel.ExpectMessage("Slack user groups need a paid Slack plan")
		clock.Advance(time.Minute)
		settle()
		n := 0
		for _, m := range channel.Messages() {
			if strings.Contains(m.Text, "need a paid Slack plan") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d free plan messages in the channel, want 1", n)
		}
		alice.Slash(t, "oncall group add")
		alice.ExpectEphemeral(t, "Slack user groups need a paid Slack plan")
	})

	t.Run("ListAndRemove", func(t *testing.T) {
		alice.Slash(t, "oncall group")
		list := alice.ExpectEphemeral(t, "*@oncall-primary* — who is on call for *Primary*; now <@U3>")
		list.ClickAs(t, bob, "Remove")
		bob.ExpectEphemeral(t, "Only toban admins")
		list.ClickAs(t, alice, "Remove")
		alice.ExpectEphemeral(t, "Removed: @oncall-primary keeps its members")
		// No tie is left: the command opens the modal again, which the
		// free plan refuses, in a second answer to alice.
		alice.Slash(t, "oncall group")
		deadline := time.Now().Add(10 * time.Second)
		for freePlanAnswers(alice) < 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		alice.ExpectEphemeral(t, "Slack user groups need a paid Slack plan")
		if n := freePlanAnswers(alice); n != 2 {
			t.Errorf("%d free plan answers to alice, want 2 (one per command)", n)
		}
	})
}

// freePlanAnswers counts the free plan answers p was given.
func freePlanAnswers(p *slackfake.Person) int {
	n := 0
	for _, m := range p.Ephemerals() {
		if strings.Contains(m.Text, "need a paid Slack plan") {
			n++
		}
	}
	return n
}

// TestEndToEndOnCallGroupFollowsTake: bob takes on-call for an hour with
// /toban oncall's Take on-call; within a minute @oncall-primary is his,
// with one update.
func TestEndToEndOnCallGroupFollowsTake(t *testing.T) {
	clock := scheduler.NewFakeClock(tokyoAt(21, 10, 0))
	w := onCallWorld(t, clock)
	w.env["TOBAN_ADMINS"] = "U1"
	w.slack.AddUserGroup(slackfake.UserGroup{ID: "S1", Handle: "oncall-primary", Name: "On-call primary", Users: []string{"U1"}})
	w.startWith(t, func(m *Main) { m.Clock = clock })
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	channel := w.slack.Channel(t, "C1")

	alice.Slash(t, "oncall group")
	alice.ExpectModal(t, "On-call user group").Choose("User group", "oncall-primary").Choose("Schedule", "Primary").Submit()
	channel.ExpectMessage("<@U1> tied @oncall-primary to *Primary*")
	time.Sleep(500 * time.Millisecond) // the first sync: alice is on call and in the group already
	if n := len(w.slack.Calls("usergroups.users.update")); n != 0 {
		t.Fatalf("%d updates with the group already right, want none", n)
	}

	bob.Slash(t, "oncall")
	bob.ExpectEphemeral(t, "Take on-call for *Primary* (from Alice Ops)").ClickAs(t, bob, "1 hour")
	bob.ExpectEphemeral(t, "Take on-call for Primary?").ClickAs(t, bob, "Take on-call")
	channel.ExpectMessage("<@U2> takes *Primary* from Alice Ops until 11:00.")
	clock.Advance(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := w.slack.WaitCalls(ctx, "usergroups.users.update", 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(w.slack.Calls("usergroups.users.update")); n != 1 {
		t.Errorf("%d updates after the take, want 1", n)
	}
	if got := w.slack.UserGroupMembers("S1"); !slices.Equal(got, []string{"U2"}) {
		t.Errorf("@oncall-primary = %v after bob's take, want bob", got)
	}
}
