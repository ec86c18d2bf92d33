package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestBrowserSignInOut: the sign-in page POSTs the token, so it is in no
// address at any point; a wrong one says so; the right one opens the UI
// with a session the page's script cannot read (only the flag that says
// to show "Sign out"); /signout's button ends it, and so does a POST from
// the UI's own script (the header's control), after which the UI asks
// for the token again.
func TestBrowserSignInOut(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	s := listen(t, Options{Store: st, Auth: Auth{Token: "t0ken-0123456789"}})
	base := "http://" + s.Addr()

	b.do(t, chromedp.Navigate(base+"/#/feed"))
	b.waitFor(t, "the sign-in page", `document.getElementById("token")`)
	if m := b.eval(t, `document.querySelector("form").method`); m != "post" {
		t.Fatalf("the sign-in form's method is %v, want post", m)
	}
	b.do(t, chromedp.SendKeys("#token", "wrong"), chromedp.Submit("#token"))
	b.waitFor(t, "the wrong token noted", `document.getElementById("wrong-token")`)
	b.do(t, chromedp.SendKeys("#token", "t0ken-0123456789"), chromedp.Submit("#token"))
	b.waitFor(t, "the UI", `document.getElementById("status")`)
	if u := b.eval(t, `location.href`).(string); strings.Contains(u, "t0ken") || strings.Contains(u, "token=") {
		t.Fatalf("the token is in the address: %s", u)
	}
	if c := b.eval(t, `document.cookie`).(string); !strings.Contains(c, signedInCookie+"=1") || strings.Contains(c, sessionCookie+"=") {
		t.Fatalf("the page's script reads the cookies %q: want the flag alone, not the session", c)
	}

	// The server's own sign-out page.
	b.do(t, chromedp.Navigate(base+"/signout"))
	b.waitFor(t, "the sign-out page", `document.getElementById("signout-form")`)
	b.do(t, chromedp.Click("#signout-form button"))
	b.waitFor(t, "signed out", `document.getElementById("signed-out")`)
	if c := b.eval(t, `document.cookie`).(string); strings.Contains(c, signedInCookie) {
		t.Fatalf("after sign-out the cookies are %q", c)
	}
	b.do(t, chromedp.Navigate(base+"/#/feed"))
	b.waitFor(t, "the sign-in page again", `document.getElementById("token")`)

	// Signed in again, out by the UI's script: a fetch POST, as the
	// header's "Sign out" does.
	b.do(t, chromedp.SendKeys("#token", "t0ken-0123456789"), chromedp.Submit("#token"))
	b.waitFor(t, "the UI", `document.getElementById("status")`)
	b.eval(t, `fetch("/signout", { method: "POST", credentials: "same-origin", redirect: "manual" }).then((r) => { window.signedOut = r.type; })`)
	b.waitFor(t, "the sign-out answered", `window.signedOut`)
	if got := b.eval(t, `window.signedOut`); got != "opaqueredirect" {
		t.Fatalf("the UI's sign-out got %v, want the redirect to the sign-in page", got)
	}
	b.do(t, chromedp.Reload())
	b.waitFor(t, "the sign-in page after the UI's sign-out", `document.getElementById("token")`)
	if n := b.dialogs.Load(); n != 0 {
		t.Fatalf("%d dialogs opened", n)
	}
}

