package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestLatestWait: /api/v1/sink/messages/latest?q=...&wait= answers as
// soon as the sink stores a message that matches (woken by its
// sink.message event), not at once with a 404; a message that does not
// match does not end the wait; the wait ends with the 404 after its
// time, on the server's clock; wait= is bounded.
func TestLatestWait(t *testing.T) {
	t.Parallel()
	clk := clock.NewVirtual(testEpoch)
	st := openStore(t, clk)
	sink := newFakeSink()
	ts := startServer(t, Options{Store: st, Sink: sink})
	store := func(id int64, to string) {
		t.Helper()
		// The fake sink knows the message before the store lists it: a
		// wait woken by an earlier message's event may find this one's
		// row at once, and reads it from the sink.
		sink.mu.Lock()
		sink.msgs[itoa(id)] = MessageDetail{ID: itoa(id), To: []string{to}}
		sink.mu.Unlock()
		addSinkRaw(t, st, id, to, "From: a@shop.test\r\nTo: "+to+"\r\nSubject: s\r\n\r\nhi\r\n")
		appendEvents(t, st, events.Event{Kind: events.SinkMessage, Recipient: to}.WithPayload(map[string]any{"id": id}))
	}
	type answer struct {
		code int
		body []byte
	}
	ask := func(q, wait string) <-chan answer {
		ch := make(chan answer, 1)
		pending := clk.Pending()
		go func() {
			code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages/latest?q="+url.QueryEscape(q)+"&wait="+wait, "")
			ch <- answer{code, body}
		}()
		// Waiting once its timer is set.
		for clk.Pending() == pending {
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

	store(1, "other@shop.test")
	ch := ask("to:bob@shop.test", "30s")
	store(2, "carol@shop.test") // no match: still waiting
	store(3, "bob@shop.test")
	a := <-ch
	var m MessageDetail
	if err := json.Unmarshal(a.body, &m); a.code != http.StatusOK || err != nil || m.ID != "3" {
		t.Errorf("latest to:bob wait=30s: %d %s; want message 3 once stored", a.code, a.body)
	}

	ch = ask("to:dave@shop.test", "10")
	clk.Advance(10 * time.Second)
	a = <-ch
	if e := wantAPIError(t, a.body); a.code != http.StatusNotFound || !strings.Contains(e.Error, "within 10s") || !strings.Contains(e.Detail, "waited 10s") {
		t.Errorf("latest to:dave wait=10: %d %+v; want 404 after waiting 10s", a.code, e)
	}

	// Already there: at once.
	if code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages/latest?q=to:carol&wait=60s", ""); code != http.StatusOK || !strings.Contains(string(body), `"id":"2"`) {
		t.Errorf("latest to:carol wait=60s: %d %s; want message 2 at once", code, body)
	}
	for _, bad := range []string{"61s", "2m", "-1s", "soon"} {
		code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages/latest?wait="+bad, "")
		if e := wantAPIError(t, body); code != http.StatusBadRequest || !strings.Contains(e.Detail, "at most 1m0s") {
			t.Errorf("wait=%s: %d %+v; want 400", bad, code, e)
		}
	}
}
