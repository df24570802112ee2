package scheduler

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	tokyo := mustLoc(t, "Asia/Tokyo")
	tests := []struct {
		rule Rule
		want string
	}{
		{Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Monday, time.Wednesday}, Location: berlin}, "weekly;at=09:00;days=mon,wed;tz=Europe/Berlin"},
		{Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Sunday, time.Wednesday, time.Wednesday}}, "weekly;at=09:00;days=wed,sun;tz=UTC"},
		{Rule{Kind: KindDaily, At: "07:05", Location: tokyo}, "daily;at=07:05;tz=Asia/Tokyo"},
		{Rule{Kind: KindWeekdays, At: "09:00", Location: tokyo}, "weekdays;at=09:00;tz=Asia/Tokyo"},
		{Rule{Kind: KindMonthlyDay, Day: 31, At: "18:00", Location: time.UTC}, "monthly_day;at=18:00;day=31;tz=UTC"},
		{Rule{Kind: KindMonthlyLast, At: "18:00"}, "monthly_last;at=18:00;tz=UTC"},
		{Rule{Kind: KindOnce, Date: "2026-12-01", At: "10:00", Location: berlin}, "once;date=2026-12-01;at=10:00;tz=Europe/Berlin"},
		{Rule{Kind: KindOnce, Date: "2020-01-01", At: "10:00"}, "once;date=2020-01-01;at=10:00;tz=UTC"}, // past once rules still decode
		{Rule{Kind: KindCron, Cron: "0 9 * * 1-5", Location: tokyo}, "cron;expr=0 9 * * 1-5;tz=Asia/Tokyo"},
		{Rule{Kind: KindCron, Cron: "@daily", Location: berlin}, "cron;expr=@daily;tz=Europe/Berlin"},
		{Rule{Kind: KindCron, Cron: "*/15 0-6,22-23 1,15 JAN-MAR ?"}, "cron;expr=*/15 0-6,22-23 1,15 JAN-MAR ?;tz=UTC"},
		// Fields other kinds use are not written.
		{Rule{Kind: KindDaily, At: "09:00", Day: 3, Date: "2026-01-01", Cron: "x", Weekdays: []time.Weekday{1}}, "daily;at=09:00;tz=UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := tt.rule.Encode()
			if got != tt.want {
				t.Fatalf("Encode() = %q, want %q", got, tt.want)
			}
			back, err := DecodeRule(got)
			if err != nil {
				t.Fatalf("DecodeRule(%q): %v", got, err)
			}
			if again := back.Encode(); again != got {
				t.Fatalf("DecodeRule(%q).Encode() = %q", got, again)
			}
			if back.Kind != tt.rule.Kind || back.String() != canonical(tt.rule).String() {
				t.Fatalf("DecodeRule(%q) = %v, want %v", got, back, tt.rule)
			}
			// Both evaluate alike.
			from := mustTime(t, "2019-06-01T00:00:00Z")
			n1, ok1 := tt.rule.Next(from)
			n2, ok2 := back.Next(from)
			if ok1 != ok2 || !n1.Equal(n2) {
				t.Fatalf("Next differs after the round trip: %s %v, %s %v", n1, ok1, n2, ok2)
			}
		})
	}
}

// canonical drops the fields the rule's kind does not use, as Encode does.
func canonical(r Rule) Rule {
	c := Rule{Kind: r.Kind, Location: r.Location}
	switch r.Kind {
	case KindOnce:
		c.Date, c.At = r.Date, r.At
	case KindWeekly:
		c.At, c.Weekdays = r.At, SortedDays(r.Weekdays)
	case KindMonthlyDay:
		c.At, c.Day = r.At, r.Day
	case KindCron:
		c.Cron = r.Cron
	default:
		c.At = r.At
	}
	return c
}

