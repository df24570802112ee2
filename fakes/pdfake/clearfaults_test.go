package pdfake

import (
	"net/http"
	"testing"
)

func TestClearFaults(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	get := func() int {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/services", nil)
		req.Header.Set("Authorization", "Token token="+s.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	s.FailNext(1000, http.StatusInternalServerError)
	if got := get(); got != http.StatusInternalServerError {
		t.Fatalf("during the outage: status %d, want 500", got)
	}
	s.ClearFaults()
	if got := get(); got != http.StatusOK {
		t.Errorf("after ClearFaults: status %d, want 200", got)
	}
}
