package web

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/testutil"
)

// connRecorder counts TCP connections to another loopback address that
// mail content must never reach: a preconnect opens one and sends nothing,
// so hitRecorder, which logs requests, would not see it.
type connRecorder struct {
	url   string
	conns atomic.Int32
}

func newConnRecorder(t *testing.T) *connRecorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		if testutil.InCI() {
			t.Fatalf("cannot listen on 127.0.0.2 (needed to stand for a remote host): %v", err)
		}
		t.Skipf("cannot listen on 127.0.0.2 (needed to stand for a remote host): %v", err)
	}
	c := &connRecorder{url: "http://" + ln.Addr().String()}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.conns.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

// TestBrowserNoPreconnect: a message's <link rel=preconnect>, which
// Chromium follows whatever the CSP says, opens no connection from the
// message page's sandboxed frame nor from the body opened alone.
func TestBrowserNoPreconnect(t *testing.T) {
	remote := newConnRecorder(t)
	b := newBrowser(t)
	relay := newFakeRelay()
	relay.msgs["pre-1"] = MessageDetail{ID: "pre-1", From: "a@example.org", To: []string{"b@example.com"}, Subject: "preconnect",
		HTML: preconnectHTML(remote.url)}
	s := listen(t, Options{Relay: relay})
	base := "http://" + s.Addr()

	b.do(t, chromedp.Navigate(base+"/#/messages/pre-1"))
	b.waitFor(t, "the sandboxed body", `document.querySelector("iframe.body")`)
	b.do(t, chromedp.Navigate(base+"/api/v1/messages/pre-1/body.html"))
	b.waitFor(t, "the body alone", `document.readyState === "complete" && document.body.textContent.includes("a title is text")`)
	// A preconnect goes out as the parser meets the tag; give a late one
	// time to show (this waits for nothing that must happen).
	time.Sleep(500 * time.Millisecond)
	if n := remote.conns.Load(); n != 0 {
		t.Fatalf("the message made the browser open %d connection(s) to %s", n, remote.url)
	}
}
