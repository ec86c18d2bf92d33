package web

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/textsafe"
)

// bidiRaw is a message whose subject (an encoded-word: U+202E, then
// "gnp.exe") and text part carry a right-to-left override, which shows
// "gnp.exe" as "exe.png" and turns the rest of the line around with it.
const bidiRaw = "From: a\u202emoc.elgoog@shop.test\r\nTo: user@example.test\r\n" +
	"Subject: =?UTF-8?B?4oCuZ25wLmV4ZQ==?= invoice <script>alert('subj')</script>\r\n" +
	"X-Note: see \u2067attached\u2069 file\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n\r\nuser\u202egnp.exe is attached\r\nsecond line\r\n"

// bidiControl matches the characters the UI must not leave in its text.
const bidiControl = `/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/`

// TestBrowserBidi: a direction control (U+202E and the rest of UAX #9's
// explicit formatting characters) in a message's or a peer's text is
// shown as a marked token, never applied, on the message pages, in the
// timeline, the feed and the sink's sessions; each value from a message
// or a peer is isolated (bdi), the text body takes its direction per
// paragraph, and a message page says it holds such controls. The UI's
// set of controls is internal/textsafe's, which escapes them on a
// terminal.
func TestBrowserBidi(t *testing.T) {
	b, st, relay, sink, base := browserUI(t)
	now := time.Now().UTC()

	d := DecodeMessage([]byte(bidiRaw))
	if !strings.HasPrefix(d.Subject, "\u202egnp.exe invoice") {
		t.Fatalf("decoded subject %q, want it to start with U+202E and gnp.exe", d.Subject)
	}
	d.ID, d.From, d.To, d.Received, d.Size = "bidi-1", "a\u202emoc.elgoog@shop.test", []string{"user@example.test"}, now, int64(len(bidiRaw))
	relay.mu.Lock()
	relay.msgs["bidi-1"] = d
	relay.mu.Unlock()
	d.ID = "31"
	sink.mu.Lock()
	sink.msgs["31"] = d
	sink.sessions = []SinkSession{{ID: "9", Listener: "mx", Client: "127.0.0.1:4009", HELO: "mx\u202eevil.test", Start: now, End: now,
		Messages: []string{"31"}, LastReply: "250 2.0.0 ok \u2066queued\u2069 (at data-end)"}}
	sink.mu.Unlock()
	addSinkMessage(t, st, 31, 9)
	appendEvents(t, st,
		events.Event{Kind: events.RelayQueued, Time: now, Message: "bidi-1", Recipient: "user@example.test"}.
			WithPayload(map[string]any{"sender": "a\u202emoc.elgoog@shop.test", "subject": d.Subject}),
		events.Event{Kind: events.RelayAttempt, Time: now, Message: "bidi-1", Recipient: "user@example.test"}.
			WithPayload(map[string]any{"host": "mx.example.test", "reply": map[string]any{"code": 451, "text": "try \u202blater\u202c please"}}),
		events.Event{Kind: events.SinkSession, Listener: "mx"}.WithPayload(map[string]any{"id": 9, "helo": "mx\u202eevil.test"}),
	)

	// noControls: the page's text holds no control, and shows at least one
	// as a token.
	noControls := func(where string) {
		t.Helper()
		if b.eval(t, bidiControl+`.test(document.getElementById("main").textContent)`) != false {
			t.Errorf("%s: a direction control is in the page's text, applied rather than shown", where)
		}
		if n := b.eval(t, `document.querySelectorAll("#main .bidi-ctl").length`).(float64); n == 0 {
			t.Errorf("%s: no direction control shown as a token", where)
		}
	}
	isolated := func(where, sel, text string) {
		t.Helper()
		js := fmt.Sprintf(`[...document.querySelectorAll(%q)].some(el => el.textContent.includes(%q) && getComputedStyle(el).unicodeBidi === "isolate")`, sel, text)
		if b.eval(t, js) != true {
			t.Errorf("%s: no element %s isolates %q", where, sel, text)
		}
	}
	messagePage := func(where string) {
		t.Helper()
		got := b.eval(t, `document.getElementById("msg-subject").textContent`).(string)
		if want := "⟨U+202E⟩gnp.exe invoice <script>alert('subj')</script>"; got != want {
			t.Errorf("%s: subject %q, want %q", where, got, want)
		}
		isolated(where, "#msg-subject bdi", "gnp.exe invoice")
		isolated(where, "#msg-detail bdi, #main .kv bdi", "moc.elgoog@shop.test")
		if got := b.eval(t, `(() => { const p = document.querySelector("pre.body-text"); return p.textContent + " | " + getComputedStyle(p).unicodeBidi; })()`).(string); got != "user⟨U+202E⟩gnp.exe is attached\r\nsecond line\r\n | plaintext" {
			t.Errorf("%s: text body %q, want the token in place and unicode-bidi plaintext", where, got)
		}
		note := b.eval(t, `(() => { const n = document.getElementById("msg-bidi"); return n && !n.hidden ? n.textContent : ""; })()`).(string)
		for _, w := range []string{"direction control", "U+202E", "U+2067", "phishing", "disguise"} {
			if !strings.Contains(note, w) {
				t.Errorf("%s: the note %q lacks %q", where, note, w)
			}
		}
		noControls(where)
	}

	b.do(t, chromedp.Navigate(base+"/#/messages/bidi-1"))
	b.waitFor(t, "the message", `document.getElementById("msg-subject") && document.querySelector('#timeline li[data-kind="relay.attempt"]')`)
	messagePage("the relay's message")
	isolated("the timeline's queued line", `#timeline li[data-kind="relay.queued"] .what bdi`, "gnp.exe invoice")
	isolated("the timeline's attempt", `#timeline li[data-kind="relay.attempt"] .what bdi`, "later")
	b.screenshot(t, "bidi-message")

	b.do(t, chromedp.Navigate(base+"/#/sink/messages/31"))
	b.waitFor(t, "the sink's copy", `document.getElementById("msg-subject") && document.querySelector('#msg-session a')`)
	messagePage("the sink's copy")

	b.do(t, chromedp.Navigate(base+"/#/feed"))
	b.waitFor(t, "the feed", `[...document.querySelectorAll("#feed-rows tr")].some(tr => tr.textContent.includes("gnp.exe"))`)
	noControls("the feed")
	isolated("the feed's queued row", "#feed-rows bdi", "gnp.exe invoice")
	isolated("the feed's session row", "#feed-rows bdi", "evil.test")

	b.do(t, chromedp.Navigate(base+"/#/sink"))
	b.waitFor(t, "the sessions", `document.querySelector("#session-rows tr")`)
	noControls("the sink's sessions")
	isolated("the session's HELO", "#session-rows bdi", "evil.test")

	b.do(t, chromedp.Navigate(base+"/#/messages"))
	b.waitFor(t, "the list", `document.querySelector("#messages-rows tr")`)
	noControls("the message list")
	isolated("the list's subject", "#messages-rows bdi", "gnp.exe invoice")

	// The UI marks exactly the characters internal/textsafe escapes on a
	// terminal, other than the C0 and C1 controls.
	var want []int
	for r := rune(0xa0); r <= 0xffff; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		if textsafe.IsBidiControl(r) {
			want = append(want, int(r))
		}
	}
	b.eval(t, `(() => { import("/dom.js").then(m => { const out = []; for (let c = 0xa0; c <= 0xffff; c++) { if (c >= 0xd800 && c <= 0xdfff) continue; if (m.isBidiControl(String.fromCharCode(c))) out.push(c); } window.marked = JSON.stringify(out); }); return true; })()`)
	b.waitFor(t, "the UI's set", `typeof window.marked === "string"`)
	wj, _ := json.Marshal(want)
	if got := b.eval(t, `window.marked`).(string); got != string(wj) {
		t.Errorf("the UI marks %s, internal/textsafe escapes %s", got, wj)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}

