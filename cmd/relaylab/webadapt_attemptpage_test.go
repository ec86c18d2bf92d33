package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/web"
)

// TestWebSinkAttemptPages: /api/v1/sink/attempts pages over a running
// sink's store: the pages read from after=0 hold every attempt the whole
// list holds, once each, with ids, and limit= alone is the newest.
func TestWebSinkAttemptPages(t *testing.T) {
	r := startClearRig(t)
	for i := range 5 {
		msg := fmt.Sprintf("From: app@ci.test\r\nTo: b%d@example.test\r\nSubject: hi\r\n\r\nHello.\r\n", i)
		if err := sendPlain(r.addr, "app@ci.test", fmt.Sprintf("b%d@example.test", i), msg); err != nil {
			t.Fatal(err)
		}
	}
	r.sessions(t, 5)
	var all attemptsPage
	r.call(t, "GET", "/api/v1/sink/attempts", &all)
	var want []string
	for _, a := range all.Attempts {
		want = append(want, a.Recipient)
	}
	type page struct {
		Attempts []web.PagedAttempt `json:"attempts"`
		Next     string             `json:"next"`
	}
	var got []string
	after := "0"
	for range 10 {
		var p page
		if code, body := r.call(t, "GET", "/api/v1/sink/attempts?limit=2&after="+after, &p); code != 200 {
			t.Fatalf("after=%s: %d %s", after, code, body)
		}
		for _, a := range p.Attempts {
			if a.ID == 0 {
				t.Errorf("attempt %+v has no id", a)
			}
			got = append(got, a.Recipient)
		}
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || len(want) != 5 {
		t.Errorf("pages %v, want %v (5)", got, want)
	}
	var newest page
	r.call(t, "GET", "/api/v1/sink/attempts?limit=1", &newest)
	if len(newest.Attempts) != 1 || newest.Attempts[0].Recipient != want[4] || newest.Next == "" {
		t.Errorf("limit=1: %+v, want %s and a next", newest, want[4])
	}
}
