package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSec25RebindGuessing plays, in a real Chromium, the page of
// another site whose name its owner pointed at 127.0.0.1 (DNS
// rebinding): with web.token set any Host is served, so the page is
// same-origin with the UI and may try tokens as fast as it likes. After
// guessBurst wrong ones it gets 429s, and the right token, tried at the
// end, is refused unread too.
func TestBrowserSec25RebindGuessing(t *testing.T) {
	const evil = "sec25-guess.attacker.test"
	b, _, port := rebound(t, evil, Options{Auth: Auth{Token: "short1"}})
	b.do(t, chromedp.Navigate("http://"+evil+":"+port+"/healthz"))
	if o := b.eval(t, `location.origin`); o != "http://"+evil+":"+port {
		t.Fatalf("the page's origin is %v, want the rebound name's", o)
	}
	guess := `(async () => {
		const out = [];
		for (let i = 0; i < 15; i++) {
			const r = await fetch("/api/v1/stats", {headers: {Authorization: "Bearer guess" + i}});
			out.push(r.status);
		}
		const right = await fetch("/api/v1/stats", {headers: {Authorization: "Bearer short1"}});
		out.push(right.status);
		return out.join(" ");
	})()`
	ctx, cancel := context.WithTimeout(b.ctx, 30e9)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](guess, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("the guessing script: %v", err)
	}
	want := strings.TrimSpace(strings.Repeat("401 ", guessBurst) + strings.Repeat("429 ", 15-guessBurst+1))
	if got != want {
		t.Errorf("from %s the script's statuses are %q, want %q", evil, got, want)
	}
}

// rebound starts a browser that resolves the name evil to 127.0.0.1, as
// an attacker's DNS makes it after the victim opened the attacker's page
// (DNS rebinding), and a server from opts on a loopback port, which it
// returns.
func rebound(t *testing.T, evil string, opts Options) (b *browserPage, s *Server, port string) {
	t.Helper()
	b = newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP "+evil+" 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"))
	s = listen(t, opts)
	return b, s, s.Addr()[strings.LastIndex(s.Addr(), ":")+1:]
}
