package oncall

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	goldenfile "github.com/tobanbot/toban/internal/golden"
	"github.com/tobanbot/toban/storage"
)

// golden compares v with testdata/name.golden.json (-update rewrites it).
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, name, v)
}

var tokyo, _ = time.LoadLocation("Asia/Tokyo")

func tokyoTime(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, tokyo)
}

func TestDayTimeAndSpan(t *testing.T) {
	now := tokyoTime(21, 17, 55)
	tests := []struct {
		name      string
		got, want string
	}{
		{"Today", chat.DayTime(now, tokyoTime(21, 18, 0), tokyo), "18:00"},
		{"Tomorrow", chat.DayTime(now, tokyoTime(22, 2, 0), tokyo), "02:00 tomorrow"},
		{"Later", chat.DayTime(now, tokyoTime(24, 9, 30), tokyo), "Tue Nov 24 09:30"},
		{"UTCInput", chat.DayTime(now.UTC(), tokyoTime(21, 23, 0).UTC(), tokyo), "23:00"},
		{"SpanTomorrow", chat.SpanText(now, tokyoTime(22, 2, 0), tokyoTime(22, 6, 0), tokyo), "from 02:00 to 06:00 tomorrow"},
		{"SpanOverMidnight", chat.SpanText(now, tokyoTime(21, 22, 0), tokyoTime(22, 6, 0), tokyo), "from 22:00 today to 06:00 tomorrow"},
		{"SpanLater", chat.SpanText(now, tokyoTime(25, 1, 0), tokyoTime(25, 2, 0), tokyo), "from 01:00 to 02:00 on Wed Nov 25"},
		{"Duration1h", chat.Duration(time.Hour), "1 h"},
		{"DurationMixed", chat.Duration(26*time.Hour + 30*time.Minute), "1 day 2 h 30 min"},
		{"DurationMinutes", chat.Duration(30 * time.Minute), "30 min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestRotaGaps(t *testing.T) {
	at := func(h int) time.Time { return tokyoTime(21, 0, 0).Add(time.Duration(h) * time.Hour) }
	shift := func(from, to int) domain.Shift { return domain.Shift{Start: at(from), End: at(to)} }
	tests := []struct {
		name   string
		shifts []domain.Shift
		want   []gap
	}{
		{"Covered", []domain.Shift{shift(0, 10), shift(10, 24)}, nil},
		{"GapBetween", []domain.Shift{shift(0, 10), shift(12, 24)}, []gap{{start: at(10), end: at(12)}}},
		{"UnknownStart", []domain.Shift{shift(2, 24)}, []gap{{start: at(0), end: at(2)}}},
		{"OpenEnd", []domain.Shift{shift(0, 20)}, []gap{{start: at(20), end: at(24), open: true}}},
		{"Nothing", nil, []gap{{start: at(0), end: at(24), open: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rotaGaps(tt.shifts, at(0), at(24))
			if len(got) != len(tt.want) {
				t.Fatalf("gaps = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if !got[i].start.Equal(tt.want[i].start) || !got[i].end.Equal(tt.want[i].end) || got[i].open != tt.want[i].open {
					t.Errorf("gap %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// opsPD is a PagerDuty whose Primary (PS1) rota is fixed: Alice until
// 18:00 on Nov 21, Bob until 02:00, nobody until 06:00, Carol after.
type opsPD struct {
	PagerDuty
	Ops
}

func (opsPD) ScheduleShifts(ctx context.Context, id string, since, until time.Time) (domain.Schedule, []domain.Shift, error) {
	rota := []domain.Shift{
		{User: domain.Person{ID: "PU1", Name: "Alice"}, Start: tokyoTime(21, 8, 0), End: tokyoTime(21, 18, 0)},
		{User: domain.Person{ID: "PU2", Name: "Bob"}, Start: tokyoTime(21, 18, 0), End: tokyoTime(22, 2, 0)},
		{User: domain.Person{ID: "PU3", Name: "Carol"}, Start: tokyoTime(22, 6, 0), End: tokyoTime(30, 0, 0)},
	}
	var out []domain.Shift
	for _, s := range rota {
		if s.Start.Before(until) && s.End.After(since) {
			if s.Start.Before(since) {
				s.Start = since // PagerDuty cuts entries to the range
			}
			if s.End.After(until) {
				s.End = until
			}
			out = append(out, s)
		}
	}
	return domain.Schedule{ID: id, Name: "Primary"}, out, nil
}

// postSlack records posts; failPosts makes that many fail first.
type postSlack struct {
	Slack
	mu        sync.Mutex
	posts     []string
	failPosts int
}

func (s *postSlack) PostMessage(ctx context.Context, channel string, msg chat.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failPosts > 0 {
		s.failPosts--
		return "", errors.New("slack down")
	}
	s.posts = append(s.posts, channel+": "+msg.Text)
	return "1.1", nil
}

func (s *postSlack) taken() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.posts
	s.posts = nil
	return out
}

func TestAnnounceShifts(t *testing.T) {
	now := tokyoTime(21, 17, 55)
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "toban.db"), storage.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &postSlack{}
	oc := &Feature{Slack: s, PagerDuty: opsPD{}, Ops: opsPD{}, Users: db, Store: db, Location: tokyo, Now: func() time.Time { return now }}
	ctx := context.Background()
	if err := db.Follow(ctx, domain.Follow{ChannelID: "C1", ScheduleID: "PS1", ScheduleName: "Primary", CreatedBy: "U1"}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name      string
		at        time.Time
		failPosts int
		want      []string
		next      time.Time
	}{
		{"GapWarnedAhead", tokyoTime(21, 17, 55), 0,
			[]string{"C1: :warning: Heads-up: nobody is on call for *Primary* from 02:00 to 06:00 tomorrow. Take it with `/toban oncall Primary`."},
			tokyoTime(21, 18, 0)},
		{"ShiftChangeFailsToPost", tokyoTime(21, 18, 0), 1, nil, tokyoTime(21, 18, 10)},
		{"RetriedOnce", tokyoTime(21, 18, 1), 0, []string{"C1: :bell: Now on call for *Primary*: Bob until 02:00 tomorrow."}, tokyoTime(21, 18, 11)},
		{"NothingNew", tokyoTime(21, 18, 11), 0, nil, tokyoTime(21, 18, 21)},
		{"LaterShiftAfterTheGap", tokyoTime(22, 6, 0), 0, []string{"C1: :bell: Now on call for *Primary*: Carol for at least a week."}, tokyoTime(22, 6, 10)},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			now = st.at
			s.failPosts = st.failPosts
			next := oc.Tick(ctx)
			if got := s.taken(); strings.Join(got, "\n") != strings.Join(st.want, "\n") {
				t.Errorf("posts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(st.want, "\n"))
			}
			if !next.Equal(st.next) {
				t.Errorf("next = %v, want %v", next.In(tokyo), st.next)
			}
		})
	}
	t.Run("NothingFollowedNothingWatched", func(t *testing.T) {
		if err := db.Unfollow(ctx, "C1", ""); err != nil {
			t.Fatal(err)
		}
		if next := oc.Tick(ctx); !next.IsZero() {
			t.Errorf("next = %v, want zero (no timer)", next)
		}
	})
}

func TestOnCallMessage(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, tokyo)
	oc := &Feature{Location: tokyo, Now: func() time.Time { return now }}
	entries := []domain.OnCall{
		{EscalationPolicyName: "Web", Level: 2, User: domain.Person{Name: "Bob"}},
		{EscalationPolicyName: "Web", Level: 1, ScheduleName: "Primary", User: domain.Person{Name: "Alice"},
			End: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}, // 18:00 in Tokyo, today
		{EscalationPolicyName: "DB", Level: 1, ScheduleName: "DBA", User: domain.Person{Name: "Carol"},
			End: time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC)}, // tomorrow in Tokyo
		{EscalationPolicyName: "Web", Level: 1, ScheduleName: "Primary", User: domain.Person{Name: "Dave"},
			Start: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 21, 21, 0, 0, 0, time.UTC)},
		{EscalationPolicyName: "Web", Level: 1, ScheduleName: "Primary", User: domain.Person{Name: "Erin"},
			Start: time.Date(2026, 11, 21, 21, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)},
		{EscalationPolicyName: "Empty", Level: 1, ScheduleName: "Nights", User: domain.Person{Name: "Frank"},
			Start: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)},
	}
	t.Run("OK", func(t *testing.T) {
		golden(t, "oncall", chat.AckMessage(oc.onCallMessage("", entries)))
	})
	t.Run("Nobody", func(t *testing.T) {
		got := oc.onCallMessage("primary", nil).Text
		want := `No schedule or escalation policy matching "primary" has anyone on call right now.`
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}
