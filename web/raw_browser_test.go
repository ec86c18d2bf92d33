package web

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestBrowserDownloadEML: the relay's and the sink's message pages offer
// the message's bytes as stored ("Download .eml"), and what the link
// fetches is those bytes as a message/rfc822 attachment, not a page.
func TestBrowserDownloadEML(t *testing.T) {
	b := newBrowser(t)
	relay, sink := newFakeRelay(), newFakeSink()
	const raw = "From: a@shop.test\r\nSubject: Hi\r\n\r\n<script>document.title='ran'</script>\r\n"
	relay.msgs["m-1"] = MessageDetail{ID: "m-1", From: "a@shop.test", To: []string{"b@example.test"}, Subject: "Hi", Text: "x"}
	relay.raw = map[string][]byte{"m-1": []byte(raw)}
	sink.msgs["7"] = MessageDetail{ID: "7", From: "a@shop.test", To: []string{"b@example.test"}, Subject: "Hi", Text: "x"}
	sink.raw = map[string][]byte{"7": []byte(raw)}
	ts := startServer(t, Options{Store: openStore(t, clock.Real{}), Relay: relay, Sink: sink})
	for _, tc := range []struct{ page, href string }{
		{"/#/messages/m-1", "/api/v1/messages/m-1/raw"},
		{"/#/sink/messages/7", "/api/v1/sink/messages/7/raw"},
	} {
		b.do(t, chromedp.Navigate(ts.url+tc.page))
		b.waitFor(t, "the download link on "+tc.page, `document.getElementById("msg-raw")`)
		if got := b.eval(t, `[document.getElementById("msg-raw").getAttribute("href"), document.getElementById("msg-raw").textContent]`).([]any); got[0] != tc.href || got[1] != "Download .eml" {
			t.Errorf("%s: link %q %q, want %q \"Download .eml\"", tc.page, got[1], got[0], tc.href)
		}
		b.eval(t, `window.rawGot = null; fetch(document.getElementById("msg-raw").href).then(async (r) =>
			{ window.rawGot = [r.status, r.headers.get("content-type"), r.headers.get("content-disposition"), await r.text()]; })`)
		b.waitFor(t, "the download", `window.rawGot`)
		got := b.eval(t, `window.rawGot`).([]any)
		if got[0] != float64(200) || got[1] != "message/rfc822" || got[2] == nil || got[3] != raw {
			t.Errorf("%s: the link fetches %q, want 200, message/rfc822, an attachment and the bytes %q", tc.page, got, raw)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