// TestBrowserBidiHTMLBody: a direction control in a message's HTML part,
// written as a character or as a character reference, is shown in the
// body's sandboxed frame as the marked token the rest of the page shows,
// not applied: "Hostile HTML \u202egnp.exe" does not read "Hostile HTML
// exe.png". The message page's note names it, though the HTML is the only
// place that holds one.
func TestBrowserBidiHTMLBody(t *testing.T) {
	b, st, _, sink, base := browserUI(t)
	sink.mu.Lock()
	sink.msgs["32"] = MessageDetail{ID: "32", From: "a@shop.test", To: []string{"user@example.test"}, Subject: "html only",
		HTML: "<h1>Hostile HTML \u202egnp.exe</h1><p>Invoice &#x202E;fdp.exe &rlm;</p><img alt=\"&#8238;txt.exe\" src=\"x\">"}
	sink.mu.Unlock()
	addSinkMessage(t, st, 32, 9)

	b.do(t, chromedp.Navigate(base+"/#/sink/messages/32"))
	b.waitFor(t, "the message", `document.querySelector("iframe.body")`)
	note := b.eval(t, `(() => { const n = document.getElementById("msg-bidi"); return n && !n.hidden ? n.textContent : ""; })()`).(string)
	for _, w := range []string{"U+202E", "U+200F"} {
		if !strings.Contains(note, w) {
			t.Errorf("the page's note %q lacks %s, held only by the HTML body", note, w)
		}
	}
	b.do(t, chromedp.Navigate(base+"/api/v1/sink/messages/32/body.html"))
	b.waitFor(t, "the body alone", `document.readyState === "complete" && document.querySelector("h1")`)
	text := b.eval(t, `document.body.innerText + " | " + document.querySelector("img").alt`).(string)
	if b.eval(t, bidiControl+`.test(document.body.innerText + document.querySelector("img").alt)`) != false {
		t.Errorf("the body's text %q holds a direction control: applied, not shown", text)
	}
	for _, w := range []string{"Hostile HTML ⟨U+202E⟩gnp.exe", "Invoice ⟨U+202E⟩fdp.exe ⟨U+200F⟩", "| ⟨U+202E⟩txt.exe"} {
		if !strings.Contains(text, w) {
			t.Errorf("the body's text %q lacks %q", text, w)
		}
	}
}