func TestDecodeRule(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	got, err := DecodeRule("weekly;at=09:00;days=Monday,WED;tz=Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	want := Rule{Kind: KindWeekly, At: "09:00", Weekdays: []time.Weekday{time.Monday, time.Wednesday}, Location: berlin}
	if got.Location.String() != "Europe/Berlin" || !reflect.DeepEqual(got.Weekdays, want.Weekdays) || got.At != want.At || got.Kind != want.Kind {
		t.Fatalf("DecodeRule = %+v, want %+v", got, want)
	}
	// Zones are shared between decoded rules.
	again, _ := DecodeRule("daily;at=09:00;tz=Europe/Berlin")
	if again.Location != got.Location {
		t.Fatalf("two decodes of Europe/Berlin gave different *time.Location")
	}
	// Escapes are undone before the expression is checked.
	r, err := DecodeRule("cron;expr=0 9 * * 1%3B2")
	if err == nil {
		t.Fatalf("DecodeRule accepted a cron expression with a semicolon: %+v", r)
	}
	// No tz means UTC.
	if r, err := DecodeRule("daily;at=09:00"); err != nil || r.Location != time.UTC {
		t.Fatalf("DecodeRule without tz = %+v, %v; want UTC", r, err)
	}
}

func TestEscapes(t *testing.T) {
	for _, s := range []string{"", "plain", "a;b", "100%", "%3B", ";;%%", "%25;"} {
		got, err := unescape(escape(s))
		if err != nil || got != s {
			t.Errorf("unescape(escape(%q)) = %q, %v", s, got, err)
		}
		if strings.Contains(escape(s), ";") {
			t.Errorf("escape(%q) = %q still holds a semicolon", s, escape(s))
		}
	}
	for _, bad := range []string{"%", "%2", "%zz", "a%3Cb"} {
		if _, err := unescape(bad); err == nil {
			t.Errorf("unescape(%q) succeeded, want an error", bad)
		}
	}
}

func TestDecodeRuleErrors(t *testing.T) {
	tests := []struct {
		in        string
		wantField string // "" when the error is not about one field
	}{
		{"", ""},
		{";at=09:00", ""},
		{"daily;at", ""},
		{"daily;at=09:00;at=10:00", ""},
		{"daily;at=09:00;color=red", ""},
		{"daily;at=09:00;day=3", ""},
		{"weekly;at=09:00;expr=x", ""},
		{"daily;at=09:00;tz=Mars/Olympus_Mons", ""},
		{"daily;at=09:00;tz=../../etc/passwd", ""},
		{"daily;at=9%zz", ""},
		{"hourly;at=09:00", "kind"},
		{"daily", "at"},
		{"daily;at=25:00", "at"},
		{"once;at=10:00", "date"},
		{"once;date=2027-02-29;at=10:00", "date"},
		{"weekly;at=09:00", "weekdays"},
		{"weekly;at=09:00;days=", "weekdays"},
		{"weekly;at=09:00;days=mon,funday", "weekdays"},
		{"monthly_day;at=09:00", "day"},
		{"monthly_day;at=09:00;day=32", "day"},
		{"monthly_day;at=09:00;day=first", "day"},
		{"cron;expr=", "cron"},
		{"cron;expr=* * *", "cron"},
		{"cron;expr=@every 5m", "cron"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := DecodeRule(tt.in)
			if err == nil {
				t.Fatalf("DecodeRule(%q) = %+v, want an error", tt.in, r)
			}
			var fe *FieldError
			if tt.wantField == "" {
				return
			}
			if !errors.As(err, &fe) || fe.Field != tt.wantField {
				t.Fatalf("DecodeRule(%q) = %v, want a FieldError on %q", tt.in, err, tt.wantField)
			}
		})
	}
}

func FuzzDecodeRule(f *testing.F) {
	for _, seed := range []string{
		"weekly;at=09:00;days=mon,wed;tz=Europe/Berlin",
		"daily;at=09:00;tz=UTC",
		"weekdays;at=09:00;tz=Asia/Tokyo",
		"monthly_day;at=18:00;day=31;tz=UTC",
		"monthly_last;at=18:00;tz=America/New_York",
		"once;date=2028-02-29;at=10:00;tz=Europe/Berlin",
		"cron;expr=0 9 * * 1-5;tz=UTC",
		"cron;expr=@daily",
		"cron;expr=TZ=",
		"cron;expr=CRON_TZ=x",
		"cron;expr=*/0 * * * *",
		"cron;expr=1-2-3 * * * *",
		"cron;expr=%25%3B",
		"once;date=0000-01-01;at=00:00",
		"monthly_day;day=-9223372036854775808;at=00:00",
		";;;",
		"=",
		"",
	} {
		f.Add(seed)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := DecodeRule(s)
		if err != nil {
			return
		}
		// A decoded rule re-encodes to something that decodes to itself.
		enc := r.Encode()
		back, err := DecodeRule(enc)
		if err != nil {
			t.Fatalf("DecodeRule(%q) ok, but DecodeRule(Encode() = %q): %v", s, enc, err)
		}
		if back.Encode() != enc {
			t.Fatalf("Encode not stable: %q then %q", enc, back.Encode())
		}
		_ = r.String()
		_ = r.Validate(now)
		if n, ok := r.Next(now); ok && !n.After(now) {
			t.Fatalf("%q: Next(%s) = %s, not after", s, now, n)
		}
		r.Prev(now)
	})
}