// TestBrowserSinkMessageReplyParts: a message the sink stored shows, by
// its envelope, the reply the sink gave after its data (code, enhanced
// code and text, as text, in the colour of its state), and its parts
// each link to their download; a part's hostile name stays text. The
// relay's message page, which has no part downloads, links none.
func TestBrowserSinkMessageReplyParts(t *testing.T) {
	b, st, relay, sink, base := browserUI(t)
	const hostile = `"><img src=x onerror=alert(1)>.html`
	raw := "From: a@shop.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
		"--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"\\\"><img src=x onerror=alert(1)>.html\"\r\n\r\n<script>alert(2)</script>\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"=?utf-8?b?aW52b2ljZeKArmZkcC5leGU=?=\"\r\n\r\n%PDF\r\n--b--\r\n"
	d := DecodeMessage([]byte(raw))
	d.From, d.To, d.Received, d.Size = "a@shop.test", []string{"user@example.test"}, time.Now().UTC(), int64(len(raw))
	sink.mu.Lock()
	sink.raw = map[string][]byte{}
	for _, id := range []string{"51", "52", "53", "54"} {
		d.ID = id
		sink.msgs[id] = d
		sink.raw[id] = []byte(raw)
	}
	sink.mu.Unlock()
	d.ID = "relayed-1"
	relay.mu.Lock()
	relay.msgs["relayed-1"] = d
	relay.mu.Unlock()
	addInbox(t, st,
		inboxRow{id: 51, session: 1, from: "a@shop.test", rcpts: "user@example.test", raw: raw, code: 550, enhanced: "5.7.1", text: `<b>refused</b> by rule "no <script>"`},
		inboxRow{id: 52, session: 1, from: "a@shop.test", rcpts: "user@example.test", raw: raw, code: 250, enhanced: "2.0.0", text: "ok"},
		inboxRow{id: 53, session: 1, from: "a@shop.test", rcpts: "user@example.test", raw: raw, code: 451, enhanced: "4.3.0", text: "try later"},
		inboxRow{id: 54, session: 1, from: "a@shop.test", rcpts: "user@example.test", raw: raw, code: 0})

	for _, tc := range []struct {
		id, state, class, reply string
	}{
		{"51", "refused", "s-refused", `550 5.7.1 <b>refused</b> by rule "no <script>"`},
		{"52", "accepted", "s-accepted", "250 2.0.0 ok"},
		{"53", "deferred", "s-deferred", "451 4.3.0 try later"},
		{"54", "no reply", "s-noreply", "no reply after the data: the sink dropped the connection or hung"},
	} {
		b.do(t, chromedp.Navigate(base+"/#/sink/messages/"+tc.id))
		b.waitFor(t, "the reply of "+tc.id, `document.getElementById("msg-reply")`)
		got := b.eval(t, `[document.getElementById("msg-reply-state").textContent, document.getElementById("msg-reply-state").className, document.getElementById("msg-reply-text").textContent,
			document.getElementById("msg-reply").previousElementSibling.textContent, !!document.querySelector("#msg-reply b")]`).([]any)
		if got[0] != tc.state || !strings.Contains(got[1].(string), tc.class) || got[2] != tc.reply || got[3] != "Sink's reply" || got[4] != false {
			t.Errorf("message %s: reply shown as %q, want state %q (%s), reply %q under \"Sink's reply\", as text", tc.id, got, tc.state, tc.class, tc.reply)
		}
	}

	b.do(t, chromedp.Navigate(base+"/#/sink/messages/51"))
	b.waitFor(t, "the parts", `document.querySelector("#msg-parts tbody tr")`)
	rows := b.eval(t, `[...document.querySelectorAll("#msg-parts tbody tr")].map(tr => {
		const a = tr.querySelector("a.part-dl");
		return [a ? a.getAttribute("href") : "", a ? a.getAttribute("aria-label") : "", ...[...tr.cells].map(c => c.textContent)].join(" | ");
	}).join("\n")`).(string)
	want := `/api/v1/sink/messages/51/parts/2 | download part 2 (` + hostile + `), 25 bytes | 2 | ` + hostile + ` | text/html | 25 bytes | attachment` + "\n" +
		`/api/v1/sink/messages/51/parts/3 | download part 3 (invoice⟨U+202E⟩fdp.exe), 4 bytes | 3 | invoice⟨U+202E⟩fdp.exe | application/pdf | 4 bytes | attachment`
	if rows != want {
		t.Errorf("parts:\n%s\nwant\n%s", rows, want)
	}
	if b.eval(t, `!!document.querySelector("#msg-parts img, #msg-parts script, img[src=x]")`) == true {
		t.Error("a part's name became an element")
	}
	// Each link downloads its part, as a file.
	b.eval(t, `Promise.all([...document.querySelectorAll("#msg-parts a.part-dl")].map(a => fetch(a.href).then(r => r.text().then(body =>
		[r.status, r.headers.get("content-disposition"), body].join(" | "))))).then(v => { window.partsGot = v; })`)
	b.waitFor(t, "the downloads", `window.partsGot`)
	got := b.eval(t, `window.partsGot.join("\n")`).(string)
	if !strings.Contains(got, "200 | attachment; filename=") || !strings.Contains(got, "<script>alert(2)</script>") || !strings.Contains(got, "200 | attachment; filename=\"invoice") {
		t.Errorf("the downloads:\n%s", got)
	}
	if note := b.eval(t, `document.getElementById("msg-parts-note").textContent`).(string); !strings.Contains(note, "downloads") {
		t.Errorf("the note under the parts %q does not say they download", note)
	}
	b.screenshot(t, "s17f1-sink-reply-parts")

	b.do(t, chromedp.Navigate(base+"/#/messages/relayed-1"))
	b.waitFor(t, "the relay's message", `document.querySelector("#msg-parts tbody tr")`)
	if b.eval(t, `!!document.querySelector("#msg-reply")`) == true {
		t.Error("the relay's message page shows a sink's reply")
	}
	if b.eval(t, `[...document.querySelectorAll("#msg-parts a")].every(a => a.getAttribute("href").startsWith("/api/v1/messages/relayed-1/parts/"))`) != true {
		t.Error("the relay's message page links its parts somewhere other than the relay's parts endpoint")
	}
	if n := b.dialogs.Load(); n != 0 {
		t.Fatalf("%d dialogs opened", n)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
