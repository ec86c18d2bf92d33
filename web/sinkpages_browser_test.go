package web

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserSinkPages: the session, received message and rules pages
// say in their pill what is true of them (an open session and the rules
// follow the stream, an ended session and a stored message are final), a
// received message links to its session, and the rules page says that
// its changes do not reach the configuration file. The message's session
// is older than 2,100 others: the page finds it from the message, not by
// reading back the list of sessions.
func TestBrowserSinkPages(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	sink := newFakeSink()
	s := listen(t, Options{Store: st, Sink: sink})
	url := "http://" + s.Addr()
	base := url
	status := `document.getElementById("status").textContent`
	now := time.Now().UTC()
	sink.mu.Lock()
	sink.sessions = []SinkSession{
		{ID: "3", Listener: "mx", Client: "127.0.0.1:4002", Start: now},
		{ID: "2", Listener: "mx", Client: "127.0.0.1:4001", Start: now, End: now, Messages: []string{"9"}, LastReply: "250 2.0.0 ok (at data)"},
	}
	var later []SinkSession
	for id := 2104; id > 3; id-- {
		later = append(later, SinkSession{ID: strconv.Itoa(id), Listener: "mx", Client: "127.0.0.1:4003", Start: now, End: now})
	}
	sink.sessions = append(later, sink.sessions...)
	sink.msgs["9"] = MessageDetail{ID: "9", From: "a@shop.test", To: []string{"b@example.test"}, Subject: "Hi", Received: now, Size: 10}
	sink.mu.Unlock()
	addSinkMessage(t, st, 9, 2)
	sink.msgs["11"] = MessageDetail{ID: "11", From: "a@shop.test", To: []string{"b@example.test"}, Subject: "Open", Received: now, Size: 10}
	addSinkMessage(t, st, 11, 2105) // its session has not ended

	t.Run("an ended session is final", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/#/sink/sessions/2"))
		b.waitFor(t, "the session", `document.getElementById("session-end")`)
		b.waitFor(t, "final", status+` === "final"`)
	})

	t.Run("an open session follows the stream until it ends", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/#/sink/sessions/3"))
		b.waitFor(t, "the open session", `(document.getElementById("session-end") || {}).textContent === "not ended: still open, or the sink stopped before it ended"`)
		b.waitFor(t, "live", status+` === "live"`)
		sink.mu.Lock()
		sink.sessions[len(later)].End = now // session 3
		sink.mu.Unlock()
		appendEvents(t, st, events.Event{Kind: events.SinkSession, Listener: "mx"}.WithPayload(map[string]any{"id": 3}))
		b.waitFor(t, "the end shown", `!document.getElementById("session-end").textContent.includes("not ended")`)
		b.waitFor(t, "final", status+` === "final"`)
	})

	t.Run("a received message is final and links to its session", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/#/sink/messages/9"))
		b.waitFor(t, "the message", `(document.getElementById("msg-subject") || {}).textContent === "Hi"`)
		b.waitFor(t, "the session link", `document.querySelector('#msg-session a[href="#/sink/sessions/2"]')`)
		if txt := b.eval(t, `document.getElementById("msg-session").textContent`).(string); !strings.Contains(txt, "250 2.0.0 ok (at data)") {
			t.Errorf("the session line %q lacks the session's last reply", txt)
		}
		if got := b.eval(t, status).(string); got != "final" {
			t.Errorf("pill %q, want final", got)
		}
	})

	t.Run("a message whose session is still open links to it all the same", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/#/sink/messages/11"))
		b.waitFor(t, "the session link", `document.querySelector('#msg-session a[href="#/sink/sessions/2105"]')`)
		if txt := b.eval(t, `document.getElementById("msg-session").textContent`).(string); !strings.Contains(txt, "not recorded yet") {
			t.Errorf("the session line %q does not say the session is not recorded yet", txt)
		}
	})

	t.Run("the rules page follows the rules and says where they last", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/#/rules"))
		b.waitFor(t, "the rules", `document.getElementById("rules-text").value.includes("defer.test")`)
		b.waitFor(t, "live", status+` === "live"`)
		scope := b.eval(t, `document.getElementById("rules-scope").textContent`).(string)
		for _, want := range []string{"does not write the configuration file", "next SIGHUP or restart replaces these rules"} {
			if !strings.Contains(scope, want) {
				t.Errorf("the page says %q, lacks %q", scope, want)
			}
		}
		// Unedited, the text follows a change made elsewhere.
		sink.mu.Lock()
		sink.rules = SinkRules{YAML: "rules: []  # from the file\n"}
		sink.mu.Unlock()
		appendEvents(t, st, events.Event{Kind: events.SinkRules}.WithPayload(map[string]any{"by": "Reload"}))
		b.waitFor(t, "the new rules", `document.getElementById("rules-text").value.includes("from the file")`)
		// Edited, it stays, and the page says the rules changed.
		b.eval(t, `(() => { document.getElementById("rules-text").value += "# mine\n"; return true; })()`)
		appendEvents(t, st, events.Event{Kind: events.SinkRules}.WithPayload(map[string]any{"by": "Reload"}))
		b.waitFor(t, "the note", `!document.getElementById("rules-changed").hidden && document.getElementById("rules-changed").textContent.includes("A SIGHUP reloaded the rules")`)
		if v := b.eval(t, `document.getElementById("rules-text").value`).(string); !strings.Contains(v, "# mine") {
			t.Errorf("the edit was replaced: %q", v)
		}
	})
}
