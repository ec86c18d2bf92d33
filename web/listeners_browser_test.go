package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

type listeningSink struct{ *fakeSink }

func (listeningSink) ListenerURLs() map[string]string {
	return map[string]string{"mx2": "smtp://127.0.0.3:2600", "mx": "smtps://127.0.0.2:2465"}
}

type listeningRelay struct{ *fakeRelay }

func (listeningRelay) SubmissionURL() string { return "smtp://127.0.0.1:2700" }

// TestBrowserEmptyStatesUseTheListeners: the swaks lines of the empty
// Sink, Queue and Suppression lists name the addresses this serve takes
// mail at (/api/v1/listeners), not the defaults, which a serve on other
// ports made a newcomer copy in vain (walk V3); implicit TLS gets
// --tls-on-connect. The API answers the same to a script.
func TestBrowserEmptyStatesUseTheListeners(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	s := listen(t, Options{Store: st, Relay: listeningRelay{newFakeRelay()}, Sink: listeningSink{newFakeSink()}})
	base := "http://" + s.Addr()
	code, _, body := do(t, "GET", base+"/api/v1/listeners", "")
	if code != 200 || !strings.Contains(string(body), `"relay":"smtp://127.0.0.1:2700"`) || !strings.Contains(string(body), `"mx":"smtps://127.0.0.2:2465"`) {
		t.Errorf("/api/v1/listeners: %d %s", code, body)
	}
	b.do(t, chromedp.Navigate(base+"/#/sink"))
	b.waitFor(t, "the sink's line with its first listener", `document.getElementById("sink-try")?.textContent === "swaks --server 127.0.0.2:2465 --tls-on-connect --to someone@example.test"`)
	b.do(t, chromedp.Navigate(base+"/#/queue"))
	b.waitFor(t, "the queue's line with the submission", `document.getElementById("queue-try")?.textContent === "swaks --server 127.0.0.1:2700 --to 'defer2+you@example.test'"`)
	b.waitFor(t, "the suppressions' line", `document.getElementById("suppression-try")?.textContent === "swaks --server 127.0.0.1:2700 --to 'rcpt550+gone@example.test'"`)
}
