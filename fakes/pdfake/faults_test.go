package pdfake_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/tobanbot/toban/fakes/pdfake"
)

func TestFailNext(t *testing.T) {
	tests := []struct {
		status          int
		wantRateLimited bool
		wantReset       string
	}{
		{http.StatusTooManyRequests, true, "1"},
		{http.StatusInternalServerError, false, ""},
		{http.StatusServiceUnavailable, false, ""},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			fake, client := newFake(t)
			client.SetDebugFlag(pagerduty.DebugCaptureLastResponse)
			fake.FailNext(1, tt.status)
			ctx := context.Background()
			_, err := client.ListUsersWithContext(ctx, pagerduty.ListUsersOptions{})
			ae := apiError(t, err)
			if ae.StatusCode != tt.status || ae.RateLimited() != tt.wantRateLimited || !ae.Temporary() {
				t.Errorf("got status %d RateLimited %v Temporary %v, want %d %v true",
					ae.StatusCode, ae.RateLimited(), ae.Temporary(), tt.status, tt.wantRateLimited)
			}
			resp, _ := client.LastAPIResponse()
			if got := resp.Header.Get("ratelimit-reset"); got != tt.wantReset {
				t.Errorf("ratelimit-reset = %q, want %q", got, tt.wantReset)
			}
			if resp.Header.Get("Retry-After") != "" {
				t.Errorf("Retry-After set; PagerDuty sends only ratelimit-*")
			}
			if _, err := client.ListUsersWithContext(ctx, pagerduty.ListUsersOptions{}); err != nil {
				t.Errorf("second request: %v, want success", err)
			}
			if got := fake.Requests(); len(got) != 2 || got[0].Status != tt.status || got[1].Status != 200 {
				t.Errorf("recorded = %+v", got)
			}
		})
	}
}

func TestFailNextMatching(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	in := fake.AddIncident(pdfake.Incident{Title: "x", ServiceID: "SVC1"})
	fake.FailNextMatching(http.MethodPut, "/incidents", 1, http.StatusBadGateway)
	ctx := context.Background()
	if _, err := client.ListIncidentsWithContext(ctx, pagerduty.ListIncidentsOptions{}); err != nil {
		t.Fatalf("GET should not match the PUT rule: %v", err)
	}
	_, err := client.ManageIncidentsWithContext(ctx, aliceEmail, []pagerduty.ManageIncidentsOptions{{ID: in.ID, Status: "acknowledged"}})
	if ae := apiError(t, err); ae.StatusCode != http.StatusBadGateway {
		t.Errorf("status = %d, want 502", ae.StatusCode)
	}
	if after, _ := fake.Incident(in.ID); after.Status != pdfake.StatusTriggered {
		t.Errorf("failed request changed status to %s", after.Status)
	}
}

func TestRateLimit(t *testing.T) {
	fake, client := newFake(t)
	client.SetDebugFlag(pagerduty.DebugCaptureLastResponse)
	fake.SetRateLimit(5) // one token every 12 s, burst 5
	ctx := context.Background()
	for i := range 5 {
		if _, err := client.ListUsersWithContext(ctx, pagerduty.ListUsersOptions{}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	_, err := client.ListUsersWithContext(ctx, pagerduty.ListUsersOptions{})
	if ae := apiError(t, err); !ae.RateLimited() || ae.APIError.ErrorObject.Code != 2020 {
		t.Fatalf("6th request: %v, want 429 code 2020", ae)
	}
	resp, _ := client.LastAPIResponse()
	if got, want := resp.Header.Get("ratelimit-reset"), "12"; got != want {
		t.Errorf("ratelimit-reset = %q, want %q", got, want)
	}
	if got, want := resp.Header.Get("ratelimit-limit"), "5"; got != want {
		t.Errorf("ratelimit-limit = %q, want %q", got, want)
	}
	fake.SetRateLimit(0)
	if _, err := client.ListUsersWithContext(ctx, pagerduty.ListUsersOptions{}); err != nil {
		t.Errorf("after disabling: %v", err)
	}
}

func TestDelayHonoursClientTimeout(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	in := fake.AddIncident(pdfake.Incident{Title: "x", ServiceID: "SVC1"})
	fake.SetDelay(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := client.ManageIncidentsWithContext(ctx, aliceEmail, []pagerduty.ManageIncidentsOptions{{ID: in.ID, Status: "acknowledged"}})
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %v, want about 100ms", elapsed)
	}
	// go-pagerduty formats transport errors with %v: errors.Is cannot see the
	// deadline, so check the context and the message.
	if err == nil || ctx.Err() != context.DeadlineExceeded || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Errorf("err = %v, want a context deadline error", err)
	}
	if after, _ := fake.Incident(in.ID); after.Status != pdfake.StatusTriggered {
		t.Errorf("abandoned request changed status to %s", after.Status)
	}
	fake.Close() // waits for the abandoned handler to return
	if got := fake.Requests()[0].Status; got != 0 {
		t.Errorf("abandoned request status = %d, want 0 (no answer)", got)
	}
}

func TestMaxRequests(t *testing.T) {
	fake := pdfake.New(pdfake.Options{MaxRequests: 3})
	defer fake.Close()
	client := newClient(fake, fake.Token())
	for range 10 {
		_, _ = client.ListUsersWithContext(context.Background(), pagerduty.ListUsersOptions{})
	}
	if got := len(fake.Requests()); got != 3 {
		t.Errorf("kept %d requests, want 3", got)
	}
}

// TestConcurrentUse exercises the server from many goroutines under -race.
func TestConcurrentUse(t *testing.T) {
	fake, client := newFake(t)
	seed(fake)
	fake.SetRateLimit(100000)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				_, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{
					RoutingKey: svcKey, Action: "trigger", DedupKey: string(rune('a'+g)) + string(rune('a'+i)),
					Payload: &pagerduty.V2Payload{Summary: "s", Source: "src", Severity: "error"},
				})
				if err != nil {
					t.Error(err)
					return
				}
				inc := fake.Incidents()
				_ = fake.AcknowledgeAs(inc[len(inc)-1].ID, "U1")
				if _, err := client.ListIncidentsWithContext(ctx, pagerduty.ListIncidentsOptions{Limit: 100}); err != nil {
					t.Error(err)
				}
				_ = fake.Requests()
			}
		})
	}
	wg.Wait()
	if got := len(fake.Incidents()); got != 80 {
		t.Errorf("incidents = %d, want 80", got)
	}
}
