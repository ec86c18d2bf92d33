package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// fw2sRaw is a message to a@ and b@ (To and Cc) with an HTML body that
// tries to run script, two links (one javascript:) and an attachment.
const fw2sRaw = "From: Shop <app@shop.test>\r\nTo: Ann <a@example.test>\r\nCc: b@example.test\r\n" +
	"Date: Sat, 28 Nov 2026 10:00:00 +0100\r\nSubject: Your order\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"=_m\"\r\n\r\n" +
	"--=_m\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
	"<p>Hi <script>window.ran = 1</script><img src=x onerror=\"window.ran = 2\">" +
	"<a href=\"https://track.example.test/o?id=42\">your order</a> <a href=\"javascript:alert(1)\">help</a></p>\r\n" +
	"--=_m\r\nContent-Type: text/html; name=\"invoice.html\"\r\nContent-Disposition: attachment; filename=\"invoice.html\"\r\n\r\n" +
	"<script>alert(1)</script>\r\n--=_m--\r\n"

// fw2sPage puts fw2sRaw in the relay as message fw2s-1 (and raw as its
// bytes) and in the sink as message 61, to a@, b@ and c@ (a Bcc), and
// opens url's page of it.
func fw2sPage(t *testing.T, raw, url string) (*browserPage, string) {
	t.Helper()
	b, st, relay, sink, base := browserUI(t)
	d := DecodeMessage([]byte(raw))
	d.ID, d.From, d.To, d.Received, d.Size = "fw2s-1", "bounce@shop.test", []string{"a@example.test", "B@example.test", "c@example.test"}, time.Now().UTC(), int64(len(raw))
	relay.mu.Lock()
	relay.msgs[d.ID] = d
	relay.raw = map[string][]byte{d.ID: []byte(raw)}
	relay.mu.Unlock()
	d.ID = "61"
	sink.mu.Lock()
	sink.msgs[d.ID] = d
	sink.raw = map[string][]byte{d.ID: []byte(raw)}
	sink.mu.Unlock()
	addSinkMessage(t, st, 61, 9)
	b.do(t, chromedp.Navigate(base+url))
	b.waitFor(t, "the message", `document.getElementById("msg-subject")`)
	return b, base
}

// TestBrowserFW2SHeaderApartFromEnvelope: the message pages show the
// header's From, To, Cc, Date and Subject apart from the envelope (MAIL
// FROM, the envelope's recipients), and name the envelope recipient
// that neither To nor Cc lists: a Bcc is not read as a To.
func TestBrowserFW2SHeaderApartFromEnvelope(t *testing.T) {
	for _, url := range []string{"/#/sink/messages/61", "/#/messages/fw2s-1"} {
		b, _ := fw2sPage(t, fw2sRaw, url)
		text := func(id string) string {
			return b.eval(t, `(document.getElementById(`+jsString(id)+`) || {}).textContent || ""`).(string)
		}
		want := map[string]string{
			"msg-header-from":   "Shop <app@shop.test>",
			"msg-header-to":     "Ann <a@example.test>",
			"msg-header-cc":     "b@example.test",
			"msg-header-date":   "Sat, 28 Nov 2026 10:00:00 +0100 (2026-11-28 09:00:00Z)",
			"msg-subject":       "Your order",
			"msg-envelope-from": "bounce@shop.test",
		}
		for id, w := range want {
			if got := text(id); got != w {
				t.Errorf("%s: #%s says %q, want %q", url, id, got, w)
			}
		}
		if got := text("msg-envelope-to"); !strings.HasPrefix(got, "a@example.test, B@example.test, c@example.test") ||
			!strings.Contains(got, "In neither To nor Cc: c@example.test (a Bcc") {
			t.Errorf("%s: the envelope's recipients say %q, want all three and c@ alone as in neither To nor Cc", url, got)
		}
		terms := b.eval(t, `[...document.querySelectorAll("#msg-fields dt")].map(d => d.textContent).join(",") + " / " +
			[...document.querySelectorAll("#msg-envelope dt")].map(d => d.textContent).join(",")`).(string)
		if !strings.HasPrefix(terms, "From,To,Cc,Date,Subject / MAIL FROM,Envelope to,Received,Size") {
			t.Errorf("%s: the terms are %q, want the header's fields apart from the envelope's", url, terms)
		}
		if strings.HasPrefix(url, "/#/sink") {
			b.eval(t, `document.getElementById("msg-source-show").click(); 0`)
			b.waitFor(t, "the source", `document.querySelector("#msg-source pre.source")`)
			b.screenshot(t, "fw2s-header-envelope")
		}
		if ex := b.exceptions(); len(ex) > 0 {
			t.Fatalf("%s: uncaught errors in the page: %v", url, ex)
		}
	}
}

