package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserS18FNProbeHistoryKeyboard: a probe result's history opens
// from the keyboard. Each row's target is a button that Tab reaches and
// Enter or Space presses, named for what it does; the history's heading
// then has the focus; and the hint says how to pick a result.
func TestBrowserS18FNProbeHistoryKeyboard(t *testing.T) {
	b := newBrowser(t)
	now := time.Now()
	probe := &fakeProbe{}
	probe.add(ProbeResult{Target: "shop.test", Check: "spf", Status: "ok", Detail: "v=spf1 -all", Time: now.Add(-time.Minute)})
	probe.add(ProbeResult{Target: "mail.shop.test", Check: "mx", Status: "warning", Detail: "one MX host", Time: now})
	s := listen(t, Options{Probe: probe})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/probes"))
	b.waitFor(t, "the results", `document.querySelectorAll("#probe-rows tr").length === 2`)

	hint := b.eval(t, `document.getElementById("probe-history-hint")?.textContent ?? ""`).(string)
	for _, want := range []string{"click its row", "its target", "Enter"} {
		if !strings.Contains(hint, want) {
			t.Errorf("the history's hint %q does not say %q", hint, want)
		}
	}

	// Tab from the top of the page reaches the first row's target.
	button := `document.querySelector('#probe-rows tr[data-id="shop.test"] td.target button')`
	b.eval(t, `document.activeElement.blur()`)
	reached := false
	for range 40 {
		b.do(t, chromedp.KeyEvent(kb.Tab))
		if b.eval(t, `document.activeElement === `+button) == true {
			reached = true
			break
		}
	}
	if !reached {
		t.Fatalf("40 Tabs never reached the target of shop.test's row; the focus is on %v", b.eval(t, `document.activeElement.outerHTML.slice(0, 120)`))
	}
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "the history after Enter", `document.querySelector("#probe-history h2")?.textContent === "History of shop.test"`)
	b.waitFor(t, "the focus on the history", `document.activeElement === document.querySelector("#probe-history h2")`)

	// Space on the other row's target opens its history.
	b.eval(t, `document.querySelector('#probe-rows tr[data-id="mail.shop.test"] td.target button').focus()`)
	b.do(t, chromedp.KeyEvent(" "))
	b.waitFor(t, "the history after Space", `document.querySelector("#probe-history h2")?.textContent === "History of mail.shop.test"`)

	// A screen reader hears each target as a button that shows its
	// history, its visible text first.
	res, err := chromedp.Call(b.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatalf("accessibility tree: %v", err)
	}
	names := map[string]bool{}
	for _, n := range res.Nodes {
		if n.Ignored || n.Role == nil || n.Name == nil || strings.Trim(string(n.Role.Value), `"`) != "button" {
			continue
		}
		names[strings.Trim(string(n.Name.Value), `"`)] = true
	}
	for _, want := range []string{"shop.test: show its history", "mail.shop.test: show its history"} {
		if !names[want] {
			t.Errorf("no button named %q; the buttons: %v", want, names)
		}
	}
	// A click on the row, outside its button, still opens the history.
	b.eval(t, `document.querySelector('#probe-rows tr[data-id="shop.test"] td.checked').click()`)
	b.waitFor(t, "the history after a click", `document.querySelector("#probe-history h2")?.textContent === "History of shop.test"`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserS18FNEmptyStates: on a fresh store the Sink sessions list,
// the Queue and the Suppression list each say what they would show and
// how to fill them, as the Inbox does, and the Sink's says so only while
// it is empty.
func TestBrowserS18FNEmptyStates(t *testing.T) {
	b, st, relay, sink, base := browserUI(t)
	shownText := func(id string) string {
		t.Helper()
		return b.eval(t, `(() => { const e = document.getElementById("`+id+`"); return e && !e.hidden && e.getBoundingClientRect().height > 0 ? e.textContent : ""; })()`).(string)
	}

	b.do(t, chromedp.Navigate(base+"/#/sink"))
	b.waitFor(t, "the sink's empty state", `document.getElementById("sink-empty") && !document.getElementById("sink-empty").hidden`)
	got := shownText("sink-empty")
	for _, want := range []string{"No session yet", "swaks --server 127.0.0.1:2525 --to someone@example.test", "sink.listeners"} {
		if !strings.Contains(got, want) {
			t.Errorf("the sink's empty state lacks %q:\n%s", want, got)
		}
	}
	if note := b.eval(t, `document.getElementById("session-note").textContent`); note != "" {
		t.Errorf("beside the empty state the note says %q, want nothing", note)
	}
	// A first session: the list shows it, and the empty state goes.
	b.waitFor(t, "the stream", `document.getElementById("status").textContent === "live"`)
	sink.mu.Lock()
	sink.sessions = []SinkSession{{ID: "1", Listener: "mx", Client: "127.0.0.1:40000", HELO: "client.test", Start: time.Now(), End: time.Now(), LastReply: "221 2.0.0 Bye"}}
	sink.mu.Unlock()
	appendEvents(t, st, events.Event{Kind: events.SinkSession, Listener: "mx"}.WithPayload(map[string]any{"id": 1}))
	b.waitFor(t, "the first session", `document.querySelector('#session-rows tr[data-id="1"]')`)
	if got := shownText("sink-empty"); got != "" {
		t.Errorf("with a session listed, the empty state still says %q", got)
	}

	b.do(t, chromedp.Navigate(base+"/#/queue"))
	b.waitFor(t, "the queue's empty state", `document.getElementById("queue-empty") && !document.getElementById("queue-empty").hidden`)
	got = shownText("queue-empty")
	for _, want := range []string{"Mail submitted to the relay waits here", "deferred", "swaks --server 127.0.0.1:2587", "relay.listen"} {
		if !strings.Contains(got, want) {
			t.Errorf("the queue's empty state lacks %q:\n%s", want, got)
		}
	}
	b.waitFor(t, "the suppressions' empty state", `document.getElementById("suppression-empty") && !document.getElementById("suppression-empty").hidden`)
	got = shownText("suppression-empty")
	for _, want := range []string{"No address is suppressed", "550 5.1.1", "relay.suppression.soft_bounces", "relay.suppression.disabled", "relaylab suppress add"} {
		if !strings.Contains(got, want) {
			t.Errorf("the suppression list's empty state lacks %q:\n%s", want, got)
		}
	}
	// The next poll finds mail waiting and an address suppressed.
	relay.mu.Lock()
	relay.queue = []QueueEntry{{ID: "q-1", From: "app@shop.test", Recipients: []string{"a@example.test"}, Queued: time.Now(), NextAttempt: time.Now().Add(time.Minute), Attempts: 1, LastReply: "451 4.7.1 greylisted"}}
	relay.sup = []Suppression{{Address: "gone@example.test", Reason: "550 5.1.1 no such user", Since: time.Now()}}
	relay.mu.Unlock()
	b.waitFor(t, "the poll", `document.querySelector('#queue-table tr[data-id="q-1"]') && document.querySelector("#suppression-rows tr")`)
	for _, id := range []string{"queue-empty", "suppression-empty"} {
		if got := shownText(id); got != "" {
			t.Errorf("with rows in its list, #%s still says %q", id, got)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserS18FNRefusedHelo: a session whose EHLO the sink refused has
// no HELO in the API (it keeps the name accepted); its page says what the
// client sent and the reply that refused it, as text, from the
// transcript, and says "none accepted" when the transcript has no EHLO.
func TestBrowserS18FNRefusedHelo(t *testing.T) {
	b, _, _, sink, base := browserUI(t)
	refusal := `501 5.5.2 Syntax error in the EHLO argument: "evil<script>.test" is neither a domain name nor an address literal`
	start := time.Now().Add(-time.Minute)
	session := func(id, helo string, lines ...Line) SinkSession {
		return SinkSession{ID: id, Listener: "mx", Client: "127.0.0.1:40000", HELO: helo, Start: start, End: start.Add(time.Second), Transcript: lines}
	}
	sink.mu.Lock()
	sink.sessions = []SinkSession{
		session("1", "", Line{Dir: "s", Text: "220 sink.relaylab.test ESMTP"}, Line{Dir: "c", Text: "EHLO evil<script>.test"},
			Line{Dir: "s", Text: refusal}, Line{Dir: "c", Text: "QUIT"}, Line{Dir: "s", Text: "221 2.0.0 Bye"}),
		// Pipelined: both commands before the first reply.
		session("2", "", Line{Dir: "s", Text: "220 sink.relaylab.test ESMTP"}, Line{Dir: "c", Text: "HELO <img src=x onerror=alert(1)>"}, Line{Dir: "c", Text: "QUIT"},
			Line{Dir: "s", Text: "501 5.5.2 bad name"}, Line{Dir: "s", Text: "221 2.0.0 Bye"}),
		session("3", "", Line{Dir: "s", Text: "220 sink.relaylab.test ESMTP"}, Line{Dir: "c", Text: "QUIT"}, Line{Dir: "s", Text: "221 2.0.0 Bye"}),
		session("4", "client.test", Line{Dir: "s", Text: "220 sink.relaylab.test ESMTP"}, Line{Dir: "c", Text: "EHLO client.test"},
			Line{Dir: "s", Text: "250-sink.relaylab.test"}, Line{Dir: "s", Text: "250 8BITMIME"}),
	}
	sink.mu.Unlock()
	for _, c := range []struct{ id, want string }{
		{"1", "evil<script>.test (refused: " + refusal + ")"},
		{"2", "<img src=x onerror=alert(1)> (refused: 501 5.5.2 bad name)"},
		{"3", "none accepted (see the transcript)"},
		{"4", "client.test"},
	} {
		b.do(t, chromedp.Navigate(base+"/#/sink/sessions/"+c.id))
		helo := `[...document.querySelectorAll("#main dl.kv dt")].find((dt) => dt.textContent === "HELO")?.nextElementSibling`
		b.waitFor(t, "session "+c.id, `document.querySelector("#main h1")?.textContent === "Session `+c.id+`" && `+helo)
		if got := b.eval(t, helo+`.textContent`); got != c.want {
			t.Errorf("session %s: HELO shows %q, want %q", c.id, got, c.want)
		}
	}
	if n := b.eval(t, `document.querySelectorAll("#main script, #main img").length`); n != float64(0) {
		t.Errorf("a client's name made %v elements in the page", n)
	}
	if n := b.dialogs.Load(); n != 0 {
		t.Errorf("%d dialogs opened: a client's name ran", n)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
