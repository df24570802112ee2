package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/fakes/pdfake"
)

func TestIncidentLog(t *testing.T) {
	c, fake, clock := logEnv(t)
	ctx := context.Background()
	in := fake.AddIncident(pdfake.Incident{ID: "Q1", Title: "API down", ServiceID: "SVC1"})
	fake.AddIncident(pdfake.Incident{ID: "Q2", Title: "Other", ServiceID: "SVC1"})
	clock.Advance(time.Minute)
	must(t, fake.AcknowledgeAs("Q1", "U1"))
	must(t, fake.AcknowledgeAs("Q2", "U1")) // another incident's log: not read
	clock.Advance(time.Minute)
	_, err := fake.AddNoteAs("Q1", "U2", "rolling back")
	must(t, err)
	clock.Advance(time.Minute)
	must(t, fake.EscalateTo("Q1", 2, ""))
	clock.Advance(time.Minute)
	must(t, fake.ResolveAs("Q1", "U1"))

	// By number, as the CLI asks.
	got, err := c.IncidentLog(ctx, fmt.Sprint(in.Number))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range got {
		l := fmt.Sprintf("%s by %s(%s) at +%v", e.Type, e.Agent.Name, e.Agent.ID, e.At.Sub(logStart))
		if e.Note != "" {
			l += " note " + e.Note
		}
		lines = append(lines, l)
	}
	for i, want := range []string{"trigger by", "acknowledge by Alice(U1) at +1m0s", "annotate by Bob(U2) at +2m0s note rolling back",
		"escalate by () at +3m0s", "resolve by Alice(U1) at +4m0s"} {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, want)
		}
		if !found {
			t.Errorf("entry %d %q missing from:\n%s", i, want, strings.Join(lines, "\n"))
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].At.Before(got[i-1].At) {
			t.Errorf("entries out of order:\n%s", strings.Join(lines, "\n"))
		}
	}
	reqs := fake.RequestsTo("GET", "/incidents/"+fmt.Sprint(in.Number)+"/log_entries")
	if len(reqs) != 1 || reqs[0].Query.Get("include[]") != "channels" {
		t.Errorf("requests = %+v, want one with include[]=channels", reqs)
	}

	t.Run("ErrUnknown", func(t *testing.T) {
		if _, err := c.IncidentLog(ctx, "Q404"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("err = %v, want not found", err)
		}
		if _, err := c.IncidentLog(ctx, "../x"); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("err = %v, want invalid", err)
		}
	})
}
