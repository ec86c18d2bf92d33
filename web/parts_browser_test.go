package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// partsRaw has a text body, an HTML part in a charset relaylab does not
// know, a 5 MiB attachment, an inline image whose RFC 2047 file name
// hides a right-to-left override ("gnp.exe" that reads "exe.png") and an
// attached message.
func partsRaw() string {
	big := bigAttachment()
	head, body, _ := strings.Cut(big, "\r\n\r\n")
	body = strings.Replace(body, "--=_b--\r\n",
		"--=_b\r\nContent-Type: text/html; charset=x-klingon\r\n\r\n<p>Qapla\xe9</p>\r\n"+
			"--=_b\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=\"=?utf-8?b?aW52b2ljZeKArmducC5leGU=?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"+
			"--=_b\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\nFrom: =?utf-8?q?Zo=C3=AB?= <zoe@shop.test>\r\nSubject: the original\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n--=_b--\r\n", 1)
	return head + "\r\n\r\n" + body
}

// TestBrowserMessageParts: both message pages, the relay's and the
// sink's, list the parts that are not a body shown (file name isolated,
// its direction controls shown as tokens, type, size in decoded bytes
// for a person, disposition; an attached message's sender, subject and
// date) and the notes on what relaylab could not read.
func TestBrowserMessageParts(t *testing.T) {
	b, st, relay, sink, base := browserUI(t)

	raw := partsRaw()
	d := DecodeMessage([]byte(raw))
	d.ID, d.From, d.To, d.Received, d.Size = "parts-1", "a@shop.test", []string{"user@example.test"}, time.Now().UTC(), int64(len(raw))
	relay.mu.Lock()
	relay.msgs["parts-1"] = d
	relay.mu.Unlock()
	d.ID = "41"
	sink.mu.Lock()
	sink.msgs["41"] = d
	sink.mu.Unlock()
	addSinkMessage(t, st, 41, 9)

	page := func(where string) {
		t.Helper()
		rows := b.eval(t, `[...document.querySelectorAll("#msg-parts tbody tr")].map(tr => [...tr.cells].map(c => c.textContent).join(" | ")).join("\n")`).(string)
		want := "2 | big.bin | application/octet-stream | 5.0 MiB | attachment\n4 | invoice⟨U+202E⟩gnp.exe | image/png | 8 bytes | inline\n" +
			"5 | a message from Zoë <zoe@shop.test>, subject the original, dated Sat, 28 Nov 2026 10:00:00 +0000 | message/rfc822 | 110 bytes | attachment"
		if rows != want {
			t.Errorf("%s: parts\n%s\nwant\n%s", where, rows, want)
		}
		if b.eval(t, `[...document.querySelectorAll("#msg-parts bdi")].some(el => el.textContent.includes("gnp.exe") && getComputedStyle(el).unicodeBidi === "isolate")`) != true {
			t.Errorf("%s: the file name is not isolated", where)
		}
		if b.eval(t, `document.querySelector("#msg-parts tbody tr td[title]").title`) != "5242880 bytes" {
			t.Errorf("%s: the size's exact bytes are not in its title", where)
		}
		notes := b.eval(t, `(() => { const n = document.getElementById("msg-notes"); return n ? n.textContent : ""; })()`).(string)
		if !strings.Contains(notes, "part 3 declares charset x-klingon, which relaylab cannot read: shown as UTF-8 with \uFFFD for bytes that are not") {
			t.Errorf("%s: notes %q, want the one on part 3's charset", where, notes)
		}
		if n := b.eval(t, `(() => { const n = document.getElementById("msg-bidi"); return n ? n.textContent : ""; })()`).(string); !strings.Contains(n, "U+202E") {
			t.Errorf("%s: the direction-control note %q does not name the file name's U+202E", where, n)
		}
	}
	b.do(t, chromedp.Navigate(base+"/#/messages/parts-1"))
	b.waitFor(t, "the relay's message", `document.getElementById("msg-subject")`)
	page("the relay's message")
	b.screenshot(t, "message-parts")
	b.do(t, chromedp.Navigate(base+"/#/sink/messages/41"))
	b.waitFor(t, "the sink's copy", `document.getElementById("msg-subject")`)
	page("the sink's copy")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
