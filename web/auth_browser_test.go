package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserToken: with token auth, opening /?token= once lets the page,
// its API calls and its websocket in through the session cookie.
func TestBrowserToken(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	s := listen(t, Options{Store: st, Auth: Auth{Token: "t0ken"}})
	base := "http://" + s.Addr()

	b.do(t, chromedp.Navigate(base+"/"))
	if body := b.eval(t, `document.body.innerText`).(string); !strings.Contains(body, "authentication required") || !strings.Contains(body, "web.token") {
		t.Fatalf("without the token the page shows %q", body)
	}
	// The page's form takes the token: a wrong one says so, the right
	// one opens the UI.
	b.do(t, chromedp.SendKeys("#token", "wrong"), chromedp.Submit("#token"))
	b.waitFor(t, "the wrong token noted", `document.getElementById("wrong-token")`)
	b.do(t, chromedp.SendKeys("#token", "t0ken"), chromedp.Submit("#token"))
	b.waitFor(t, "the UI", `document.getElementById("status")`)
	if loc := b.eval(t, `location.search`); loc != "" {
		t.Fatalf("the token stays in the address bar: %q", loc)
	}
	b.do(t, chromedp.Navigate(base+"/?token=t0ken#/feed"))
	if loc := b.eval(t, `location.search`); loc != "" {
		t.Fatalf("the token stays in the address bar: %q", loc)
	}
	b.waitFor(t, "the stream", `document.getElementById("status")?.textContent === "live"`)
	appendEvents(t, st, events.Event{Kind: events.RelayBounced, Message: "auth-1", Recipient: "x@example.com"})
	b.waitFor(t, "the event", `[...document.querySelectorAll("#feed-rows tr")].some(tr => tr.textContent.includes("auth-1"))`)
}

// TestBrowserSignInKeepsView: signing in on the page of a view (#/inbox)
// opens that view, not the UI's first page: the part after '#' never
// reaches the server, and the form's POST lost it (walk V2).
func TestBrowserSignInKeepsView(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	s := listen(t, Options{Store: st, Auth: Auth{Token: "t0ken"}})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/inbox"))
	b.waitFor(t, "the sign-in form", `document.getElementById("token")`)
	b.do(t, chromedp.SendKeys("#token", "t0ken"), chromedp.Submit("#token"))
	b.waitFor(t, "the UI", `document.getElementById("status")`)
	if hash := b.eval(t, `location.hash`); hash != "#/inbox" {
		t.Errorf("after the sign-in the address ends %q, want #/inbox", hash)
	}
}
