package web

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// colourProbes are elements as the UI draws them, each as "tag.class
// class", put on the page (page) or in a card (card): every text colour
// of style.css on what it stands on, as TestStyleContrast checks the
// light palette's by reading the file, here as the browser computes them
// in either colour scheme.
var colourProbes = []struct{ where, el string }{
	{"page", "p.advice"}, {"page", "p.ok"}, {"page", "p.error"}, {"page", "p.muted"}, {"page", "a"}, {"page", "p"},
	{"card", "p.advice"}, {"card", "p.ok"}, {"card", "p.error"}, {"card", "p.muted"}, {"card", "a"}, {"card", "p"}, {"card", "span.when"},
	{"card", "span.badge"}, {"card", "span.badge category"}, {"card", "span.badge dup"}, {"card", "strong.dup"},
	{"card", "span.badge s-delivered"}, {"card", "span.badge s-deferred"}, {"card", "span.badge s-bounced"}, {"card", "span.badge s-expired"},
	{"card", "span.badge s-held"}, {"card", "span.badge s-suppressed"}, {"card", "span.badge s-inflight"}, {"card", "span.badge s-queued"},
	{"card", "span.badge k-relay-delivered"}, {"card", "span.badge k-relay-deferred"}, {"card", "span.badge k-relay-bounced"},
	{"card", "span.badge k-relay-expired"}, {"card", "span.badge k-relay-suppressed"}, {"card", "span.badge k-relay-attempt"},
	{"card", "span.badge p-ok"}, {"card", "span.badge p-pass"}, {"card", "span.badge p-warning"}, {"card", "span.badge p-listed"}, {"card", "span.badge p-error"},
	{"card", "span.bidi-ctl"}, {"card", "p.bidi-note"}, {"card", "div.msg-notes"}, {"card", "pre"}, {"card", "pre.transcript/div.t-c"},
	{"card", "pre.transcript/div.t-s"}, {"card", "pre.transcript/div.t-n"}, {"card", "button"}, {"card", "button.danger"},
	{"card", "strong.changed"}, {"card", "textarea"}, {"card", "input"}, {"card", "select"},
	{"top", "span.status on"}, {"top", "span.status off"}, {"top", "span.status wait"}, {"top", "a.brand"},
}

// TestBrowserColourSchemes: in the light scheme and in the dark one
// (prefers-color-scheme: dark), every text colour of the UI reads at WCAG
// 2 AA's 4.5:1 on what it stands on, the page's background follows the
// scheme, and a control reached with the keyboard shows a focus ring of
// its own (2 px at least, 3:1 on the card).
func TestBrowserColourSchemes(t *testing.T) {
	b, _, _, _, base := browserUI(t)
	var bgs []string
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
			t.Fatalf("emulate %s: %v", scheme, err)
		}
		b.do(t, chromedp.Navigate("about:blank"), chromedp.Navigate(base+"/#/rules"))
		b.waitFor(t, "the page", `document.getElementById("rules-text")`)
		var probes []string
		for _, p := range colourProbes {
			probes = append(probes, `["`+p.where+`", "`+p.el+`"]`)
		}
		got := b.eval(t, contrastJS+`;(() => {
			const main = document.getElementById("main");
			const card = document.createElement("section");
			card.className = "card";
			main.prepend(card);
			const top = document.querySelector(".top");
			const out = [];
			for (const [where, spec] of [`+strings.Join(probes, ", ")+`]) {
				let parent = where === "card" ? card : where === "top" ? top : main;
				let el = null;
				for (const part of spec.split("/")) {
					const [tag, cls] = part.split(".");
					el = document.createElement(tag);
					if (cls) el.className = cls;
					if (tag !== "input" && tag !== "textarea" && tag !== "select") el.textContent = "Aa 4.7.1 text";
					parent.append(el);
					parent = el;
				}
				const r = contrastOf(el);
				if (r < 4.5) out.push(where + " " + spec + ": " + getComputedStyle(el).color + " on " + backgroundOf(el) + " is " + r.toFixed(2) + ":1");
			}
			return [out.join("; "), backgroundOf(document.body)];
		})()`).([]any)
		if bad := got[0].(string); bad != "" {
			t.Errorf("%s scheme: text below 4.5:1: %s", scheme, bad)
		}
		bgs = append(bgs, got[1].(string))

		// The keyboard's focus: Tab from the page to the first control.
		b.do(t, chromedp.Navigate("about:blank"), chromedp.Navigate(base+"/#/rules"))
		b.waitFor(t, "the page", `document.getElementById("rules-text")`)
		b.do(t, chromedp.KeyEvent(kb.Tab))
		b.waitFor(t, "the focus", `document.activeElement && document.activeElement !== document.body`)
		// Tab on until a control of the page's own, past the header's links.
		for range 12 {
			if b.eval(t, `!!document.activeElement.closest("#main")`) == true {
				break
			}
			b.do(t, chromedp.KeyEvent(kb.Tab))
		}
		ring := b.eval(t, contrastJS+`;(() => {
			const el = document.activeElement;
			const s = getComputedStyle(el);
			const w = parseFloat(s.outlineWidth) || 0;
			const r = s.outlineStyle === "none" || s.outlineStyle === "auto" ? 0 : ratio(parseColour(s.outlineColor), parseColour(backgroundOf(el.parentElement)));
			return el.tagName + " " + (el.id || el.className) + ": outline " + s.outlineStyle + " " + w + "px " + s.outlineColor + ", " + r.toFixed(2) + ":1" + (el.matches(":focus-visible") && s.outlineStyle === "solid" && w >= 2 && r >= 3 ? "" : " BAD");
		})()`).(string)
		if strings.HasSuffix(ring, " BAD") {
			t.Errorf("%s scheme: the control reached with Tab shows no focus ring of its own (2px solid, 3:1): %s", scheme, ring)
		}
		b.screenshot(t, "colour-scheme-"+scheme)
	}
	if bgs[0] == bgs[1] {
		t.Errorf("the page's background is %s in both schemes, want a dark one for prefers-color-scheme: dark", bgs[0])
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// contrastJS computes WCAG 2 contrast ratios of computed colours:
// contrastOf(el) is el's text colour on the first opaque background
// under it.
const contrastJS = `
function parseColour(c) {
	const m = /rgba?\(([\d.]+),? ([\d.]+),? ([\d.]+)(?:,? \/? ?([\d.]+))?\)/.exec(c);
	return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : [0, 0, 0, 0];
}
function backgroundOf(el) {
	for (let e = el; e; e = e.parentElement) {
		const c = getComputedStyle(e).backgroundColor;
		if (parseColour(c)[3] > 0) return c;
	}
	return "rgb(255, 255, 255)";
}
function luminance([r, g, b]) {
	const f = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); };
	return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}
function ratio(a, b) {
	const la = luminance(a), lb = luminance(b);
	return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}
function contrastOf(el) {
	return ratio(parseColour(getComputedStyle(el).color), parseColour(backgroundOf(el)));
}`
