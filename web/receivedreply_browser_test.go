package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserReceivedWithoutMessageID: a message without a Message-ID
// whose attempt the sink accepted "as 13" shows the copy found that way;
// a copy the sink accepted and no longer holds is said so; and a message
// the sink holds nothing of never reads "went to another server" when a
// server accepted it: the page names that server.
func TestBrowserReceivedWithoutMessageID(t *testing.T) {
	b, st, relay, sink, base := browserUI(t)
	now := time.Now().UTC()
	relay.mu.Lock()
	relay.msgs["nid-1"] = MessageDetail{ID: "nid-1", From: "a@shop.test", To: []string{"b@example.test"}, Subject: "Hi", Received: now}
	relay.mu.Unlock()
	accepted := map[string]any{"address": "127.0.0.1:44625", "reply": map[string]any{"code": 250, "enhanced": "2.0.0", "text": "Message accepted as 13", "stage": "data-end"}}
	appendEvents(t, st,
		events.Event{Kind: events.RelayQueued, Time: now, Message: "nid-1", Recipient: "b@example.test"}.WithPayload(map[string]any{"sender": "a@shop.test"}),
		events.Event{Kind: events.RelayAttempt, Time: now, Message: "nid-1", Recipient: "b@example.test", Target: "127.0.0.1"}.WithPayload(accepted))
	text := func() string { return b.eval(t, `document.getElementById("received").textContent`).(string) }
	show := func(r Received, ready string) string {
		t.Helper()
		sink.mu.Lock()
		sink.received = r
		sink.mu.Unlock()
		b.do(t, chromedp.Navigate(base+"/#/feed"))
		b.do(t, chromedp.Navigate(base+"/#/messages/nid-1"))
		b.waitFor(t, ready, ready)
		got := text()
		if strings.Contains(got, "another server") {
			t.Errorf("the sink's side says %q, want no \"another server\": the timeline shows the sink accepted it", got)
		}
		return got
	}

	got := show(Received{Copies: []SinkCopy{{ID: "13", Session: "5", Time: now, To: []string{"b@example.test"}, Code: 250, Reply: "250 2.0.0 Message accepted as 13"}}},
		`document.getElementById("received-copies")`)
	if !strings.Contains(got, "1 copy that the sink accepted") || strings.Contains(got, "Message-ID <") {
		t.Errorf("copy found by the reply: %q, want \"1 copy that the sink accepted\" and no empty Message-ID", got)
	}

	got = show(Received{Gone: []GoneCopy{{ID: "13", Recipient: "b@example.test", Reply: "250 2.0.0 Message accepted as 13"}}},
		`document.getElementById("received-gone-13")`)
	if !strings.Contains(got, "no longer holds copy 13") {
		t.Errorf("a copy gone: %q, want it to say the sink no longer holds copy 13", got)
	}

	got = show(Received{}, `document.getElementById("received-none")`)
	if !strings.Contains(got, "127.0.0.1:44625") {
		t.Errorf("nothing matched: %q, want the address that accepted it", got)
	}
}