// TestBrowserFW2SBodyFullSize: the HTML body's frame takes most of the
// window and can be dragged taller, and a link opens the body alone in a
// new tab, with no opener and no referrer, where the sandbox still holds:
// its script and event handler do not run.
func TestBrowserFW2SBodyFullSize(t *testing.T) {
	b, base := fw2sPage(t, fw2sRaw, "/#/sink/messages/61")
	got := b.eval(t, `(() => { const f = document.querySelector("iframe.body"), a = document.getElementById("html-full");
		return [getComputedStyle(f).resize, f.getBoundingClientRect().height >= 0.6 * innerHeight, f.getAttribute("sandbox"),
			a ? a.getAttribute("href") : "", a ? a.target : "", a ? a.rel : ""].join(" | "); })()`).(string)
	if want := "vertical | true |  | /api/v1/sink/messages/61/body.html | _blank | noopener noreferrer"; got != want {
		t.Errorf("the frame and its link: %q, want %q", got, want)
	}
	code, hdr, _ := do(t, "GET", base+"/api/v1/sink/messages/61/body.html", "")
	if csp := hdr.Get("Content-Security-Policy"); code != http.StatusOK || !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("body.html: %d with CSP %q, want 200 under a sandboxing CSP", code, csp)
	}
	b.do(t, chromedp.Navigate(base+"/api/v1/sink/messages/61/body.html"))
	b.waitFor(t, "the body alone", `document.querySelector("p")`)
	time.Sleep(100 * time.Millisecond) // the img's error would have fired
	if ran := b.eval(t, `[String(window.ran), String(document.querySelectorAll("a[href]").length)].join(" ")`); ran != "undefined 0" {
		t.Errorf("the body opened alone: window.ran and links %v, want undefined 0 (no script ran, no link to follow)", ran)
	}
}

// TestBrowserFW2SRelayPartLinks: a relay message's parts are linked as a
// sink message's are, and the relay's parts endpoint serves each as the
// sink's does: a download under nosniff and a sandboxing CSP.
func TestBrowserFW2SRelayPartLinks(t *testing.T) {
	b, base := fw2sPage(t, fw2sRaw, "/#/messages/fw2s-1")
	got := b.eval(t, `[...document.querySelectorAll("#msg-parts a.part-dl")].map(a => a.getAttribute("href") + " " + a.textContent).join(", ") + " / " +
		document.getElementById("msg-parts-note").textContent`).(string)
	if !strings.HasPrefix(got, "/api/v1/messages/fw2s-1/parts/2 invoice.html / ") || strings.Contains(got, "not served here") {
		t.Errorf("the relay message's parts: %q, want part 2 linked and no word that parts are not served", got)
	}
	code, hdr, body := do(t, "GET", base+"/api/v1/messages/fw2s-1/parts/2", "")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Disposition"), "attachment") || hdr.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(hdr.Get("Content-Security-Policy"), "sandbox") || !strings.Contains(string(body), "<script>") {
		t.Errorf("the relay's part 2: %d %v, want 200, an attachment under nosniff and a sandboxing CSP", code, hdr)
	}
}

