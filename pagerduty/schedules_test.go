package pagerduty_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
)

func TestSchedules(t *testing.T) {
	c, fake, _ := newClient(t, 5*time.Second)
	for i := range 130 {
		fake.AddSchedule(pdfake.Schedule{ID: fmt.Sprintf("PS%03d", i), Name: fmt.Sprintf("Rota %03d", i)})
	}
	fake.AddSchedule(pdfake.Schedule{ID: "PSDB", Name: "Database primary"})

	t.Run("All", func(t *testing.T) {
		got, err := c.Schedules(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 131 {
			t.Errorf("schedules = %d, want 131 (paginated)", len(got))
		}
	})
	t.Run("Query", func(t *testing.T) {
		got, err := c.Schedules(context.Background(), "database")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != "PSDB" || got[0].Name != "Database primary" {
			t.Errorf("schedules = %+v, want only Database primary", got)
		}
	})
}
