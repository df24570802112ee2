package oncallgroups

import (
	"reflect"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
)

func TestDecide(t *testing.T) {
	for _, c := range []struct {
		name            string
		members, onCall []string
		gapWarned       bool
		want            decision
	}{
		{"SameSetNoUpdate", []string{"U2", "U1"}, []string{"U1", "U2"}, false, decision{Members: []string{"U1", "U2"}}},
		{"ShiftChange", []string{"U1"}, []string{"U2"}, false, decision{Members: []string{"U2"}, Update: true}},
		{"DuplicatesFolded", []string{"U1"}, []string{"U1", "U1"}, false, decision{Members: []string{"U1"}}},
		{"JoinsAnother", []string{"U1"}, []string{"U1", "U3"}, false, decision{Members: []string{"U1", "U3"}, Update: true}},
		{"FirstSyncOfEmptyGroup", nil, []string{"U1"}, false, decision{Members: []string{"U1"}, Update: true}},
		{"GapKeepsLastPersonAndWarns", []string{"U2"}, nil, false, decision{Members: []string{"U2"}, WarnGap: true, GapWarned: true}},
		{"GapWarnedOnce", []string{"U2"}, nil, true, decision{Members: []string{"U2"}, GapWarned: true}},
		{"GapOverClearsFlag", []string{"U2"}, []string{"U3"}, true, decision{Members: []string{"U3"}, Update: true}},
		{"GapOverSamePersonClearsFlag", []string{"U2"}, []string{"U2"}, true, decision{Members: []string{"U2"}}},
		{"GapInEmptyGroupSaysNothing", nil, nil, false, decision{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := decide(c.members, c.onCall, c.gapWarned)
			if len(got.Members) == 0 {
				got.Members = nil
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("decide(%v, %v, %v) = %+v, want %+v", c.members, c.onCall, c.gapWarned, got, c.want)
			}
		})
	}
}

func TestCurrent(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return now.Add(time.Duration(h) * time.Hour) }
	alice, bob, carol := domain.Person{ID: "PU1"}, domain.Person{ID: "PU2"}, domain.Person{ID: "PU3"}
	for _, c := range []struct {
		name    string
		entries []domain.OnCall
		want    []string
		next    time.Time
	}{
		{"OneShiftEnds", []domain.OnCall{{User: alice, Start: at(-1), End: at(2)}}, []string{"PU1"}, at(2)},
		{"NextShiftSooner", []domain.OnCall{{User: alice, Start: at(-1), End: at(2)}, {User: bob, Start: at(1), End: at(3)}}, []string{"PU1"}, at(1)},
		{"AlwaysOnCall", []domain.OnCall{{User: carol}}, []string{"PU3"}, time.Time{}},
		{"GapUntilNextShift", []domain.OnCall{{User: bob, Start: at(1), End: at(3)}}, nil, at(1)},
		{"EndedAtNowIsOver", []domain.OnCall{{User: alice, Start: at(-2), End: now}, {User: bob, Start: now, End: at(8)}}, []string{"PU2"}, at(8)},
		{"Nothing", nil, nil, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			people, next := current(c.entries, now)
			var ids []string
			for _, p := range people {
				ids = append(ids, p.ID)
			}
			if !reflect.DeepEqual(ids, c.want) || !next.Equal(c.next) {
				t.Errorf("current = %v, %v; want %v, %v", ids, next, c.want, c.next)
			}
		})
	}
}