// TestBrowserFW2SCopyLink: each link of the HTML body is listed as text,
// not as a link, with a button that copies its address: through
// navigator.clipboard, or through the copy command where the page has no
// clipboard (plain http by another address).
func TestBrowserFW2SCopyLink(t *testing.T) {
	b, _ := fw2sPage(t, fw2sRaw, "/#/sink/messages/61")
	if n := b.eval(t, `document.querySelectorAll("#html-links a").length + " " + document.querySelectorAll("#html-links button.copy").length`); n != "0 2" {
		t.Fatalf("the body's links: %v links and copy buttons, want 0 2", n)
	}
	b.eval(t, `window.copied = []; Object.defineProperty(navigator, "clipboard", { configurable: true, value: { writeText: (s) => { copied.push("clipboard " + s); return Promise.resolve(); } } }); 0`)
	b.eval(t, `document.querySelectorAll("#html-links button.copy")[0].click(); 0`)
	b.waitFor(t, "the first copy", `document.querySelector("#html-links .copy-said").textContent === " copied"`)
	b.eval(t, `Object.defineProperty(navigator, "clipboard", { configurable: true, value: undefined });
		document.execCommand = (c) => { copied.push(c + " " + document.querySelector(".copy-field").value); return true; };
		document.querySelectorAll("#html-links button.copy")[1].click(); 0`)
	got := b.eval(t, `copied.join(" | ") + " / " + document.querySelectorAll(".copy-field").length`)
	if want := "clipboard https://track.example.test/o?id=42 | copy javascript:alert(1) / 0"; got != want {
		t.Errorf("copied %q, want %q", got, want)
	}
}

// TestBrowserFW2SSource: Source shows the message's bytes as stored, as
// text (its HTML not made elements), and hides them again; a message
// larger than the view's cap shows its start and says that it is cut.
func TestBrowserFW2SSource(t *testing.T) {
	big := strings.Replace(fw2sRaw, "<script>alert(1)</script>", strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n", 9000), 1)
	for _, c := range []struct {
		raw string
		cut bool
	}{{fw2sRaw, false}, {big, true}} {
		b, _ := fw2sPage(t, c.raw, "/#/messages/fw2s-1")
		b.eval(t, `document.getElementById("msg-source-show").click(); 0`)
		b.waitFor(t, "the source", `document.querySelector("#msg-source pre.source")`)
		got := b.eval(t, `(() => { const p = document.querySelector("#msg-source pre.source");
			return [p.textContent.length, p.textContent.startsWith("From: Shop <app@shop.test>\r\nTo:"), p.querySelectorAll("script, img, a").length,
				!!document.getElementById("msg-source-cut")].join(" "); })()`).(string)
		n := len(c.raw)
		if c.cut {
			n = 256 << 10
		}
		if want := strings.Join([]string{itoa(int64(n)), "true", "0", map[bool]string{true: "true", false: "false"}[c.cut]}, " "); got != want {
			t.Errorf("the source of %d bytes: %q, want %q (length, its start, elements, cut)", len(c.raw), got, want)
		}
		b.eval(t, `document.getElementById("msg-source-show").click(); 0`)
		if h := b.eval(t, `document.getElementById("msg-source").hidden`); h != true {
			t.Error("a second click on Source leaves the source shown")
		}
		if ex := b.exceptions(); len(ex) > 0 {
			t.Fatalf("uncaught errors in the page: %v", ex)
		}
	}
}

// TestBrowserFW2SListHeld: the Messages list shows the recipients the
// Queue calls held in the Queue's words, with its badges' colours, both
// as read and as events come live: "held by hand" (relay.held, until
// relay.released), "held" for the relay's shaping's hold, not "deferred".
func TestBrowserFW2SListHeld(t *testing.T) {
	b, st, _, _, base := browserUI(t)
	appendEvents(t, st, fw2sHolds("h-1")...)
	b.do(t, chromedp.Navigate(base+"/#/messages"))
	b.waitFor(t, "the list", `document.querySelector('#messages-rows tr[data-id="h-1"]')`)
	row := func(id string) string {
		return b.eval(t, `[...document.querySelectorAll('#messages-rows tr[data-id=`+jsString(id)+`] .badge')].map(s => s.textContent + ":" + s.className).join(", ")`).(string)
	}
	want := "held:badge s-held, held by hand:badge s-heldbyhand, deferred:badge s-deferred, delivered:badge s-delivered"
	if got := row("h-1"); got != want {
		t.Errorf("as read: %q, want %q", got, want)
	}
	appendEvents(t, st, fw2sHolds("h-2")...)
	b.waitFor(t, "the live row", `document.querySelectorAll('#messages-rows tr[data-id="h-2"] .badge').length === 4 && document.querySelector('#messages-rows tr[data-id="h-2"]').textContent.includes("delivered")`)
	if got := row("h-2"); got != want {
		t.Errorf("live: %q, want %q", got, want)
	}
}
