package web

import (
	"context"
	"log/slog"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
)

// TestBrowserRelayToFeed sends a message through the real relay to the real
// sink and watches the feed show its delivery.
func TestBrowserRelayToFeed(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	scfg := sink.DefaultConfig()
	scfg.Listeners = []sink.ListenerConfig{sink.DefaultListener("mx", "127.0.0.1:0", "sink.test")}
	sk, err := sink.New(scfg, sink.Options{Store: st, Logger: log})
	if err != nil {
		t.Fatalf("sink: %v", err)
	}
	if err := sk.Start(ctx); err != nil {
		t.Fatalf("sink: %v", err)
	}
	defer sk.Shutdown(context.Background())
	rcfg := relay.DefaultConfig()
	rcfg.Listen = "" // submitted in-process
	rcfg.Paths = []relay.PathConfig{{Name: "local-sink", Host: sk.Addrs()["mx"].String(), TLS: "none"}}
	rcfg.Routes = []relay.RouteConfig{{Name: "default", Paths: []string{"local-sink"}}}
	rl, err := relay.New(rcfg, relay.Options{Store: st, Logger: log})
	if err != nil {
		t.Fatalf("relay: %v", err)
	}
	if err := rl.Start(ctx); err != nil {
		t.Fatalf("relay: %v", err)
	}
	defer rl.Shutdown(context.Background())

	s, err := New(Options{Store: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())

	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/feed"))
	b.waitFor(t, "the stream", `document.getElementById("status").textContent === "live"`)
	id, err := rl.Enqueue(ctx, relay.Submission{From: "shop@example.org", Recipients: []relay.Recipient{{Address: "reader@example.test"}},
		Data: []byte("From: shop@example.org\r\nTo: reader@example.test\r\nSubject: through the relay\r\n\r\nhello\r\n")})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	took := b.waitFor(t, "the delivery in the feed",
		`[...document.querySelectorAll("#feed-rows tr")].some(tr => tr.textContent.includes(`+jsString(id)+`) && tr.textContent.includes("relay.delivered"))`)
	t.Logf("the feed showed the delivery of %s %v after it was queued", id, took)
	b.screenshot(t, "feed-relay")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("errors in the page: %v", ex)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	out := []byte{'"'}
	for _, c := range []byte(s) {
		if c == '"' || c == '\\' || c < 0x20 {
			out = append(out, []byte(`\u00`)...)
			out = append(out, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			continue
		}
		out = append(out, c)
	}
	return string(append(out, '"'))
}
