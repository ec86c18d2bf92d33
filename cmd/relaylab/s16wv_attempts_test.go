package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/relaylab/relaylab/web"
)

// TestS16WVEveryAttemptHasID: /api/v1/sink/attempts without limit=,
// before= and after= gives each attempt its id (a string, as the pages'
// next), so that a client can go on with after= the last id read; and
// relaylab expect --url still reads that answer, every attempt of it.
func TestS16WVEveryAttemptHasID(t *testing.T) {
	r := startClearRig(t)
	for i := range 3 {
		msg := fmt.Sprintf("From: app@ci.test\r\nTo: b%d@example.test\r\nSubject: hi\r\n\r\nHello.\r\n", i)
		if err := sendPlain(r.addr, "app@ci.test", fmt.Sprintf("b%d@example.test", i), msg); err != nil {
			t.Fatal(err)
		}
	}
	r.sessions(t, 3)
	var all struct {
		Attempts []web.PagedAttempt `json:"attempts"` // its id a string
	}
	if code, body := r.call(t, "GET", "/api/v1/sink/attempts", &all); code != 200 || len(all.Attempts) != 3 {
		t.Fatalf("every attempt: %d %s", code, body)
	}
	for _, a := range all.Attempts {
		if a.ID == 0 {
			t.Errorf("attempt %+v has no id", a)
		}
	}
	var after struct {
		Attempts []web.PagedAttempt `json:"attempts"`
	}
	last := all.Attempts[len(all.Attempts)-1].ID
	if code, body := r.call(t, "GET", fmt.Sprintf("/api/v1/sink/attempts?after=%d", last), &after); code != 200 || len(after.Attempts) != 0 {
		t.Errorf("after= the last id read: %d %s, want none", code, body)
	}
	got, err := remoteAttempts{base: r.url, client: http.DefaultClient}.AllMessageAttempts(context.Background())
	if err != nil || len(got) != 3 || got[0].Recipient != "b0@example.test" {
		t.Errorf("expect --url reads %+v, %v; want the 3 attempts", got, err)
	}
}
