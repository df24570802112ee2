package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/tobanbot/toban/fakes/pdfake"
)

// chromiumPath finds a Chromium to drive; Debian's package installs
// /usr/bin/chromium (.ci/run installs it).
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// msg is the XPath of a message in the page containing all of texts.
func msg(texts ...string) string {
	x := `//div[contains(concat(' ', @class, ' '), ' msg ')`
	for _, t := range texts {
		x += fmt.Sprintf(` and contains(., %q)`, t)
	}
	return x + `]`
}

// channelMsg is msg, leaving out ephemerals.
func channelMsg(texts ...string) string {
	return strings.Replace(msg(texts...), `]`, ` and not(contains(@class, 'ephemeral'))]`, 1)
}

// TestDemoInBrowser uses the demo as a person would, in headless
// Chromium: every click goes from the page through the Slack fake to the
// bot as a Socket Mode envelope, and PagerDuty writes land in the fake
// as the person acting. With TOBAN_UPDATE_SCREENSHOTS=1 it rewrites the
// README's screenshots under docs/.
func TestDemoInBrowser(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Skip("no chromium binary found (apt-get install -y chromium): the browser test of `toban demo` is skipped")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	shots := t.TempDir()
	if os.Getenv("TOBAN_UPDATE_SCREENSHOTS") == "1" {
		shots = filepath.Join("..", "..", "docs")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	logs := &syncBuffer{}
	// Debug: the log is shown only when the test fails, and then all of
	// it is wanted (a seeding that once waited a minute for a card left
	// nothing at warn).
	run, err := startDemo(ctx, "127.0.0.1:0", "debug", logs)
	if err != nil {
		t.Fatalf("start the demo: %v\nlogs:\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		cancel()
		if err := run.Wait(); err != nil {
			t.Errorf("demo stopped with: %v", err)
		}
		if t.Failed() {
			t.Logf("toban's log:\n%s", logs.String())
		}
	})
	d := run.Demo

	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.WindowSize(1500, 950),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("lang", "en-GB"))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	// The first run starts the browser and ties its tab to this context:
	// run it on the long-lived one, not on a step's.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium (%s): %v", chrome, err)
	}
	// A script error in the page fails the test: the page must not break
	// silently.
	var jsMu sync.Mutex
	var jsErrors []string
	if err := chromedp.Listen(browser, func(ev any) {
		if e, ok := ev.(*cdpruntime.EventExceptionThrown); ok && e.ExceptionDetails != nil {
			desc := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				desc += " " + e.ExceptionDetails.Exception.Description
			}
			jsMu.Lock()
			jsErrors = append(jsErrors, fmt.Sprintf("%s:%d: %s", e.ExceptionDetails.URL, e.ExceptionDetails.LineNumber+1, desc))
			jsMu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		jsMu.Lock()
		defer jsMu.Unlock()
		for _, e := range jsErrors {
			t.Errorf("script error in the page: %s", e)
		}
	})

	do := func(t *testing.T, step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancelStep := context.WithTimeout(browser, 30*time.Second)
		defer cancelStep()
		if err := chromedp.Do(stepCtx, actions...); err != nil {
			page, _ := chromedp.Run(browser, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s: %v\nthe page reads:\n%s", step, err, page)
		}
	}
	shot := func(name, sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			// Messages scroll inside the channel pane, which the page
			// itself does not: bring the element into that pane's view.
			scroll := fmt.Sprintf(`(() => { const el = document.evaluate(%q, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
				if (el) el.scrollIntoView({block: "center"}); return !!el; })()`, sel)
			if found, err := chromedp.Evaluate[bool](scroll)(ctx, tg); err != nil || !found {
				return fmt.Errorf("screenshot %s: no element %s (%v)", name, sel, err)
			}
			if _, err := chromedp.Sleep(200*time.Millisecond)(ctx, tg); err != nil {
				return err
			}
			png, err := chromedp.Screenshot(chromedp.Search(sel))(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name), png, 0o644)
		})
	}
	say := func(command string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(chromedp.ID("composer"), command+kb.Enter)
	}
	checkout := seededIncident(t, d.PD, "Checkout API p99 latency above 2 s")

	t.Run("AcknowledgeFromIncidentsList", func(t *testing.T) {
		do(t, "open the page on #alerts with the seeded cards",
			chromedp.Navigate("http://"+run.Addr+"/"),
			chromedp.WaitVisible(chromedp.Search(channelMsg(checkout.Title, "Triggered"))),
			chromedp.WaitVisible(chromedp.Search(`//*[contains(., 'DEMO')]`)),
		)
		do(t, "type /toban incidents", say("/toban incidents"),
			chromedp.WaitVisible(chromedp.Search(msg("Open incidents"))))
		do(t, "click Acknowledge",
			chromedp.Click(chromedp.Search(msg("Open incidents")+`//div[@data-block-id='incident/`+checkout.ID+`']//button[normalize-space()='Acknowledge']`)),
			chromedp.WaitVisible(chromedp.Search(channelMsg(checkout.Title, "Acknowledged by @Alice Chen"))),
			shot("demo-incident-card.png", channelMsg(checkout.Title)),
		)
		// The click reached the bot as Slack would send it: an interactive
		// envelope with Alice's block_actions, acked.
		clicks := 0
		for _, e := range d.Slack.Envelopes() {
			p := string(e.Payload)
			if e.Type == "interactive" && e.Acked && strings.Contains(p, `"type":"block_actions"`) &&
				strings.Contains(p, `"action_id":"incident.acknowledge"`) && strings.Contains(p, `"id":"U0ALICE"`) {
				clicks++
			}
		}
		if clicks != 1 {
			t.Errorf("acked block_actions envelopes for Acknowledge by U0ALICE = %d, want 1", clicks)
		}
		got, _ := d.PD.Incident(checkout.ID)
		if got.Status != pdfake.StatusAcknowledged || len(got.Acknowledgers) != 1 || got.Acknowledgers[0].UserID != "PALICE" {
			t.Errorf("PagerDuty has status %q acknowledged by %v; want acknowledged by PALICE (Alice, the person the page acts as)", got.Status, got.Acknowledgers)
		}
		var from []string
		for _, r := range d.PD.Writes() {
			if r.Method == "PUT" && r.Path == "/incidents" && strings.Contains(string(r.Body), checkout.ID) {
				from = append(from, r.From)
			}
		}
		if len(from) != 1 || from[0] != "alice@acme.example" {
			t.Errorf("PUT /incidents From headers = %q, want one as alice@acme.example", from)
		}
	})

	t.Run("OnCallAndReport", func(t *testing.T) {
		do(t, "switch to #ops and ask who is on call",
			chromedp.Click(chromedp.Search(`//a[@data-channel='C0OPS']`)),
			say("/toban oncall"),
			chromedp.WaitVisible(chromedp.Search(msg("Take on-call for Platform primary")+`//button[normalize-space()='1 hour']`)),
			shot("demo-oncall.png", msg("Take on-call for Platform primary")),
		)
		do(t, "ask for last week's report",
			say("/toban report last-week"),
			chromedp.WaitVisible(chromedp.Search(channelMsg()+`//img[contains(@src, '.png')]`)),
			chromedp.Sleep(300*time.Millisecond), // the chart image decodes
			shot("demo-report.png", channelMsg("Incident report — last week", "MTTA")),
			shot("demo-report-chart.png", channelMsg("(chart)")),
		)
	})

	const task = "Rotate the on-call pager batteries"
	t.Run("RemindThenStart", func(t *testing.T) {
		// Due between 15 and 30 minutes from now: two clicks on "+15 min"
		// post the card, still within its 15 minutes of grace.
		now := d.Clock.Now().UTC()
		at := now.Truncate(15 * time.Minute).Add(30 * time.Minute).Format("15:04")
		setAt := fmt.Sprintf(`(() => { const el = document.querySelector('[data-callback-id="task.save"] input[data-action-id="at"]');
			el.value = %q; el.dispatchEvent(new Event("change", {bubbles: true})); return el.value; })()`, at)
		do(t, "open /toban remind and fill it in",
			say("/toban remind"),
			chromedp.WaitVisible(chromedp.Search(`//div[@data-callback-id='task.save']`)),
			chromedp.SendKeys(chromedp.Search(`//div[@data-callback-id='task.save']//input[@data-action-id='title']`), task),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				got, err := chromedp.Evaluate[string](setAt)(ctx, tg)
				if err == nil && got != at {
					err = fmt.Errorf("the time field reads %q, want %q", got, at)
				}
				return err
			}),
			shot("demo-remind-modal.png", `//div[@data-callback-id='task.save']`),
			chromedp.Click(chromedp.ID("modal-submit")),
			chromedp.WaitNotPresent(chromedp.Search(`//div[@data-callback-id='task.save']`)),
			chromedp.WaitVisible(chromedp.Search(channelMsg("scheduled", task, at))),
		)
		startBtn := channelMsg(task, "Due") + `//button[normalize-space()='Start']`
		do(t, "move the clock on: the task's card is posted",
			chromedp.Click(chromedp.Search(`//button[@data-minutes='15']`)),
			chromedp.Sleep(500*time.Millisecond),
			chromedp.Click(chromedp.Search(`//button[@data-minutes='15']`)),
			chromedp.WaitVisible(chromedp.Search(startBtn)),
			shot("demo-task-card.png", channelMsg(task, "Due")),
			chromedp.Click(chromedp.Search(startBtn)),
			chromedp.WaitVisible(chromedp.Search(channelMsg(task, "Started by", "@Alice Chen"))),
		)
	})

	actAs := func(user string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.getElementById("act-as");
				s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`, user))(ctx, tg)
			return err
		})
	}
	t.Run("TriggerModalAsBob", func(t *testing.T) {
		const title = "Card payments declined for Visa"
		modal := `//div[@data-callback-id='incident.trigger']`
		do(t, "act as Bob, open /toban trigger, submit it empty: field errors",
			actAs("U0BOB"),
			chromedp.WaitVisible(chromedp.Search(`//li[contains(@class, 'me') and contains(., 'Bob Martin')]`)),
			say("/toban trigger"),
			chromedp.WaitVisible(chromedp.Search(modal)),
			chromedp.Click(chromedp.ID("modal-submit")),
			chromedp.WaitVisible(chromedp.Search(modal+`//div[@data-block-id='service']//div[contains(@class, 'field-error')]`)),
		)
		do(t, "choose the service by type-ahead (block_suggestion), fill the title, submit",
			chromedp.SendKeys(chromedp.Search(modal+`//input[@aria-label='service']`), "pay"),
			chromedp.Click(chromedp.Search(modal+`//div[contains(@class, 'ta-menu')]//button[contains(., 'Payments')]`)),
			chromedp.WaitVisible(chromedp.Search(modal+`//span[contains(@class, 'chip') and contains(., 'Payments')]`)),
			chromedp.SendKeys(chromedp.Search(modal+`//input[@data-action-id='title']`), title),
			chromedp.Click(chromedp.ID("modal-submit")),
			chromedp.WaitNotPresent(chromedp.Search(modal)),
			chromedp.WaitVisible(chromedp.Search(channelMsg(title))),
		)
		var from []string
		for _, r := range d.PD.Writes() {
			if r.Method == "POST" && r.Path == "/incidents" && strings.Contains(string(r.Body), title) {
				from = append(from, r.From)
			}
		}
		if len(from) != 1 || from[0] != "bob@acme.example" {
			t.Errorf("POST /incidents From headers = %q, want one as bob@acme.example (the person the page acted as)", from)
		}
		do(t, "back to Alice", actAs("U0ALICE"),
			chromedp.WaitVisible(chromedp.Search(`//li[contains(@class, 'me') and contains(., 'Alice Chen')]`)))
	})

	t.Run("AppHome", func(t *testing.T) {
		do(t, "open toban's App Home",
			chromedp.Click(chromedp.ID("open-home")),
			chromedp.WaitVisible(chromedp.Search(`//div[@id='home']//div[contains(@class, 'b-header') and contains(., 'the one on duty')]`)),
			shot("demo-home.png", `//main`),
		)
	})

	t.Run("TriggerFromPagerDutyPanel", func(t *testing.T) {
		const title = "Disk 95% full on db-3"
		do(t, "trigger in the PagerDuty panel; the card appears in #alerts",
			chromedp.Click(chromedp.Search(`//a[@data-channel='C0ALERTS']`)),
			chromedp.SetValue(chromedp.ID("pd-title"), title),
			chromedp.Click(chromedp.ID("pd-trigger-btn")),
			chromedp.WaitVisible(chromedp.Search(channelMsg(title, "Triggered"))),
		)
		if os.Getenv("TOBAN_UPDATE_SCREENSHOTS") == "1" {
			do(t, "overview", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				png, err := chromedp.CaptureScreenshot()(ctx, tg)
				if err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(shots, "demo.png"), png, 0o644)
			}))
		}
	})

	t.Run("ResolveInPhoneAppThenStorm", func(t *testing.T) {
		payments := seededIncident(t, d.PD, "Payments webhook backlog growing")
		do(t, "resolve in the PagerDuty app: the card follows from PagerDuty's log",
			chromedp.Click(chromedp.Search(`//li[@data-incident='`+payments.ID+`']//button[normalize-space()='Resolve in app']`)),
			chromedp.WaitVisible(chromedp.Search(channelMsg(payments.Title, "Resolved"))),
		)
		if got, _ := d.PD.Incident(payments.ID); got.ResolvedBy != "PALICE" {
			t.Errorf("resolved by %q, want PALICE", got.ResolvedBy)
		}
		do(t, "a storm of 50 incidents rolls into a digest card",
			chromedp.Click(chromedp.ID("pd-storm")),
			chromedp.WaitVisible(chromedp.Search(channelMsg("Alert storm on Checkout API"))),
		)
	})
}

func seededIncident(t *testing.T, pd *pdfake.Server, title string) pdfake.Incident {
	t.Helper()
	for _, in := range pd.Incidents() {
		if in.Title == title {
			return in
		}
	}
	t.Fatalf("no incident %q in the PagerDuty fake", title)
	return pdfake.Incident{}
}
