package chat

import (
	"fmt"
	"sort"
	"time"

	"github.com/tobanbot/toban/domain"
)

// OnCallLevel is who holds one level of an escalation policy now, and who
// is next.
type OnCallLevel struct {
	Policy string
	Level  int
	Now    []domain.OnCall
	Next   *domain.OnCall
}

// OnCallLevels groups entries by policy and level, splitting each level
// into the people on call now and the first shift that starts later;
// levels are sorted by policy name, then level.
func OnCallLevels(entries []domain.OnCall, now time.Time) []*OnCallLevel {
	byKey := map[string]*OnCallLevel{}
	var levels []*OnCallLevel
	for _, e := range entries {
		key := fmt.Sprintf("%s\x00%d", e.EscalationPolicyName, e.Level)
		l := byKey[key]
		if l == nil {
			l = &OnCallLevel{Policy: e.EscalationPolicyName, Level: e.Level}
			byKey[key] = l
			levels = append(levels, l)
		}
		switch {
		case e.Start.IsZero() || !e.Start.After(now):
			l.Now = append(l.Now, e)
		case l.Next == nil || e.Start.Before(l.Next.Start):
			e := e
			l.Next = &e
		}
	}
	sort.SliceStable(levels, func(i, j int) bool {
		if levels[i].Policy != levels[j].Policy {
			return levels[i].Policy < levels[j].Policy
		}
		return levels[i].Level < levels[j].Level
	})
	return levels
}
