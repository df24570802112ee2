package storage

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

var (
	_ scheduler.Store     = (*DB)(nil)
	_ scheduler.BulkStore = (*DB)(nil)
)

// occIn claims the task's occurrence due at due and moves it to state.
func occIn(t *testing.T, db *DB, taskID string, due time.Time, state string) domain.Occurrence {
	t.Helper()
	ctx := context.Background()
	o, claimed, err := db.ClaimOccurrence(ctx, taskID, due, false, "C0OPS", due.Add(15*time.Minute))
	if err != nil || !claimed {
		t.Fatalf("ClaimOccurrence(%s, %v) = %v, %v", taskID, due, claimed, err)
	}
	if state == domain.OccClaimed {
		return o
	}
	if _, err := db.SetOccurrencePosted(ctx, o.ID, strconv.FormatInt(due.Unix(), 10)+"."+taskID); err != nil {
		t.Fatalf("SetOccurrencePosted: %v", err)
	}
	var ok bool
	switch state {
	case domain.OccPosted:
		ok = true
	case domain.OccStarted:
		_, ok, err = db.StartOccurrence(ctx, o.ID, "U1", due)
	case domain.OccDone:
		_, ok, err = db.CompleteOccurrence(ctx, o.ID, "U1", due)
	case domain.OccSkipped:
		_, ok, err = db.SkipOccurrence(ctx, o.ID, "U1", "holiday", due)
	}
	if err != nil || !ok {
		t.Fatalf("moving %s to %s: changed %v, %v", o.ID, state, ok, err)
	}
	o, err = db.Occurrence(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestClaimOccurrence(t *testing.T) {
	ctx := context.Background()
	db, _, _ := openTaskDB(t)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	due := time.Date(2026, 5, 4, 9, 0, 0, 0, berlin)
	esc := due.Add(15 * time.Minute)

	first, claimed, err := db.ClaimOccurrence(ctx, "t_a", due, true, "C0OPS", esc)
	if err != nil || !claimed {
		t.Fatalf("first claim = %v, %v; want claimed", claimed, err)
	}
	want := domain.Occurrence{
		ID: "t_a@" + strconv.FormatInt(due.Unix(), 10), TaskID: "t_a", Due: due.UTC(), Late: true,
		ChannelID: "C0OPS", State: domain.OccClaimed, ClaimedAt: taskEpoch, EscalateAt: esc.UTC(),
	}
	if first != want {
		t.Errorf("first claim = %+v\nwant          %+v", first, want)
	}
	if got := domain.OccurrenceID("t_a", due); got != want.ID {
		t.Errorf("OccurrenceID = %q, want %q", got, want.ID)
	}
	again, claimed, err := db.ClaimOccurrence(ctx, "t_a", due.UTC(), false, "C0OTHER", time.Time{})
	if err != nil || claimed || again != want {
		t.Errorf("second claim = %+v, %v, %v\nwant %+v, false, nil", again, claimed, err, want)
	}
	if _, _, err := db.ClaimOccurrence(ctx, "", due, false, "C0OPS", time.Time{}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("claim without a task: error = %v, want ErrInvalid", err)
	}

	if last, err := db.LastFired(ctx, "t_none"); err != nil || !last.IsZero() {
		t.Errorf("LastFired of a task never fired = %v, %v; want zero", last, err)
	}
	later := due.Add(24 * time.Hour)
	db.ClaimOccurrence(ctx, "t_a", later, false, "C0OPS", time.Time{})
	db.ClaimOccurrence(ctx, "t_b", due, false, "C0OPS", time.Time{})
	if last, err := db.LastFired(ctx, "t_a"); err != nil || !last.Equal(later) {
		t.Errorf("LastFired(t_a) = %v, %v; want %v", last, err, later)
	}
	all, err := db.LastFiredAll(ctx)
	if err != nil || len(all) != 2 || !all["t_a"].Equal(later) || !all["t_b"].Equal(due) {
		t.Errorf("LastFiredAll = %v, %v; want t_a %v and t_b %v", all, err, later, due)
	}
}

func TestUnpostedAfterCrash(t *testing.T) {
	ctx := context.Background()
	db, clock, path := openTaskDB(t)
	posted := occIn(t, db, "t_a", taskEpoch, domain.OccPosted)
	lost := occIn(t, db, "t_b", taskEpoch, domain.OccClaimed) // crash before the post
	db.Close()

	db, err := Open(ctx, path, WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	unposted, err := db.UnpostedOccurrences(ctx)
	if err != nil || len(unposted) != 1 || unposted[0].ID != lost.ID {
		t.Fatalf("UnpostedOccurrences = %+v, %v; want just %s", unposted, err, lost.ID)
	}
	if _, claimed, _ := db.ClaimOccurrence(ctx, "t_b", taskEpoch, false, "C0OPS", time.Time{}); claimed {
		t.Error("claim after restart = true, want false")
	}

	tests := []struct {
		name, id, ts string
		wantErr      error
	}{
		{"Post", lost.ID, "9.9", nil},
		{"SameTSAgain", lost.ID, "9.9", nil},
		{"OtherTS", lost.ID, "9.8", domain.ErrAlreadyPosted},
		{"EmptyTS", lost.ID, "", domain.ErrInvalid},
		{"Missing", "t_x@1", "9.7", domain.ErrNotFound},
	}
	for _, tt := range tests {
		if _, err := db.SetOccurrencePosted(ctx, tt.id, tt.ts); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("%s: SetOccurrencePosted = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
	if unposted, _ := db.UnpostedOccurrences(ctx); len(unposted) != 0 {
		t.Errorf("UnpostedOccurrences after posting = %d, want 0", len(unposted))
	}
	if got, err := db.OccurrenceByMessage(ctx, "C0OPS", "9.9"); err != nil || got.ID != lost.ID || got.State != domain.OccPosted {
		t.Errorf("OccurrenceByMessage = %s %s, %v; want %s posted", got.ID, got.State, err, lost.ID)
	}
	if got, err := db.OccurrenceByMessage(ctx, "C0OPS", posted.TS); err != nil || got.ID != posted.ID {
		t.Errorf("OccurrenceByMessage(%s) = %s, %v; want %s", posted.TS, got.ID, err, posted.ID)
	}
	if _, err := db.OccurrenceByMessage(ctx, "C0OPS", ""); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("OccurrenceByMessage with no ts: error = %v, want ErrNotFound", err)
	}
}

func TestOccurrenceTransitions(t *testing.T) {
	ctx := context.Background()
	at := taskEpoch.Add(time.Hour)
	until := at.Add(2 * time.Hour)
	ops := map[string]func(db *DB, id string) (domain.Occurrence, bool, error){
		"start": func(db *DB, id string) (domain.Occurrence, bool, error) { return db.StartOccurrence(ctx, id, "U9", at) },
		"complete": func(db *DB, id string) (domain.Occurrence, bool, error) {
			return db.CompleteOccurrence(ctx, id, "U9", at)
		},
		"skip": func(db *DB, id string) (domain.Occurrence, bool, error) {
			return db.SkipOccurrence(ctx, id, "U9", "freeze", at)
		},
		"snooze": func(db *DB, id string) (domain.Occurrence, bool, error) {
			return db.SnoozeOccurrence(ctx, id, "U9", until, until.Add(15*time.Minute))
		},
	}
	tests := []struct {
		from, op  string
		changed   bool
		wantState string
	}{
		// A card can be clicked the instant it appears, before its ts is
		// recorded: a claimed occurrence takes clicks like a posted one.
		{domain.OccClaimed, "start", true, domain.OccStarted},
		{domain.OccClaimed, "complete", true, domain.OccDone},
		{domain.OccClaimed, "skip", true, domain.OccSkipped},
		{domain.OccClaimed, "snooze", true, domain.OccClaimed},
		{domain.OccPosted, "start", true, domain.OccStarted},
		{domain.OccPosted, "complete", true, domain.OccDone},
		{domain.OccPosted, "skip", true, domain.OccSkipped},
		{domain.OccPosted, "snooze", true, domain.OccPosted},
		{domain.OccStarted, "start", false, domain.OccStarted},
		{domain.OccStarted, "complete", true, domain.OccDone},
		{domain.OccStarted, "skip", true, domain.OccSkipped},
		{domain.OccStarted, "snooze", false, domain.OccStarted},
		{domain.OccDone, "start", false, domain.OccDone},
		{domain.OccDone, "complete", false, domain.OccDone},
		{domain.OccDone, "skip", false, domain.OccDone},
		{domain.OccDone, "snooze", false, domain.OccDone},
		{domain.OccSkipped, "start", false, domain.OccSkipped},
		{domain.OccSkipped, "complete", false, domain.OccSkipped},
		{domain.OccSkipped, "skip", false, domain.OccSkipped},
		{domain.OccSkipped, "snooze", false, domain.OccSkipped},
	}
	for _, tt := range tests {
		t.Run(tt.from+"/"+tt.op, func(t *testing.T) {
			db, _, _ := openTaskDB(t)
			before := occIn(t, db, "t_a", taskEpoch, tt.from)
			got, changed, err := ops[tt.op](db, before.ID)
			if err != nil || changed != tt.changed || got.State != tt.wantState {
				t.Fatalf("%s from %s = state %s, changed %v, %v; want %s, %v, nil", tt.op, tt.from, got.State, changed, err, tt.wantState, tt.changed)
			}
			if !changed {
				if got != before {
					t.Errorf("refused %s changed the occurrence:\n got %+v\nwant %+v", tt.op, got, before)
				}
				return
			}
			want := before
			want.State = tt.wantState
			switch tt.op {
			case "start":
				want.StartedBy, want.StartedAt, want.EscalateAt = "U9", at, time.Time{}
			case "complete":
				want.DoneBy, want.DoneAt, want.EscalateAt = "U9", at, time.Time{}
			case "skip":
				want.SkippedBy, want.SkipReason, want.SkippedAt, want.EscalateAt = "U9", "freeze", at, time.Time{}
			case "snooze":
				want.SnoozedBy, want.SnoozedUntil, want.EscalateAt = "U9", until, until.Add(15*time.Minute)
			}
			if got != want {
				t.Errorf("%s from %s:\n got %+v\nwant %+v", tt.op, tt.from, got, want)
			}
			if read, _ := db.Occurrence(ctx, before.ID); read != got {
				t.Errorf("stored %+v\nreturned %+v", read, got)
			}
		})
	}
	t.Run("Errors", func(t *testing.T) {
		db, _, _ := openTaskDB(t)
		o := occIn(t, db, "t_a", taskEpoch, domain.OccPosted)
		if _, _, err := db.StartOccurrence(ctx, "t_a@404", "U9", at); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("start a missing occurrence: error = %v, want ErrNotFound", err)
		}
		if _, _, err := db.CompleteOccurrence(ctx, o.ID, "", at); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("complete without a user: error = %v, want ErrInvalid", err)
		}
		if _, _, err := db.SnoozeOccurrence(ctx, o.ID, "U9", time.Time{}, time.Time{}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("snooze without until: error = %v, want ErrInvalid", err)
		}
	})
}

func TestStartOccurrenceConcurrently(t *testing.T) {
	ctx := context.Background()
	db, _, _ := openTaskDB(t)
	o := occIn(t, db, "t_a", taskEpoch, domain.OccPosted)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		changed []string
		errs    []error
	)
	for i := range 8 {
		wg.Go(func() {
			user := "U" + strconv.Itoa(i)
			got, ok, err := db.StartOccurrence(ctx, o.ID, user, taskEpoch)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				changed = append(changed, user)
			} else if got.State != domain.OccStarted {
				errs = append(errs, errors.New("unchanged occurrence in state "+got.State))
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 || len(changed) != 1 {
		t.Fatalf("8 concurrent starts: changed by %v, errors %v; want exactly one change and no error", changed, errs)
	}
	if got, _ := db.Occurrence(ctx, o.ID); got.StartedBy != changed[0] {
		t.Errorf("StartedBy = %q, want the one who changed it, %q", got.StartedBy, changed[0])
	}
}

func TestEscalations(t *testing.T) {
	ctx := context.Background()
	db, _, _ := openTaskDB(t)
	claim := func(task string, escIn time.Duration) domain.Occurrence {
		o, _, err := db.ClaimOccurrence(ctx, task, taskEpoch, false, "C0OPS", taskEpoch.Add(escIn))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	post := func(o domain.Occurrence) {
		if _, err := db.SetOccurrencePosted(ctx, o.ID, o.TaskID+".1"); err != nil {
			t.Fatal(err)
		}
	}
	a, b, c, d := claim("t_a", 30*time.Minute), claim("t_b", 10*time.Minute), claim("t_c", 20*time.Minute), claim("t_d", 5*time.Minute)
	noEsc, _, _ := db.ClaimOccurrence(ctx, "t_e", taskEpoch, false, "C0OPS", time.Time{})
	for _, o := range []domain.Occurrence{a, b, c, noEsc} {
		post(o) // d stays claimed: not escalated before its card is posted
	}

	next := func() string {
		t.Helper()
		o, ok, err := db.NextEscalation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return "none"
		}
		return o.TaskID
	}
	steps := []struct {
		name string
		do   func()
		want string
	}{
		{"EarliestPosted", func() {}, "t_b"},
		{"StartClears", func() { db.StartOccurrence(ctx, b.ID, "U1", time.Time{}) }, "t_c"},
		{"SnoozePushesBack", func() { db.SnoozeOccurrence(ctx, c.ID, "U1", taskEpoch.Add(time.Hour), taskEpoch.Add(75*time.Minute)) }, "t_a"},
		{"MarkEscalatedClears", func() {
			if err := db.MarkEscalated(ctx, a.ID, taskEpoch.Add(30*time.Minute), "PINC1"); err != nil {
				t.Fatal(err)
			}
		}, "t_c"},
		{"PostedLate", func() { post(d) }, "t_d"},
		{"SkipClears", func() { db.SkipOccurrence(ctx, d.ID, "U1", "", time.Time{}) }, "t_c"},
		{"CompleteClears", func() { db.CompleteOccurrence(ctx, c.ID, "U1", time.Time{}) }, "none"},
	}
	for _, s := range steps {
		s.do()
		if got := next(); got != s.want {
			t.Errorf("%s: NextEscalation = %s, want %s", s.name, got, s.want)
		}
	}

	// MarkEscalated is idempotent, and an empty incident keeps the first.
	for _, inc := range []string{"PINC1", ""} {
		if err := db.MarkEscalated(ctx, a.ID, taskEpoch.Add(30*time.Minute), inc); err != nil {
			t.Fatalf("MarkEscalated(%q) again: %v", inc, err)
		}
	}
	got, _ := db.Occurrence(ctx, a.ID)
	if got.IncidentID != "PINC1" || !got.EscalatedAt.Equal(taskEpoch.Add(30*time.Minute)) || !got.EscalateAt.IsZero() || got.State != domain.OccPosted {
		t.Errorf("after MarkEscalated: %+v; want incident PINC1, escalated at +30m, no deadline, still posted", got)
	}
	if err := db.MarkEscalated(ctx, "t_x@1", time.Time{}, ""); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MarkEscalated of a missing occurrence: error = %v, want ErrNotFound", err)
	}
	occs, err := db.OccurrencesForIncidents(ctx, []string{"PNONE", "PINC1"})
	if err != nil || len(occs) != 1 || occs[0].ID != a.ID {
		t.Errorf("OccurrencesForIncidents = %+v, %v; want just %s", occs, err, a.ID)
	}
	if occs, err := db.OccurrencesForIncidents(ctx, nil); err != nil || len(occs) != 0 {
		t.Errorf("OccurrencesForIncidents(nil) = %+v, %v; want none", occs, err)
	}
	if _, err := db.OccurrencesForIncidents(ctx, []string{"PINC1", ""}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("OccurrencesForIncidents with \"\": error = %v, want ErrInvalid", err)
	}
}

func TestOccurrencesBetween(t *testing.T) {
	ctx := context.Background()
	db, _, _ := openTaskDB(t)
	day := 24 * time.Hour
	for i := range 5 {
		occIn(t, db, "t_b", taskEpoch.Add(time.Duration(i)*day), domain.OccDone)
		occIn(t, db, "t_a", taskEpoch.Add(time.Duration(i)*day), domain.OccPosted)
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"HalfOpen", taskEpoch.Add(day), taskEpoch.Add(3 * day), []string{"t_a@1", "t_b@1", "t_a@2", "t_b@2"}},
		{"FromInsideASecond", taskEpoch.Add(day - time.Millisecond), taskEpoch.Add(day + time.Millisecond), []string{"t_a@1", "t_b@1"}},
		{"FromJustAfter", taskEpoch.Add(day + time.Millisecond), taskEpoch.Add(2 * day), nil},
		{"Empty", taskEpoch.Add(10 * day), taskEpoch.Add(11 * day), nil},
	}
	for _, tt := range tests {
		occs, err := db.OccurrencesBetween(ctx, tt.from, tt.to)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range occs {
			got = append(got, o.TaskID+"@"+strconv.Itoa(int(o.Due.Sub(taskEpoch)/day)))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: OccurrencesBetween = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPostponeEscalation(t *testing.T) {
	ctx := context.Background()
	db, _, _ := openTaskDB(t)
	later := taskEpoch.Add(time.Hour)
	pending := occIn(t, db, "t_a", taskEpoch, domain.OccPosted)
	started := occIn(t, db, "t_b", taskEpoch, domain.OccStarted)
	escalated := occIn(t, db, "t_c", taskEpoch, domain.OccPosted)
	if err := db.MarkEscalated(ctx, escalated.ID, taskEpoch, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id  string
		wantErr   error
		wantAfter time.Time // EscalateAt afterwards
	}{
		{"Pending", pending.ID, nil, later},
		{"StartedMeanwhile", started.ID, nil, time.Time{}},
		{"EscalatedMeanwhile", escalated.ID, nil, time.Time{}},
		{"Missing", "t_x@1", domain.ErrNotFound, time.Time{}},
	}
	for _, tt := range tests {
		err := db.PostponeEscalation(ctx, tt.id, later)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("%s: PostponeEscalation = %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if tt.wantErr != nil {
			continue
		}
		if got, _ := db.Occurrence(ctx, tt.id); !got.EscalateAt.Equal(tt.wantAfter) {
			t.Errorf("%s: EscalateAt = %v, want %v", tt.name, got.EscalateAt, tt.wantAfter)
		}
	}
}

// The card was clicked before its ts was recorded: the ts is still
// recorded, the state the click set is kept, and the occurrence is no
// longer "unposted".
func TestOccurrencePostedAfterClick(t *testing.T) {
	ctx := context.Background()
	db, _, _ := openTaskDB(t)
	o := occIn(t, db, "t_click", taskEpoch, domain.OccClaimed)
	if _, changed, err := db.StartOccurrence(ctx, o.ID, "U1", taskEpoch.Add(time.Second)); err != nil || !changed {
		t.Fatalf("start = %v, %v", changed, err)
	}
	if _, err := db.SetOccurrencePosted(ctx, o.ID, "1700000000.000100"); err != nil {
		t.Fatal(err)
	}
	got, err := db.Occurrence(ctx, o.ID)
	if err != nil || got.State != domain.OccStarted || got.TS != "1700000000.000100" {
		t.Errorf("occurrence = %+v, %v; want started with its ts", got, err)
	}
	if un, err := db.UnpostedOccurrences(ctx); err != nil || len(un) != 0 {
		t.Errorf("unposted = %+v, %v; want none", un, err)
	}
}
