package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestEventsWait: /api/v1/events?...&wait= (a long poll, for a CI script
// that expects a bounce) answers as soon as an event that matches is
// committed, not at once with an empty page; an event that does not match
// does not end the wait; the wait ends after its time, on the server's
// clock, with an empty page whose next is the after= asked; wait= is
// bounded, and refused on the stream. Before, wait= was a 400 (an unknown
// parameter), and a script had to ask in a loop with a sleep.
func TestEventsWait(t *testing.T) {
	t.Parallel()
	clk := clock.NewVirtual(testEpoch)
	st := openStore(t, clk)
	ts := startServer(t, Options{Store: st})
	appendEvents(t, st, events.Event{Kind: events.RelayQueued, Message: "m1", Recipient: "a+run1@example.test"})
	type answer struct {
		code int
		page eventPage
		body []byte
	}
	ask := func(query string) <-chan answer {
		ch := make(chan answer, 1)
		pending := clk.Pending()
		go func() {
			code, _, body := do(t, "GET", ts.url+"/api/v1/events?"+query, "")
			var p eventPage
			json.Unmarshal(body, &p)
			ch <- answer{code, p, body}
		}()
		for clk.Pending() == pending { // waiting once its timer is set
			select {
			case a := <-ch:
				ch <- a
				return ch
			default:
				time.Sleep(time.Millisecond)
			}
		}
		return ch
	}

	ch := ask("kind=relay.bounced&recipient=a%2Brun1@example.test&after=0&wait=2m")
	appendEvents(t, st, events.Event{Kind: events.RelayDeferred, Message: "m1", Recipient: "a+run1@example.test"}) // no match
	appendEvents(t, st, events.Event{Kind: events.RelayBounced, Message: "m2", Recipient: "b+run1@example.test"})  // another recipient
	appendEvents(t, st, events.Event{Kind: events.RelayBounced, Message: "m1", Recipient: "a+run1@example.test"})
	a := <-ch
	if a.code != http.StatusOK || len(a.page.Events) != 1 || a.page.Events[0].Kind != events.RelayBounced || a.page.Events[0].Message != "m1" {
		t.Errorf("wait=2m for a's bounce: %d %s; want the bounce once committed", a.code, a.body)
	}

	ch = ask("kind=relay.expired&after=0&wait=30")
	clk.Advance(30 * time.Second)
	a = <-ch
	if a.code != http.StatusOK || len(a.page.Events) != 0 || a.page.Next != 0 || !strings.Contains(string(a.body), `"events":[]`) {
		t.Errorf("wait=30 with nothing to come: %d %s; want an empty page after 30s", a.code, a.body)
	}

	// Already there: at once, without a timer.
	if code, _, body := do(t, "GET", ts.url+"/api/v1/events?kind=relay.queued&wait=10m", ""); code != http.StatusOK || !strings.Contains(string(body), `"relay.queued"`) {
		t.Errorf("wait=10m for an event there: %d %s; want it at once", code, body)
	}
	for _, bad := range []string{"11m", "-1s", "soon"} {
		code, _, body := do(t, "GET", ts.url+"/api/v1/events?wait="+bad, "")
		if e := wantAPIError(t, body); code != http.StatusBadRequest || !strings.Contains(e.Detail, "at most 10m0s") {
			t.Errorf("wait=%s: %d %+v; want 400", bad, code, e)
		}
	}
	req, _ := http.NewRequest("GET", ts.url+"/api/v1/events?wait=10s", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("wait= on the stream: %v %v; want 400", resp, err)
	} else {
		resp.Body.Close()
	}
}

// TestEventsWaitCutByShutdown: a long poll of /api/v1/events that the
// server's shutdown ends answers 503, not the empty page of a wait that
// ran out, which a CI script would read as "no bounce came". Shutdown
// does not wait for the poll's time.
func TestEventsWaitCutByShutdown(t *testing.T) {
	t.Parallel()
	clk := clock.NewVirtual(testEpoch)
	s, err := New(Options{Store: openStore(t, clk), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background(), "127.0.0.1:43395"); err != nil {
		t.Skipf("port 43395: %v", err)
	}
	type answer struct {
		code int
		body []byte
	}
	ch := make(chan answer, 1)
	go func() {
		code, _, body := do(t, "GET", "http://"+s.Addr()+"/api/v1/events?kind=relay.bounced&wait=10m", "")
		ch <- answer{code, body}
	}()
	for clk.Pending() == 0 { // the poll's timer is set: it waits
		time.Sleep(time.Millisecond)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := <-ch
	if e := wantAPIError(t, a.body); a.code != http.StatusServiceUnavailable || !strings.Contains(e.Error, "cut short") {
		t.Errorf("a wait the shutdown ended: %d %s; want a 503 saying it was cut short", a.code, a.body)
	}
}
