package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserRebinding plays DNS rebinding in a real Chromium: a name of
// another site resolves to the address the server listens on (as an
// attacker's DNS makes it after the victim opened the attacker's page),
// and a script of that site's origin tries to read the mail and to replace
// the sink's rules. The Origin matches the Host there, so only the Host
// check stops it. The loopback name goes on working.
func TestBrowserRebinding(t *testing.T) {
	const evil = "rebind.attacker.test"
	relay, sink, probe := filledFakes()
	b, _, port := rebound(t, evil, Options{Relay: relay, Sink: sink, Probe: probe})
	ctx := context.Background()
	rules, _ := sink.Rules(ctx)

	b.do(t, chromedp.Navigate("http://"+evil+":"+port+"/#/messages/evil-1"))
	if o := b.eval(t, `location.origin`); o != "http://"+evil+":"+port {
		t.Fatalf("the page's origin is %v, want the rebound name's", o)
	}
	// What the attacker's script would do, from its own origin.
	attack := `(async () => {
		const read = await fetch("/api/v1/messages/evil-1");
		const write = await fetch("/api/v1/sink/rules", {method: "PUT", headers: {"Content-Type": "application/json"},
			body: JSON.stringify({yaml: "rules:\n  - reply: \"550 5.7.1 rebound\"\n"})});
		const ws = await new Promise((resolve) => {
			const w = new WebSocket("ws://" + location.host + "/api/v1/events/stream?after=0");
			w.onopen = () => { w.close(); resolve("open"); };
			w.onerror = () => resolve("refused");
		});
		return [read.status, (await read.text()).includes("evil@example.net"), write.status, ws].join(" ");
	})()`
	ctx2, cancel2 := context.WithTimeout(b.ctx, 30e9)
	defer cancel2()
	got, err := chromedp.Run(ctx2, chromedp.Evaluate[string](attack, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("the attack script: %v", err)
	}
	if got != "403 false 403 refused" {
		t.Errorf("from %s the script got %q (read status, mail seen, write status, websocket), want %q", evil, got, "403 false 403 refused")
	}
	if now, _ := sink.Rules(ctx); now != rules {
		t.Errorf("the rules were replaced from the rebound name: %q", now.YAML)
	}
	if body := b.eval(t, `document.body ? document.body.innerText : ""`).(string); strings.Contains(body, hostileSubject) || !strings.Contains(body, "DNS rebinding") {
		t.Errorf("the page at the rebound name shows %q, want the refusal", body)
	}

	b.do(t, chromedp.Navigate("http://localhost:"+port+"/#/messages/evil-1"))
	b.waitFor(t, "the message by the loopback name", `document.getElementById("msg-subject")`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
