package web

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserTrustedTypes: in the UI's page a string cannot become HTML
// or script, so a value from mail put in the wrong way (innerHTML, say)
// is refused by the browser rather than run.
func TestBrowserTrustedTypes(t *testing.T) {
	b := newBrowser(t)
	relay, sink, probe := filledFakes()
	s := listen(t, Options{Relay: relay, Sink: sink, Probe: probe})

	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/messages/evil-1"))
	b.waitFor(t, "the subject", `document.getElementById("msg-subject")`)
	for _, sink := range []string{
		`document.getElementById("msg-subject").innerHTML = document.getElementById("msg-subject").textContent`,
		`document.body.insertAdjacentHTML("beforeend", "<img src=x onerror=window.pwned=1>")`,
		`document.createElement("script").text = "window.pwned = 1"`,
		`setTimeout("window.pwned = 1", 0)`,
	} {
		got := b.eval(t, `(() => { try { `+sink+`; return "accepted"; } catch (e) { return e.name; } })()`)
		if got != "TypeError" && got != "EvalError" {
			t.Errorf("%s: %v, want refused (TypeError or EvalError)", sink, got)
		}
	}
	if v := b.eval(t, `typeof window.pwned`); v != "undefined" {
		t.Fatalf("a string became script: window.pwned is %v", v)
	}
}
