package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestBrowserBidiEncodedHeader: a direction control inside an RFC 2047
// encoded-word of a header (a From whose name decodes to "Bank
// U+202E moc.knab") is warned about and shown as a token, with the
// header decoded as a mail client shows it; so is a right-to-left mark
// (U+200F) written as it is in a From name.
func TestBrowserBidiEncodedHeader(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	sink := newFakeSink()
	s := listen(t, Options{Store: st, Sink: sink})
	base := "http://" + s.Addr()
	now := time.Now().UTC()
	for id, raw := range map[string]string{
		"41": "From: =?utf-8?b?QmFuayDigK5tb2Mua25hYg==?= <a@shop.test>\r\nTo: v@example.test\r\nSubject: plain\r\n\r\nbody\r\n",
		"42": "From: Bank\u200f <b@shop.test>\r\nTo: v@example.test\r\nSubject: plain\r\n\r\nbody\r\n",
	} {
		d := DecodeMessage([]byte(raw))
		d.ID, d.From, d.To, d.Received, d.Size = id, "a@shop.test", []string{"v@example.test"}, now, int64(len(raw))
		sink.mu.Lock()
		sink.msgs[id] = d
		sink.mu.Unlock()
	}
	for id, want := range map[string]string{"41": "U+202E", "42": "U+200F"} {
		b.do(t, chromedp.Navigate(base+"/#/feed"))
		b.do(t, chromedp.Navigate(base+"/#/sink/messages/"+id))
		b.waitFor(t, "the message", `document.querySelector("section.card details")`)
		note := b.eval(t, `(document.getElementById("msg-bidi") || {textContent: ""}).textContent`).(string)
		if !strings.Contains(note, want) {
			t.Errorf("message %s: the warning is %q, want it to name %s", id, note, want)
		}
		headers := b.eval(t, `[...document.querySelectorAll("section.card details")].map((d) => d.textContent).join(" ")`).(string)
		if id == "41" && (!strings.Contains(headers, "Bank ⟨U+202E⟩moc.knab") || strings.Contains(headers, "=?utf-8?")) {
			t.Errorf("message 41's headers: %q, want the From decoded with its control as a token", headers)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
