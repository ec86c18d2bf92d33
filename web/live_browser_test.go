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

// requestCounter counts the requests to each path.
type requestCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *requestCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.n[r.URL.Path]++
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (c *requestCounter) get(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

// TestBrowserLive: the pages that show the log follow it (the messages,
// the sink's sessions, a burst in the feed), the status pill tells the
// truth on every page, a relayed message shows what the sink received of
// it, and a timeline too long for one answer says so.
func TestBrowserLive(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	relay, sink := newFakeRelay(), newFakeSink()
	s, err := New(Options{Store: st, Relay: relay, Sink: sink, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	reqs := &requestCounter{n: map[string]int{}}
	hs := httptest.NewServer(reqs.wrap(s.Handler()))
	defer func() { cancel(); <-done; hs.Close() }()
	base := hs.URL
	status := `document.getElementById("status").textContent`

	t.Run("the status pill says what is true", func(t *testing.T) {
		for _, pg := range []struct{ frag, want string }{
			{"queue", "live"}, {"rules", "live"}, {"charts", "updates every 10 s"},
			{"probes", "live"}, {"messages", "live"}, {"sink", "live"}, {"feed", "live"},
		} {
			b.do(t, chromedp.Navigate(base+"/#/"+pg.frag))
			b.waitFor(t, pg.frag+"'s status "+pg.want, status+` === "`+pg.want+`"`)
		}
	})

	t.Run("the messages list follows the log", func(t *testing.T) {
		appendEvents(t, st, events.Event{Kind: events.RelayQueued, Message: "old-1", Recipient: "a@example.test"}.WithPayload(map[string]any{"sender": "app@shop.test"}))
		b.do(t, chromedp.Navigate(base+"/#/messages"))
		b.waitFor(t, "the list", `document.querySelector('#messages-rows tr[data-id="old-1"]')`)
		b.waitFor(t, "the stream", status+` === "live"`)
		lists := reqs.get("/api/v1/messages")
		appendEvents(t, st,
			events.Event{Kind: events.RelayQueued, Message: "new-1"}.WithPayload(map[string]any{"sender": "app@shop.test", "subject": "Hello", "to": []string{"b@example.test", "c@example.test"}}),
			events.Event{Kind: events.RelayDelivered, Message: "old-1", Recipient: "a@example.test"},
		)
		b.waitFor(t, "the new message on top", `document.querySelector("#messages-rows tr").dataset.id === "new-1"`)
		b.waitFor(t, "old-1 delivered", `document.querySelector('#messages-rows tr[data-id="old-1"] .badge').textContent === "delivered"`)
		appendEvents(t, st,
			events.Event{Kind: events.RelayBounced, Message: "new-1", Recipient: "c@example.test"},
			events.Event{Kind: events.RelayDeferred, Message: "old-1", Recipient: "a@example.test"}, // after a terminal state: changes nothing
		)
		b.waitFor(t, "c bounced", `document.querySelector('#messages-rows tr[data-id="new-1"]').innerText.includes("bounced c@example.test")`)
		row := b.eval(t, `[...document.querySelectorAll("#messages-rows tr")].map(tr => tr.innerText.replace(/\s+/g, " ").trim()).join(" | ")`).(string)
		for _, want := range []string{"new-1 app@shop.test Hello queued b@example.test bounced c@example.test", "old-1 app@shop.test (no subject) delivered a@example.test"} {
			if !strings.Contains(row, want) {
				t.Errorf("rows %q do not show %q", row, want)
			}
		}
		// An asynchronous bounce after the delivery: the latest terminal
		// event wins, as in the list the server builds.
		appendEvents(t, st, events.Event{Kind: events.RelayBounced, Message: "old-1", Recipient: "a@example.test"}.WithPayload(map[string]any{"async": true}))
		b.waitFor(t, "old-1 bounced after its delivery", `document.querySelector('#messages-rows tr[data-id="old-1"] .badge').textContent === "bounced"`)
		// A DSN's sender is the null reverse-path: shown as <>, not as nothing.
		appendEvents(t, st, events.Event{Kind: events.RelayQueued, Message: "dsn-1"}.WithPayload(map[string]any{"sender": "", "to": []string{"app@shop.test"}}))
		b.waitFor(t, "the DSN's sender", `(document.querySelector('#messages-rows tr[data-id="dsn-1"] td:nth-child(3)') || {}).textContent === "<>"`)
		if n := reqs.get("/api/v1/messages"); n != lists {
			t.Errorf("the list was read %d more times, want updates from the stream alone", n-lists)
		}
	})

	t.Run("the sink sessions list follows the log", func(t *testing.T) {
		now := time.Now().UTC()
		sink.mu.Lock()
		sink.sessions = []SinkSession{{ID: "1", Listener: "mx", Client: "127.0.0.1:4000", Start: now, LastReply: "250 2.0.0 ok (at data)"}}
		sink.mu.Unlock()
		b.do(t, chromedp.Navigate(base+"/#/sink"))
		b.waitFor(t, "the list", `document.querySelector('#session-rows tr[data-id="1"]')`)
		b.waitFor(t, "the stream", status+` === "live"`)
		lists := reqs.get("/api/v1/sink/sessions")
		sink.mu.Lock()
		sink.sessions = append([]SinkSession{
			{ID: "3", Listener: "mx", Client: "127.0.0.1:4002", Start: now, LastReply: "452 4.2.2 mailbox full (at rcpt)"},
			{ID: "2", Listener: "mx", Client: "127.0.0.1:4001", Start: now, Messages: []string{"9"}, LastReply: "250 2.0.0 ok (at data)"},
		}, sink.sessions...)
		sink.mu.Unlock()
		appendEvents(t, st,
			events.Event{Kind: events.SinkSession, Listener: "mx"}.WithPayload(map[string]any{"id": 3}),
			events.Event{Kind: events.SinkSession, Listener: "mx"}.WithPayload(map[string]any{"id": 2}))
		b.waitFor(t, "the new sessions", `document.querySelectorAll("#session-rows tr").length === 3`)
		order := b.eval(t, `[...document.querySelectorAll("#session-rows tr")].map(tr => tr.dataset.id).join(" ")`)
		if order != "3 2 1" {
			t.Errorf("sessions %v, want 3 2 1 (newest first)", order)
		}
		if txt := b.eval(t, `document.querySelector('#session-rows tr[data-id="3"]').textContent`).(string); !strings.Contains(txt, "452 4.2.2 mailbox full") {
			t.Errorf("session 3's row %q lacks its last reply", txt)
		}
		if n := reqs.get("/api/v1/sink/sessions"); n-lists > 2 {
			t.Errorf("%d requests for 2 new sessions in one commit, want one (two at most, if they came in two frames)", n-lists)
		}

		// A session listed while still open (its message stored, no end
		// yet) is redrawn when its sink.session event says it ended.
		sink.mu.Lock()
		for i := range sink.sessions {
			sink.sessions[i].End = now
		}
		sink.sessions = append([]SinkSession{{ID: "4", Listener: "mx", Client: "127.0.0.1:4003", Start: now, Messages: []string{"10"}}}, sink.sessions...)
		sink.mu.Unlock()
		b.do(t, chromedp.Navigate(base+"/#/feed"), chromedp.Navigate(base+"/#/sink"))
		b.waitFor(t, "the open session", `document.querySelector('#session-rows tr[data-id="4"].open')`)
		b.waitFor(t, "the stream", status+` === "live"`)
		sink.mu.Lock()
		sink.sessions[0].End, sink.sessions[0].LastReply = now, "221 2.0.0 Bye (at quit)"
		sink.mu.Unlock()
		appendEvents(t, st, events.Event{Kind: events.SinkSession, Listener: "mx"}.WithPayload(map[string]any{"id": 4}))
		b.waitFor(t, "the ended session's row", `(() => { const tr = document.querySelector('#session-rows tr[data-id="4"]'); return tr && !tr.classList.contains("open") && tr.textContent.includes("221 2.0.0 Bye"); })()`)
		if n := b.eval(t, `document.querySelectorAll('#session-rows tr[data-id="4"]').length`).(float64); n != 1 {
			t.Errorf("session 4 has %v rows, want 1", n)
		}
	})

	t.Run("a burst renders once per frame, only the rows kept", func(t *testing.T) {
		appendEvents(t, st, events.Event{Kind: events.RelayDelivered, Message: "before-burst", Recipient: "x@example.test"})
		b.do(t, chromedp.Navigate(base+"/#/feed"))
		b.waitFor(t, "the stream", status+` === "live"`)
		b.waitFor(t, "the backlog", `document.querySelectorAll("#feed-rows tr").length > 0`)
		b.eval(t, `(() => {
			window.burst = { records: 0, added: 0, most: 0 };
			new MutationObserver((rs) => { for (const r of rs) { const n = r.addedNodes.length; if (!n) continue;
				window.burst.records++; window.burst.first = window.burst.first || Date.now(); window.burst.last = Date.now(); window.burst.added += n; window.burst.most = Math.max(window.burst.most, n); } })
				.observe(document.getElementById("feed-rows"), { childList: true });
			return true; })()`)
		const n = 20000
		evs := make([]events.Event, n)
		for i := range evs {
			evs[i] = events.Event{Kind: events.RelayDelivered, Message: fmt.Sprintf("burst-%05d", i), Recipient: "x@example.test"}
		}
		t0 := time.Now().UnixMilli()
		appendEvents(t, st, evs...)
		t1 := time.Now().UnixMilli()
		took := b.waitFor(t, "the burst's last event on top", `document.querySelector("#feed-rows tr").textContent.includes("burst-19999")`)
		t.Logf("the burst's last event showed %v after its commit", took)
		t.Logf("commit took %d ms; first insertion %v ms after the commit, last %v ms", t1-t0, b.eval(t, "window.burst.first").(float64)-float64(t1), b.eval(t, "window.burst.last").(float64)-float64(t1))
		got := b.eval(t, `[window.burst.records, window.burst.added, window.burst.most, document.querySelectorAll("#feed-rows tr").length]`).([]any)
		records, added, most, rows := got[0].(float64), got[1].(float64), got[2].(float64), got[3].(float64)
		t.Logf("20000 events: %v insertions of %v rows in all, at most %v at once; %v rows kept", records, added, most, rows)
		// The stream sends a commit in frames of up to 1000 events: 20 of
		// them. One insertion per animation frame is at most one per
		// websocket frame; a row per event would be 20000.
		if records > 40 || most > maxFeedRows || rows != maxFeedRows {
			t.Errorf("%v insertions (at most %v rows each), %v rows kept; want at most 40 insertions of at most %d rows, and %d rows", records, most, rows, maxFeedRows, maxFeedRows)
		}
	})

	t.Run("a relayed message shows what the sink received", func(t *testing.T) {
		now := time.Now().UTC()
		at := func(ms int) time.Time { return now.Add(time.Duration(ms) * time.Millisecond) }
		relay.mu.Lock()
		relay.msgs["dup-1"] = MessageDetail{ID: "dup-1", From: "app@shop.test", To: []string{"bob@example.test"}, Subject: "Twice", Received: now,
			Headers: []Header{{"Message-Id", "<dup-1@shop.test>"}}}
		relay.mu.Unlock()
		evs := appendEvents(t, st,
			events.Event{Kind: events.RelayQueued, Time: now, Message: "dup-1", Recipient: "bob@example.test"}.WithPayload(map[string]any{"sender": "app@shop.test"}),
			events.Event{Kind: events.RelayAttempt, Time: at(1000), Message: "dup-1", Recipient: "bob@example.test"}.
				WithPayload(map[string]any{"reply": map[string]any{"text": "connection closed after the dot"}, "transcript": "C: .\r\n"}),
			events.Event{Kind: events.RelayDeferred, Time: at(1000), Message: "dup-1", Recipient: "bob@example.test"}.
				WithPayload(map[string]any{"reply": map[string]any{"text": "connection closed after the dot"}}),
			events.Event{Kind: events.RelayAttempt, Time: at(2000), Message: "dup-1", Recipient: "bob@example.test"}.
				WithPayload(map[string]any{"reply": map[string]any{"code": 250, "text": "ok"}}),
			events.Event{Kind: events.RelayDelivered, Time: at(2000), Message: "dup-1", Recipient: "bob@example.test"}.
				WithPayload(map[string]any{"reply": map[string]any{"code": 250, "text": "ok"}}),
		)
		sink.mu.Lock()
		sink.received = Received{
			Copies: []SinkCopy{
				{ID: "7", Session: "40", Time: at(900), To: []string{"bob@example.test"}, Reply: "no reply: connection dropped after the dot"},
				{ID: "8", Session: "41", Time: at(1900), To: []string{"bob@example.test"}, Code: 250, Reply: "250 2.0.0 ok"},
			},
			Attempts: []ReceivedAttempt{
				{SinkAttempt: SinkAttempt{Time: at(900), Recipient: "bob@example.test", Stage: "data", Text: "connection dropped after the dot"}, Session: "40", Copy: "7"},
				{SinkAttempt: SinkAttempt{Time: at(1900), Recipient: "bob@example.test", Stage: "data", Code: 250, Enhanced: "2.0.0", Text: "ok"}, Session: "41", Copy: "8"},
			},
		}
		sink.mu.Unlock()
		b.do(t, chromedp.Navigate(base+"/#/messages/dup-1"))
		b.waitFor(t, "the copies", `document.querySelectorAll("#received-copies tbody tr").length === 2`)
		dup := b.eval(t, `[...document.querySelectorAll("#received-copies tbody tr")].map(tr => tr.classList.contains("dup") + ":" + tr.innerText.replace(/\s+/g, " ").trim())`).([]any)
		if !strings.HasPrefix(dup[0].(string), "false:copy 1") || !strings.HasPrefix(dup[1].(string), "true:copy 2 duplicate") || !strings.Contains(dup[1].(string), "gave no reply to copy 1") {
			t.Errorf("copies %q: want copy 1, then copy 2 marked a duplicate of a copy that got no reply", dup)
		}
		if sum := b.eval(t, `document.getElementById("received-summary").textContent`).(string); !strings.Contains(sum, "1 duplicate") || !strings.Contains(sum, "<dup-1@shop.test>") {
			t.Errorf("summary %q: want the Message-ID and 1 duplicate", sum)
		}
		// Both ends of each attempt: under each relay attempt, the sink's
		// reply and its session's transcript.
		sides := b.eval(t, `[...document.querySelectorAll('#timeline li[data-kind="relay.attempt"]')].map(li => { const d = li.querySelector(".sink-side"); return d ? d.textContent + " -> " + d.querySelector("a").getAttribute("href") : ""; })`).([]any)
		want := []string{"no reply at data (connection dropped after the dot) · transcript of session 40 as received · the copy it left -> #/sink/sessions/40",
			"250 2.0.0 ok (at data) · transcript of session 41 as received · the copy it left -> #/sink/sessions/41"}
		if len(sides) != 2 {
			t.Fatalf("relay attempts with the sink's side: %q, want 2\n%v", sides, b.eval(t, `document.getElementById("timeline").innerText`))
		}
		for i, w := range want {
			if !strings.HasSuffix(sides[i].(string), w) {
				t.Errorf("relay attempt %d (event %d): sink side %q, want %q", i+1, evs[1+2*i].ID, sides[i], w)
			}
		}
		b.screenshot(t, "message-received")
	})

	t.Run("a timeline too long for one answer says so", func(t *testing.T) {
		evs := make([]events.Event, maxTimeline+1)
		for i := range evs {
			evs[i] = events.Event{Kind: events.RelayAttempt, Message: "long-1", Recipient: "r@example.test"}.WithPayload(map[string]any{"attempt": i + 1})
		}
		appendEvents(t, st, evs...)
		b.do(t, chromedp.Navigate(base+"/#/messages/long-1"))
		b.waitFor(t, "the note", `document.getElementById("timeline-truncated")`)
		note := b.eval(t, `document.getElementById("timeline-truncated").textContent + " " + document.querySelector("#timeline-truncated a").getAttribute("href")`).(string)
		if !strings.Contains(note, "Only the first 5000 events") || !strings.Contains(note, "/api/v1/messages/long-1/timeline?after=") {
			t.Errorf("note %q: want the 5000 shown and where the rest is", note)
		}
	})

	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// maxFeedRows is MAX_ROWS in ui/feed.js: the rows the feed keeps.
const maxFeedRows = 500
