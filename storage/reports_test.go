package storage

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

func TestReportSchedules(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	rule := mustRule("weekly;at=09:00;days=mon;tz=Asia/Tokyo")
	s := domain.ReportSchedule{ChannelID: "C1", Period: "last-week", Rule: rule, CreatedBy: "U1",
		Services: []domain.ReportService{{ID: "PSVC1", Name: "Checkout API"}}}

	saved, err := db.SaveReportSchedule(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.ID) != 16 || saved.ID[:4] != "rep_" || saved.CreatedAt.IsZero() {
		t.Errorf("saved = %+v, want an ID rep_… and a creation time", saved)
	}
	other, err := db.SaveReportSchedule(ctx, domain.ReportSchedule{ChannelID: "C2", Period: "last-month", Rule: rule, WithIncidents: true})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Read", func(t *testing.T) {
		got, err := db.ReportSchedule(ctx, saved.ID)
		if err != nil || got.Rule.Encode() != rule.Encode() || !slices.Equal(got.Services, s.Services) || got.Period != "last-week" || got.CreatedBy != "U1" {
			t.Errorf("ReportSchedule = %+v, %v", got, err)
		}
		in, err := db.ReportSchedulesInChannel(ctx, "C2")
		if err != nil || len(in) != 1 || in[0].ID != other.ID || !in[0].WithIncidents || in[0].Services == nil {
			t.Errorf("in C2 = %+v, %v; want the last-month one with incidents", in, err)
		}
		all, err := db.ReportSchedules(ctx)
		if err != nil || len(all) != 2 {
			t.Errorf("all = %+v, %v", all, err)
		}
	})
	t.Run("Update", func(t *testing.T) {
		up := saved
		up.Period, up.Services = "last-month", nil
		got, err := db.SaveReportSchedule(ctx, up)
		if err != nil || got.Period != "last-month" || len(got.Services) != 0 || !got.CreatedAt.Equal(saved.CreatedAt) {
			t.Errorf("updated = %+v, %v", got, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, bad := range []domain.ReportSchedule{
			{ChannelID: "", Period: "last-week", Rule: rule},
			{ChannelID: "C1", Period: "week", Rule: rule},
			{ChannelID: "C1", Period: "last-week"},
		} {
			if _, err := db.SaveReportSchedule(ctx, bad); !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("SaveReportSchedule(%+v) = %v, want ErrInvalid", bad, err)
			}
		}
	})
	t.Run("Delete", func(t *testing.T) {
		if _, _, err := db.ClaimReportRun(ctx, other.ID, time.Unix(1000, 0), "C2"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteReportSchedule(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ReportSchedule(ctx, other.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("deleted schedule read: %v, want ErrNotFound", err)
		}
		if last, err := db.LastReportRun(ctx, other.ID); err != nil || !last.IsZero() {
			t.Errorf("runs of a deleted schedule: %v, %v; want none", last, err)
		}
		if err := db.DeleteReportSchedule(ctx, other.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("second delete: %v, want ErrNotFound", err)
		}
	})
}

func TestReportRuns(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	due := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)

	t.Run("ClaimedOnceConcurrently", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		claims := 0
		for range 8 {
			wg.Go(func() {
				_, claimed, err := db.ClaimReportRun(ctx, "rep_a", due, "C1")
				if err != nil {
					t.Error(err)
				}
				if claimed {
					mu.Lock()
					claims++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if claims != 1 {
			t.Errorf("%d claims, want 1", claims)
		}
	})
	t.Run("Posted", func(t *testing.T) {
		id := domain.ReportRunID("rep_a", due)
		if err := db.SetReportRunPosted(ctx, id, "1.1"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetReportRunPosted(ctx, id, "1.1"); err != nil {
			t.Errorf("same ts again: %v, want no-op", err)
		}
		if err := db.SetReportRunPosted(ctx, id, "2.2"); !errors.Is(err, domain.ErrAlreadyPosted) {
			t.Errorf("another ts: %v, want ErrAlreadyPosted", err)
		}
		run, claimed, err := db.ClaimReportRun(ctx, "rep_a", due, "C1")
		if err != nil || claimed || run.TS != "1.1" || run.PostedAt.IsZero() || !run.Due.Equal(due) {
			t.Errorf("claim after posting = %+v, %v, %v; want the posted run", run, claimed, err)
		}
		if err := db.SetReportRunPosted(ctx, "rep_zz@1", "1.1"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("unknown run: %v, want ErrNotFound", err)
		}
	})
	t.Run("LastRun", func(t *testing.T) {
		if _, _, err := db.ClaimReportRun(ctx, "rep_a", due.AddDate(0, 0, 7), "C1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ClaimReportRun(ctx, "rep_b", due, "C1"); err != nil {
			t.Fatal(err)
		}
		last, err := db.LastReportRun(ctx, "rep_a")
		if err != nil || !last.Equal(due.AddDate(0, 0, 7)) {
			t.Errorf("LastReportRun = %v, %v", last, err)
		}
		all, err := db.LastReportRunAll(ctx)
		if err != nil || len(all) != 2 || !all["rep_b"].Equal(due) {
			t.Errorf("LastReportRunAll = %v, %v", all, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		if _, _, err := db.ClaimReportRun(ctx, "rep_a", due, ""); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("claim without channel: %v, want ErrInvalid", err)
		}
	})
}
