package storage

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tobanbot/toban/domain"
)

func TestOnCallGroups(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	tie := domain.OnCallGroup{GroupID: "S1", Handle: "oncall-primary", ScheduleID: "PS1", SourceName: "Primary", ChannelID: "C1", CreatedBy: "U1"}
	id, err := db.SaveOnCallGroup(ctx, tie)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveOnCallGroup(ctx, domain.OnCallGroup{GroupID: "S2", Handle: "escalation", PolicyID: "PEP1", Level: 2, ChannelID: "C1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetOnCallGroupState(ctx, id, []string{"U1", "U2"}, true, true); err != nil {
		t.Fatal(err)
	}
	got, err := db.OnCallGroup(ctx, id)
	if err != nil || !slices.Equal(got.Members, []string{"U1", "U2"}) || !got.GapWarned || !got.FreePlanWarned || got.ScheduleID != "PS1" {
		t.Fatalf("OnCallGroup = %+v, %v", got, err)
	}
	// Tying the same group again replaces the tie and starts afresh.
	again := tie
	again.ScheduleID, again.PolicyID, again.Level = "", "PEP1", 1
	id2, err := db.SaveOnCallGroup(ctx, again)
	if err != nil || id2 != id {
		t.Fatalf("SaveOnCallGroup again = %d, %v; want %d", id2, err, id)
	}
	all, err := db.OnCallGroups(ctx)
	if err != nil || len(all) != 2 || all[1].PolicyID != "PEP1" || all[1].ScheduleID != "" || all[1].Members != nil || all[1].GapWarned {
		t.Fatalf("OnCallGroups = %+v, %v", all, err)
	}
	if _, err := db.SaveOnCallGroup(ctx, domain.OnCallGroup{GroupID: "S3", ChannelID: "C1"}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("a tie to nothing: err = %v, want invalid", err)
	}
	if err := db.DeleteOnCallGroup(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteOnCallGroup(ctx, id); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("delete twice: err = %v", err)
	}
	if _, err := db.OnCallGroup(ctx, id); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("deleted tie: err = %v", err)
	}
}
