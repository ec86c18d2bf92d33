package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// TestBrowserBodyLinks: under a message's HTML body the page says that
// its links do not open there and lists them as text, marked not
// followed; a click on a link in the body leaves the body shown (the
// sandbox refuses the window it asks for) instead of turning the frame
// into the browser's page for a blocked load.
func TestBrowserBodyLinks(t *testing.T) {
	remote := newHitRecorder(t)
	b, _, relay, _, base := browserUI(t)
	relay.mu.Lock()
	relay.msgs["links-1"] = MessageDetail{ID: "links-1", From: "a@shop.test", To: []string{"b@example.test"}, Subject: "links",
		HTML: `<!doctype html><html><body style="margin:0"><a id="big" href="` + remote.url + `/click" style="display:block;height:300px;background:#eee">tracked <b>link</b></a>` +
			`<a href="javascript:alert('jslink')">js</a><a href="https://shop.test/` + "\u202e" + `gnp.exe">spoof</a></body></html>`}
	relay.mu.Unlock()

	b.do(t, chromedp.Navigate(base+"/#/messages/links-1"))
	b.waitFor(t, "the body and its links", `document.querySelector("iframe.body") && document.querySelector("#html-links li")`)
	if got := b.eval(t, `document.getElementById("html-blocked").textContent`).(string); !strings.Contains(got, "Links do not open here") {
		t.Errorf("the note under the body says %q, want that links do not open here", got)
	}
	got := b.eval(t, `[...document.querySelectorAll("#html-links li")].map(li => li.textContent).join("\n")`).(string)
	for _, w := range []string{remote.url + "/click (tracked link)", "javascript:alert('jslink') (js)", "https://shop.test/⟨U+202E⟩gnp.exe (spoof)"} {
		if !strings.Contains(got, w) {
			t.Errorf("the links listed:\n%s\nlack %q", got, w)
		}
	}
	if b.eval(t, `document.querySelector("#html-links summary").textContent.includes("not followed") && !document.querySelector("#html-links a")`) != true {
		t.Errorf("the links are not listed as text marked not followed")
	}
	b.do(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("html-links").scrollIntoView()`))
	b.screenshot(t, "body-links")

	// The sandboxed frame is a target of its own (an opaque origin, in a
	// process of its own): wait until its document has loaded, then click
	// its link.
	frame := func() *target.Info {
		ts, err := chromedp.CallBrowser(b.ctx, target.GetTargets, target.GetTargetsParams{})
		if err != nil {
			t.Fatalf("targets: %v", err)
		}
		for _, ti := range ts.TargetInfos {
			if ti.Type == "iframe" {
				return ti
			}
		}
		return nil
	}
	deadline := time.Now().Add(30 * time.Second)
	fi := frame()
	for ; fi == nil || !strings.HasSuffix(fi.URL, "/body.html"); fi = frame() {
		if time.Now().After(deadline) {
			t.Fatalf("the body's frame never showed as a target of its own: %+v", fi)
		}
		time.Sleep(20 * time.Millisecond)
	}
	fctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(fi.TargetID))
	defer cancel()
	for {
		ready, err := chromedp.Run(fctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!document.getElementById("big")`))
		if err == nil && ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the body's frame never loaded: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A click on the link, in the frame itself: where the page lays the
	// frame out does not matter.
	if _, err := chromedp.Run(fctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("big").click()`)); err != nil {
		t.Fatalf("click the link: %v", err)
	}
	// A navigation starts as the click is handled; give it time to show
	// (this waits for nothing that must happen).
	time.Sleep(700 * time.Millisecond)
	if fi := frame(); fi == nil || !strings.HasSuffix(fi.URL, "/api/v1/messages/links-1/body.html") {
		t.Errorf("after a click on a link the frame shows %+v, not the body", fi)
	}
	if hits := remote.count(); len(hits) > 0 {
		t.Errorf("the click reached %s: %v", remote.url, hits)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
