package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserUnreadFileName: an attachment whose RFC 2231 file name
// cannot be decoded shows the name as sent, as text, and the note that
// says so, where it showed "(none)" and no note.
func TestBrowserUnreadFileName(t *testing.T) {
	b, _, relay, _, base := browserUI(t)
	raw := "From: a@shop.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
		"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename*=utf-8''a(b'<i>c.txt\r\n\r\nx\r\n--b--\r\n"
	d := DecodeMessage([]byte(raw))
	d.ID, d.From, d.To, d.Received, d.Size = "rawname-1", "a@shop.test", []string{"user@example.test"}, time.Now().UTC(), int64(len(raw))
	relay.mu.Lock()
	relay.msgs["rawname-1"] = d
	relay.mu.Unlock()
	b.do(t, chromedp.Navigate(base+"/#/messages/rawname-1"))
	b.waitFor(t, "the message's parts", `document.querySelector("#msg-parts tbody tr")`)
	if got := b.eval(t, `document.querySelector("#msg-parts tbody tr td[data-label='file name']").textContent`); got != "utf-8''a(b'<i>c.txt" {
		t.Errorf("file name cell %q, want the name as sent", got)
	}
	if b.eval(t, `!!document.querySelector("#msg-parts i")`) == true {
		t.Error("the name's <i> became an element")
	}
	notes := b.eval(t, `(() => { const n = document.getElementById("msg-notes"); return n ? n.textContent : ""; })()`).(string)
	if !strings.Contains(notes, "part 2: the file name could not be decoded (RFC 2231") || !strings.Contains(notes, "shown as sent") {
		t.Errorf("notes %q, want the one on part 2's file name", notes)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
