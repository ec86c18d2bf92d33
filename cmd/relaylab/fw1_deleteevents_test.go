package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestWebSinkDeleteSaysSo: through serve's adapter a message's DELETE
// and a search's scoped DELETE each append one sink.deleted event naming
// what went (an open Inbox drops those rows by it), and the search's
// answer lists the messages deleted, as one transaction deletes them.
func TestWebSinkDeleteSaysSo(t *testing.T) {
	t.Parallel()
	r := startClearRig(t)
	for _, to := range []string{"b@example.test", "c@example.test", "c@example.test"} {
		msg := "From: app@ci.test\r\nTo: " + to + "\r\nSubject: hi\r\n\r\nHello.\r\n"
		if err := sendPlain(r.addr, "app@ci.test", to, msg); err != nil {
			t.Fatal(err)
		}
	}
	r.sessions(t, 3)
	if code, body := r.call(t, "DELETE", "/api/v1/sink/messages/1", nil); code != 200 {
		t.Fatalf("DELETE message 1: %d %s", code, body)
	}
	req, err := http.NewRequest("DELETE", r.url+"/api/v1/sink/messages", strings.NewReader(`{"query": "to:c@example.test"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if code, body := resp.StatusCode, string(b); code != 200 || !strings.Contains(body, `"ids":["3","2"]`) {
		t.Fatalf("DELETE by query: %d %s; want messages 3 and 2 deleted", code, body)
	}
	var page struct {
		Events []events.Event `json:"events"`
	}
	r.call(t, "GET", "/api/v1/events?kind=sink.", &page)
	var said []string
	for _, e := range page.Events {
		if e.Kind == "sink.deleted" {
			said = append(said, string(e.Payload))
		}
	}
	if strings.Join(said, " ") != `{"ids":[1]} {"ids":[2,3]}` {
		t.Errorf("sink.deleted events %q; want one for message 1, one for 3 and 2", said)
	}
}
