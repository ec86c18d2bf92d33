package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// TestBrowserBodyLinksNoClick: no click of any kind on a link in a
// message's HTML body loads it: not a middle click, nor one with Ctrl,
// Shift or Alt (a new tab, a new window, a download: the reader's own
// commands, which the sandbox does not refuse), on an a, an a with
// target=_parent, a relative one under the message's <base href>, an
// SVG a, an area, or an SVG a whose href an animation (set, animate, of
// href or xlink:href, from inside it or naming it) would give it. The body keeps the links' text, each link's title
// says where it went, and the page still lists them.
func TestBrowserBodyLinksNoClick(t *testing.T) {
	remote := newHitRecorder(t)
	b, _, relay, _, base := browserUI(t)
	const gif = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
	block := `style="display:block;height:40px;margin:0;background:#eee"`
	relay.mu.Lock()
	relay.msgs["nc-1"] = MessageDetail{ID: "nc-1", From: "a@shop.test", To: []string{"b@example.test"}, Subject: "links",
		HTML: `<!doctype html><html><head><base href="` + remote.url + `/base/"></head><body style="margin:0">` +
			`<a id="l0" href="` + remote.url + `/plain" ` + block + `>plain</a>` +
			`<a id="l1" href="` + remote.url + `/parent" target="_parent" ` + block + `>parent</a>` +
			`<a id="l2" href="relative" ` + block + `>relative</a>` +
			`<svg id="l3" width="300" height="40" style="display:block"><a xlink:href="` + remote.url + `/svg"><rect width="300" height="40" fill="#ccc"/></a></svg>` +
			`<img id="l4" usemap="#m" src="` + gif + `" width="300" height="40" style="display:block"><map name="m"><area shape="rect" coords="0,0,300,40" href="` + remote.url + `/area" alt="area"></map>` +
			// SVG animations that give an a its href while they run.
			`<svg width="300" height="40" style="display:block"><a id="s1"><set attributeName="href" to="` + remote.url + `/set"/><rect width="300" height="40" fill="#ccc"/></a></svg>` +
			`<svg width="300" height="40" style="display:block"><a id="s2"><animate attributeName="href" values="` + remote.url + `/animate;` + remote.url + `/animate2" dur="2s" repeatCount="indefinite"/><rect width="300" height="40" fill="#ccc"/></a></svg>` +
			`<svg width="300" height="40" style="display:block"><a id="s3"><set attributeName="xlink:href" to="` + remote.url + `/xlink"/><rect width="300" height="40" fill="#ccc"/></a></svg>` +
			`<svg width="300" height="40" style="display:block"><a id="s4"><rect width="300" height="40" fill="#ccc"/></a><set href="#s4" attributeName="href" to="` + remote.url + `/other"/></svg>` +
			`</body></html>`}
	relay.mu.Unlock()

	b.do(t, chromedp.Navigate(base+"/#/messages/nc-1"))
	b.waitFor(t, "the body and its links", `document.querySelector("iframe.body") && document.querySelectorAll("#html-links li").length === 5`)
	if got := b.eval(t, `[...document.querySelectorAll("#html-links li .mono")].map((s) => s.textContent).join(" ")`).(string); !strings.Contains(got, remote.url+"/base/relative") {
		t.Errorf("the links listed: %s; want the relative one as it resolves under the message's base", got)
	}
	frame := func() []*target.Info {
		ts, err := chromedp.CallBrowser(b.ctx, target.GetTargets, target.GetTargetsParams{})
		if err != nil {
			t.Fatalf("targets: %v", err)
		}
		return ts.TargetInfos
	}
	var fi *target.Info
	deadline := time.Now().Add(30 * time.Second)
	for fi == nil {
		for _, ti := range frame() {
			if ti.Type == "iframe" && strings.HasSuffix(ti.URL, "/body.html") {
				fi = ti
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the body's frame never showed as a target of its own")
		}
		time.Sleep(20 * time.Millisecond)
	}
	fctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(fi.TargetID))
	defer cancel()
	var titles string
	for {
		v, err := chromedp.Run(fctx, chromedp.Evaluate[string](`document.readyState === "complete" && document.images[0].complete ? `+
			`[...document.querySelectorAll("a, area")].map((a) => (a.getAttribute("href") ?? "") + (a.getAttributeNS("http://www.w3.org/1999/xlink", "href") ?? "") + "|" + (a.getAttribute("title") ?? "")).join("\n") : ""`))
		if err == nil && v != "" {
			titles = v
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the body's frame never loaded: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// An animation gives none of the SVG links an address.
	if live, err := chromedp.Run(fctx, chromedp.Evaluate[string](`[...document.querySelectorAll("svg a[id]")].map((a) => a.id + "=" + a.href.animVal).join(" ")`)); err != nil || live != "s1= s2= s3= s4=" {
		t.Errorf("the animated SVG links' addresses: %q (%v), want none", live, err)
	}
	for _, w := range []string{"|not followed: " + remote.url + "/plain", "|not followed: " + remote.url + "/base/relative", "|not followed: " + remote.url + "/area"} {
		if !strings.Contains(titles, w) {
			t.Errorf("the body's links (href|title):\n%s\nlack %q", titles, w)
		}
	}

	b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("iframe.body").scrollIntoView()`))
	xy := b.eval(t, `(() => { const r = document.querySelector("iframe.body").getBoundingClientRect(); return [r.left + r.width / 3, r.top + 1]; })()`).([]any)
	x, y0 := xy[0].(float64), xy[1].(float64)
	for i := range 9 {
		y := y0 + 20 + 40*float64(i)
		for _, click := range []struct {
			name string
			opts []chromedp.MouseOption
		}{
			{"middle", []chromedp.MouseOption{chromedp.ButtonType(input.MouseButtonMiddle)}},
			{"ctrl", []chromedp.MouseOption{chromedp.ButtonLeft, chromedp.ButtonModifiers(chromedp.ModifierCtrl)}},
			{"shift", []chromedp.MouseOption{chromedp.ButtonLeft, chromedp.ButtonModifiers(chromedp.ModifierShift)}},
			{"alt", []chromedp.MouseOption{chromedp.ButtonLeft, chromedp.ButtonModifiers(chromedp.ModifierAlt)}},
			{"plain", []chromedp.MouseOption{chromedp.ButtonLeft}},
		} {
			opts := append(click.opts, chromedp.ClickCount(1))
			b.do(t, chromedp.MouseEvent(chromedp.MousePressed, x, y, opts...), chromedp.MouseEvent(chromedp.MouseReleased, x, y, opts...))
			// A tab opened for a click can take the input of the next:
			// stop at the first load seen.
			if hits := remote.count(); len(hits) > 0 {
				t.Fatalf("by the %s click on link l%d, clicks in the body had reached %s: %v", click.name, i, remote.url, hits)
			}
		}
	}
	// A load starts as a click is handled; give the last one time to
	// reach the recorder (this waits for nothing that must happen).
	time.Sleep(1500 * time.Millisecond)
	if hits := remote.count(); len(hits) > 0 {
		t.Errorf("a click in the body reached %s: %v", remote.url, hits)
	}
	var pages []string
	for _, ti := range frame() {
		if ti.Type == "page" {
			pages = append(pages, ti.URL)
		}
	}
	if len(pages) != 1 {
		t.Errorf("after the clicks the browser has %d pages, want the UI alone: %s", len(pages), fmt.Sprint(pages))
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
