package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// wa26Named lists the page's nodes of the given roles as a screen reader
// has them, "role: name", from Chromium's accessibility tree.
func wa26Named(t *testing.T, b *browserPage, roles ...string) []string {
	t.Helper()
	res, err := chromedp.Call(b.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatalf("accessibility tree: %v", err)
	}
	var out []string
	for _, n := range res.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		role := strings.Trim(string(n.Role.Value), `"`)
		for _, want := range roles {
			if role != want {
				continue
			}
			name := ""
			if n.Name != nil {
				name = strings.Trim(string(n.Name.Value), `"`)
			}
			out = append(out, role+": "+strings.TrimSpace(name))
		}
	}
	return out
}

// TestWA26QueueHeadersAndButtonsNamed: every column header of the Queue
// page's three tables has a name (the buttons' columns were empty
// headers, read as nothing), and each suppressed address's Remove names
// its address, as Retry, Delete and Hold name theirs; the Feed's kind
// boxes are a named group.
func TestWA26QueueHeadersAndButtonsNamed(t *testing.T) {
	b := fu2Browser(t)
	f := fw3Rests()
	f.queue = fw2Queue(1).queue
	f.sup = []Suppression{{Address: "rcpt550+a@example.test", Reason: "invalid-recipient: 550 5.1.1", Since: time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC)}}
	s := listen(t, Options{Relay: f})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the three tables", `document.querySelector("#suppression-rows tr") && document.querySelector("#rest-rows button") && document.querySelector('#queue-table tr[data-id="q-000"] button')`)
	headers := wa26Named(t, b, "columnheader")
	if len(headers) != 8+5+5 {
		t.Errorf("column headers %q, want 18", headers)
	}
	for _, h := range headers {
		if h == "columnheader: " {
			t.Errorf("a column header without a name among %q", headers)
			break
		}
	}
	found := false
	for _, btn := range wa26Named(t, b, "button") {
		found = found || btn == "button: Remove rcpt550+a@example.test"
	}
	if !found {
		t.Errorf("no button named \"Remove rcpt550+a@example.test\" among %q", wa26Named(t, b, "button"))
	}

	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/feed"))
	b.waitFor(t, "the feed's boxes", `document.querySelector('input[data-kind="relay.delivered"]')`)
	if got := b.eval(t, `(() => { const g = document.querySelector('input[data-kind="relay.delivered"]').closest("[role=group]"); return g ? g.getAttribute("aria-label") : "none"; })()`); got != "Events shown" {
		t.Errorf("the feed's kind boxes are in the group %q, want one named \"Events shown\"", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestWA26FieldBoundaries: a text box, a search box and a select show
// their edges at WCAG 2.2's 3:1 for what identifies a control (1.4.11) on
// the page and in a card, in both colour schemes: an empty search box is
// known by its border alone. Before, their border was the cards' hairline
// (--line), at 1.2:1 to 1.4:1.
func TestWA26FieldBoundaries(t *testing.T) {
	b := fu2Browser(t)
	s := listen(t, Options{Sink: newFakeSink()})
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
			t.Fatalf("emulate %s: %v", scheme, err)
		}
		b.do(t, chromedp.Navigate("about:blank"), chromedp.Navigate("http://"+s.Addr()+"/#/rules"))
		b.waitFor(t, "the page", `document.getElementById("rules-text")`)
		got := b.eval(t, contrastJS+`;(() => {
			const main = document.getElementById("main");
			const card = document.createElement("section");
			card.className = "card";
			main.prepend(card);
			const out = [];
			for (const parent of [main, card]) {
				const form = document.createElement("form");
				form.className = "filters";
				parent.append(form);
				for (const spec of ["textarea", "input.search", "select"]) {
					const [tag, type] = spec.split(".");
					const el = document.createElement(tag);
					if (type) el.type = type;
					form.append(el);
					const s = getComputedStyle(el);
					const edge = parseColour(s.borderTopColor);
					const r = Math.min(ratio(edge, parseColour(backgroundOf(form))), ratio(edge, parseColour(backgroundOf(el))));
					if (s.borderTopStyle === "none" || parseFloat(s.borderTopWidth) < 1 || r < 3) {
						out.push((parent === card ? "card " : "page ") + spec + ": " + s.borderTopWidth + " " + s.borderTopStyle + " " + s.borderTopColor + ", " + r.toFixed(2) + ":1");
					}
				}
			}
			return out.join("; ");
		})()`).(string)
		if got != "" {
			t.Errorf("%s scheme: fields whose edge is under 3:1: %s", scheme, got)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestWA26PillEscape: the header's pill, opened with the keyboard, shows
// what its word means; Escape closes it again and the focus stays on the
// pill, as it closes a disclosure a keyboard user opened by mistake.
func TestWA26PillEscape(t *testing.T) {
	b := fu2Browser(t)
	s := listen(t, Options{Sink: newFakeSink()})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/rules"))
	b.waitFor(t, "the page", `document.getElementById("rules-text")`)
	state := `[document.getElementById("status").getAttribute("aria-expanded"), document.getElementById("status-why").hidden, document.activeElement.id].join(" ")`
	b.eval(t, `document.getElementById("status").focus()`)
	b.do(t, chromedp.KeyEvent(kb.Enter))
	if got := b.eval(t, state); got != "true false status" {
		t.Fatalf("Enter on the pill: %v, want it expanded, its meaning shown", got)
	}
	b.do(t, chromedp.KeyEvent(kb.Escape))
	if got := b.eval(t, state); got != "false true status" {
		t.Errorf("Escape on the opened pill: %v, want it closed and the focus on it", got)
	}
}
