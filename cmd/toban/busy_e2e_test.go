package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
)

// lockDatabase has another connection take SQLite's write lock on toban's
// database (BEGIN IMMEDIATE), as a backup or an admin's sqlite3 shell
// would, and returns the function that commits and lets go.
func lockDatabase(t *testing.T, path string) (release func()) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("lock the database: %v", err)
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			t.Errorf("unlock the database: %v", err)
		}
		conn.Close()
		db.Close()
	}
	t.Cleanup(release)
	return release
}

// While another process holds the database's write lock for a second, a
// click and a webhook delivery wait for it (busy_timeout) and then work:
// nobody is told about an error, nothing crashes, nothing is lost.
func TestFaultDatabaseLockedDuringClickAndWebhook(t *testing.T) {
	t.Parallel()
	w, r := feedWorld(t)
	alice := w.slack.User("U1").In("C1")
	bob := w.slack.User("U2").In("C1")
	card := triggerIncident(t, w, alice, "Payment retries piling up")
	bob.Slash(t, "link")
	bob.ExpectEphemeral(t, "is linked to PagerDuty user")
	other := w.pd.AddIncident(pdfake.Incident{Title: "Invoice export stalled", ServiceID: "PSVC2", Urgency: "high", EscalationPolicyID: "PEP1"})
	body, _ := json.Marshal(pagerDutyEvent("EvLocked1", "incident.triggered", other, "triggered", time.Now()))

	release := lockDatabase(t, w.env["TOBAN_DB"])
	card.ClickAs(t, bob, "Acknowledge") // the ack needs no database
	hook := make(chan int, 1)
	go func() { hook <- post(r.main.HTTPAddr(), body) }()

	time.Sleep(time.Second) // the other writer's transaction
	select {
	case code := <-hook:
		t.Fatalf("webhook answered %d while the database was locked; it must store the event before answering", code)
	default:
	}
	if strings.Contains(card.Refresh().Text(), "Acknowledged by") {
		t.Fatal("the click finished while the database was locked; it must record the click first")
	}
	release()

	select {
	case code := <-hook:
		if code != http.StatusAccepted {
			t.Errorf("webhook answered %d after the lock, want 202", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("webhook never answered")
	}
	card.ExpectText("Acknowledged by <@U2>")
	w.slack.Channel(t, "C1").ExpectMessage("Invoice export stalled")
	if got := answered(writes(w.pd, http.MethodPut, "/incidents", `"acknowledged"`), 200, 299); len(got) != 1 {
		t.Errorf("accepted acknowledge writes = %d, want 1", len(got))
	}
	for _, e := range bob.Ephemerals() {
		if !strings.Contains(e.Text, "is linked to PagerDuty user") {
			t.Errorf("Bob was told %q; waiting for the database is not an error", e.Text)
		}
	}
	for _, bad := range []string{"database is locked", "SQLITE_BUSY", "handler failed", "panic"} {
		if strings.Contains(r.logs.String(), bad) {
			t.Errorf("toban's log mentions %q", bad)
		}
	}
}
