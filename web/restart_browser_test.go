package web

import (
	"context"
	"log/slog"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestBrowserServerRestart: when the server goes away the feed says so, and
// when a new one serves the same log at the same address the feed is live
// again, with what was committed meanwhile, without a reload.
func TestBrowserServerRestart(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	start := func(addr string) *Server { return serveStoreAt(t, st, addr) }
	s := start("127.0.0.1:0")
	addr := s.Addr()
	appendEvents(t, st, events.Event{Kind: events.RelayDelivered, Message: "before-1", Recipient: "a@example.com"})
	b.do(t, chromedp.Navigate("http://"+addr+"/#/feed"))
	b.waitFor(t, "the stream", `document.getElementById("status").textContent === "live"`)
	b.waitFor(t, "the first event", `document.querySelector("#feed-rows tr") && document.querySelector("#feed-rows tr").textContent.includes("before-1")`)

	s.Shutdown(context.Background())
	b.waitFor(t, "the lost stream", `document.getElementById("status").textContent === "reconnecting"`)
	appendEvents(t, st, events.Event{Kind: events.RelayBounced, Message: "during-1", Recipient: "b@example.com"})
	s = start(addr)
	defer s.Shutdown(context.Background())
	b.waitFor(t, "the stream again", `document.getElementById("status").textContent === "live"`)
	appendEvents(t, st, events.Event{Kind: events.RelayDeferred, Message: "after-1", Recipient: "c@example.com"})
	b.waitFor(t, "what was missed and what followed",
		`[...document.querySelectorAll("#feed-rows tr")].map(tr => tr.children[2].textContent).join(" ") === "after-1 during-1 before-1"`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("errors in the page: %v", ex)
	}
}

// serveStoreAt starts a server on st at addr ("127.0.0.1:0" for any
// port), as a restarted relaylab would serve the same log at the same
// address.
func serveStoreAt(t *testing.T, st *store.Store, addr string) *Server {
	t.Helper()
	s, err := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background(), addr); err != nil {
		t.Fatal(err)
	}
	return s
}
