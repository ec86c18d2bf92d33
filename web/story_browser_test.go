package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserStory is a deliverability engineer's walk through the UI: the
// feed explains each outcome (on a phone too), a message page tells the
// whole story and keeps it readable while it grows, and one message is
// found among many by its recipient.
func TestBrowserStory(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	relay := newFakeRelay()
	relay.msgs["b-1"] = MessageDetail{ID: "b-1", From: "app@example.org", To: []string{"gone@example.com"}, Subject: "Welcome"}
	relay.queue = []QueueEntry{{ID: "q-1", From: "app@example.org", Recipients: []string{"slow@example.com"}, Attempts: 1}}
	timelines := &gate{}
	s, err := New(Options{Store: st, Relay: relay, Sink: newFakeSink(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	hs := httptest.NewServer(timelines.wrap(s.Handler(), "/api/v1/messages/b-1/timeline"))
	defer func() { cancel(); <-done; hs.Close() }()
	base := hs.URL

	t.Run("empty feed says why", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/#/feed"))
		b.waitFor(t, "the empty state", `document.getElementById("feed-empty") && document.getElementById("feed-empty").textContent.includes("No events yet")`)
	})

	appendEvents(t, st, bounceStory()...)
	var many []events.Event
	for i := range 230 {
		many = append(many, events.Event{Kind: events.RelayQueued, Message: fmt.Sprintf("p%03d", i), Recipient: fmt.Sprintf("u%d@example.com", i)}.
			WithPayload(map[string]any{"sender": "bulk@example.org"}))
	}
	appendEvents(t, st, many...)

	t.Run("the feed explains a bounce on a phone", func(t *testing.T) {
		b.do(t, chromedp.EmulateViewport(400, 900, chromedp.EmulateMobile), chromedp.Navigate(base+"/#/feed"))
		defer b.do(t, chromedp.ResetViewport())
		row := `[...document.querySelectorAll("#feed-rows tr")].find(tr => tr.dataset.group === "relay.bounced")`
		b.waitFor(t, "the bounce", row)
		got := b.eval(t, `(() => { const td = `+row+`.children[4]; return [td.innerText, getComputedStyle(td).display, td.offsetHeight > 0]; })()`).([]any)
		text, _ := got[0].(string)
		for _, want := range []string{"550 5.1.1 no such user", "invalid-recipient", "the mailbox does not exist", "What to do: remove the address from your list", "now on the suppression list"} {
			if !strings.Contains(text, want) {
				t.Errorf("the bounce's detail %q does not say %q", text, want)
			}
		}
		if got[1] == "none" || got[2] != true {
			t.Errorf("at 400px the detail is not shown (display %v, has height %v)", got[1], got[2])
		}
		if w := b.eval(t, `document.documentElement.scrollWidth <= window.innerWidth + 1`); w != true {
			t.Errorf("the phone feed scrolls sideways")
		}
		// The sink's events carry a Message-ID, no relay message id: their
		// link goes to what the sink received.
		href := b.eval(t, `[...document.querySelectorAll("#feed-rows tr")].find(tr => tr.dataset.group === "sink.").querySelector("a").getAttribute("href")`)
		if href != "#/sink/messages/7" {
			t.Errorf("the sink.message row links to %v, want #/sink/messages/7", href)
		}
	})

	t.Run("a message page tells the whole story and stays put", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/#/messages/b-1"))
		b.waitFor(t, "the DSN", `document.querySelector('#timeline li[data-kind="relay.dsn"]')`)
		b.waitFor(t, "the stream", `document.getElementById("status").textContent === "live"`)
		text := b.eval(t, `document.getElementById("timeline").innerText`).(string)
		for _, want := range []string{"the mailbox does not exist", "What to do: remove the address", "now on the suppression list", "DSN (failed) sent to <app@example.org>: 5.1.1 no such user"} {
			if !strings.Contains(text, want) {
				t.Errorf("the timeline does not say %q:\n%s", want, text)
			}
		}
		if href := b.eval(t, `document.querySelector(".dsn-link").getAttribute("href")`); href != "#/messages/dsn-1" {
			t.Errorf("the DSN links to %v, want #/messages/dsn-1", href)
		}
		// The user opens the transcript; the message goes on changing.
		b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("#timeline details summary").click()`))
		b.waitFor(t, "the open transcript", `document.querySelector("#timeline details[open]")`)
		timelines.hold()
		appendEvents(t, st, events.Event{Kind: events.RelayDSN, Message: "b-1", Recipient: "gone@example.com"}.WithPayload(map[string]any{"action": "failed", "to": "ops@example.org", "status": "5.1.1"}))
		timelines.waitBlocked(t)
		// More commits while the redraw waits, apart so that they reach the
		// page as separate frames: one more redraw covers them all. (Its
		// pass does not depend on the pauses; they make a page that
		// reloads per frame show itself.)
		for i := range 10 {
			appendEvents(t, st, events.Event{Kind: events.RelayAttempt, Message: "b-1", Recipient: "gone@example.com"}.WithPayload(map[string]any{"attempt": 2 + i}))
			time.Sleep(50 * time.Millisecond)
		}
		timelines.release()
		b.waitFor(t, "the last attempt", `[...document.querySelectorAll('#timeline li[data-kind="relay.attempt"]')].length === 11`)
		if open := b.eval(t, `document.querySelectorAll("#timeline details[open]").length`); open != float64(1) {
			t.Errorf("%v transcripts open after the redraw, want the one the user opened", open)
		}
		if n := timelines.requests(); n > 2 {
			t.Errorf("%d timeline requests for one burst of commits, want the held one and at most one more", n)
		}
	})

	t.Run("find a message among many", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/#/messages"))
		b.waitFor(t, "a first page", `document.querySelectorAll("#main tbody tr").length === 200`)
		b.do(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("older").click()`))
		b.waitFor(t, "the older page", `document.querySelectorAll("#main tbody tr").length === 231`)
		if h := b.eval(t, `document.getElementById("older").hidden`); h != true {
			t.Errorf("the Older button stays after the last page")
		}
		b.do(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("find-text").value = "gone@example.com"; document.getElementById("find").requestSubmit()`))
		b.waitFor(t, "the recipient's messages", `location.hash === "#/recipients/gone%40example.com" && document.querySelector('#timeline a[href="#/messages/b-1"]')`)
	})

	t.Run("a DSN in the queue shows its null sender", func(t *testing.T) {
		relay.mu.Lock()
		relay.queue = append(relay.queue, QueueEntry{ID: "dsn-q", Recipients: []string{"app@example.org"}, Attempts: 1})
		relay.mu.Unlock()
		defer func() {
			relay.mu.Lock()
			relay.queue = relay.queue[:len(relay.queue)-1]
			relay.mu.Unlock()
		}()
		b.do(t, chromedp.Navigate(base+"/#/queue"))
		b.waitFor(t, "the DSN's sender", `[...document.querySelectorAll('#queue-table td[data-label="from"]')].map((td) => td.textContent).join(" ") === "app@example.org <>"`)
	})

	t.Run("the queue on a phone", func(t *testing.T) {
		relay.mu.Lock()
		relay.queue[0].LastReply = "452 4.2.2 The mailbox is full, try again later (at rcpt)"
		relay.mu.Unlock()
		b.do(t, chromedp.EmulateViewport(400, 900, chromedp.EmulateMobile), chromedp.Navigate(base+"/#/queue"))
		defer b.do(t, chromedp.ResetViewport())
		b.waitFor(t, "the queue", `document.querySelector("#queue-table tbody tr .actions")`)
		// The reply and the buttons are on the screen, not behind a
		// sideways scroll.
		for _, sel := range []string{"#queue-table td.reply", "#queue-table .actions button.danger"} {
			if in := b.eval(t, `(() => { const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect(); return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth; })()`); in != true {
				t.Errorf("%s is not within the 400px screen", sel)
			}
		}
		if c := b.eval(t, `getComputedStyle(document.querySelector('#queue-table td[data-label="attempts"]'), "::before").content`); c != `"attempts: "` {
			t.Errorf("the queue card labels its attempts with %v, want \"attempts: \"", c)
		}
	})

	t.Run("the queue recovers from an error", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/#/queue"))
		b.waitFor(t, "the queue", `document.querySelector("#main tbody tr .actions")`)
		relay.mu.Lock()
		relay.queue = nil // delivered meanwhile: retrying it is a 404
		relay.mu.Unlock()
		b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("#main tbody tr .actions button").click()`))
		b.waitFor(t, "the error", `document.getElementById("queue-note").className === "error"`)
		b.waitFor(t, "the next poll", `document.getElementById("queue-note").className === "muted" && document.getElementById("queue-note").textContent.includes("empty")`)
	})

	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// bounceStory is one message's life: queued, refused, bounced with its
// explanation, a DSN sent, and the sink's side under its Message-ID.
func bounceStory() []events.Event {
	reply := map[string]any{"stage": "rcpt", "code": 550, "enhanced": "5.1.1", "text": "no such user"}
	return []events.Event{
		events.Event{Kind: events.RelayQueued, Message: "b-1", Recipient: "gone@example.com"}.WithPayload(map[string]any{"sender": "app@example.org", "subject": "Welcome"}),
		events.Event{Kind: events.RelayAttempt, Message: "b-1", Recipient: "gone@example.com"}.WithPayload(map[string]any{"reply": reply, "attempt": 1,
			"transcript": "+0ms S: 220 mx ESMTP\n+1ms C: RCPT TO:<gone@example.com>\n+2ms S: 550 5.1.1 no such user"}),
		events.Event{Kind: events.RelayBounced, Message: "b-1", Recipient: "gone@example.com"}.WithPayload(map[string]any{"reply": reply,
			"category": "invalid-recipient", "reason": "the mailbox does not exist", "advice": "remove the address from your list",
			"suppressed": true, "suppression_reason": "the address is now on the suppression list: a hard bounce"}),
		events.Event{Kind: events.RelayDSN, Message: "b-1", Recipient: "gone@example.com"}.WithPayload(map[string]any{"action": "failed", "to": "app@example.org", "status": "5.1.1", "dsn_message": "dsn-1"}),
		events.Event{Kind: events.SinkMessage, Message: "<abc@example.org>", Recipient: "ok@example.com", Listener: "mx"}.WithPayload(map[string]any{"id": 7, "session": 3, "from": "app@example.org"}),
	}
}

// gate holds the responses to one path while the test says so, and counts
// the requests for it since it was last held.
type gate struct {
	mu      sync.Mutex
	held    chan struct{}
	since   int // requests since hold
	blocked int
}

func (g *gate) wrap(next http.Handler, path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			next.ServeHTTP(w, r)
			return
		}
		g.mu.Lock()
		g.since++
		held := g.held
		if held != nil {
			g.blocked++
		}
		g.mu.Unlock()
		if held != nil {
			<-held
		}
		next.ServeHTTP(w, r)
	})
}

func (g *gate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.held, g.blocked, g.since = make(chan struct{}), 0, 0
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.held)
	g.held = nil
}

func (g *gate) waitBlocked(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		g.mu.Lock()
		n := g.blocked
		g.mu.Unlock()
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the page never asked for the timeline again")
		}
	}
}

func (g *gate) requests() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.since
}
