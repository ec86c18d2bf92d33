package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserAnnounces: a live page says what changed in one polite
// status region, not chattily: new events in the feed as one count, the
// stream lost and back; the header's pill has its meaning as its
// description, shown when pressed.
func TestBrowserAnnounces(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	start := func(addr string) *Server { return serveStoreAt(t, st, addr) }
	s := start("127.0.0.1:0")
	addr := s.Addr()
	appendEvents(t, st, events.Event{Kind: events.RelayDelivered, Message: "before-1", Recipient: "a@example.com"})
	b.do(t, chromedp.Navigate("http://"+addr+"/#/feed"))
	b.waitFor(t, "the stream", `document.getElementById("status").textContent === "live" && document.querySelector("#feed-rows tr")`)
	region := `document.querySelector('[role=status][aria-live=polite]')`
	if got := b.eval(t, `(() => { const r = `+region+`; return r ? r.id + " " + JSON.stringify(r.textContent) + " " + document.querySelectorAll("[aria-live], [role=status], [role=log], [role=alert]").length : "none"; })()`); got != `announce "" 1` {
		t.Errorf("the live region: %v, want one, #announce, that says nothing of what the page showed as it opened", got)
	}
	why := `document.getElementById(document.getElementById("status").getAttribute("aria-describedby"))`
	if got := b.eval(t, why+`?.textContent ?? "no description"`).(string); !strings.Contains(got, "follows the event stream") {
		t.Errorf("the pill's description: %q, want what live means", got)
	}
	b.eval(t, `document.getElementById("status").click()`)
	if got := b.eval(t, `[`+why+`.getBoundingClientRect().height > 0, document.getElementById("status").getAttribute("aria-expanded")].join(" ")`); got != "true true" {
		t.Errorf("pressed, the pill's meaning is shown %v, want it shown and the pill expanded", got)
	}

	appendEvents(t, st, events.Event{Kind: events.RelayDelivered, Message: "new-1", Recipient: "a@example.com"},
		events.Event{Kind: events.RelayDeferred, Message: "new-2", Recipient: "b@example.com"},
		events.Event{Kind: events.RelayBounced, Message: "new-3", Recipient: "c@example.com"},
		events.Event{Kind: events.RelayQueued, Message: "new-4", Recipient: "d@example.com"}) // not ticked: not shown, not counted
	b.waitFor(t, "the new events said", region+`.textContent !== ""`)
	if got := b.eval(t, region+`.textContent`); got != "3 new events in the feed" {
		t.Errorf("the live region says %q, want \"3 new events in the feed\"", got)
	}

	s.Shutdown(context.Background())
	b.waitFor(t, "the lost stream said", region+`.textContent.includes("dropped")`)
	s = start(addr)
	defer s.Shutdown(context.Background())
	b.waitFor(t, "the stream back said", region+`.textContent === "The event stream is live again."`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("errors in the page: %v", ex)
	}
}

// TestBrowserPageChange: each page has a title of its own; after a
// navigation, from the nav or from a link in a page, the focus is on the
// new page's h1, the nav marks its page with aria-current, and a skip
// link leads past the header.
func TestBrowserPageChange(t *testing.T) {
	b, st, _, sink, base := browserUI(t)
	addInbox(t, st, inboxMessages()...)
	sink.mu.Lock()
	sink.msgs["4"] = MessageDetail{ID: "4", From: "a@shop.test", To: []string{"b@example.test"}, Subject: "hi"}
	sink.mu.Unlock()
	focus := `(() => { const f = document.activeElement; return f ? f.tagName + " " + f.textContent.trim() : "none"; })()`
	current := `[...document.querySelectorAll("#nav a[aria-current=page]")].map((a) => a.textContent).join(",")`

	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelector("#inbox-rows tr a")`)
	if got := b.eval(t, `document.title + " | " + `+current); got != "Inbox · relaylab | Inbox" {
		t.Errorf("the inbox's title and current nav entry: %v", got)
	}
	// Enter on a row's link: the old page goes, the focus to the new h1.
	b.eval(t, `document.querySelector('#inbox-rows tr[data-id="4"] a[href^="#/sink/messages/"]').focus()`)
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "the message's page", `location.hash === "#/sink/messages/4" && document.querySelector("#main h1")`)
	b.waitFor(t, "the focus on its h1", `document.activeElement === document.querySelector("#main h1")`)
	if got := b.eval(t, `document.title + " | " + `+focus); got != "Received message 4 · relaylab | H1 Received message 4" {
		t.Errorf("after Enter on a row's link: %v, want the message's title and the focus on its h1", got)
	}
	// A received message belongs to the Inbox in the nav, not to the
	// Sink's sessions.
	if got := b.eval(t, current); got != "Inbox" {
		t.Errorf("the nav's current entry on a received message: %v, want Inbox", got)
	}
	// A nav link.
	b.eval(t, `document.querySelector('#nav a[href="#/queue"]').click()`)
	b.waitFor(t, "the queue's h1 focused", `location.hash === "#/queue" && document.activeElement === document.querySelector("#main h1")`)
	if got := b.eval(t, `document.title + " | " + `+current+` + " | " + `+focus); got != "Queue · relaylab | Queue | H1 Queue" {
		t.Errorf("after the nav's Queue: %v", got)
	}
	// The skip link: the first stop for Tab, shown when it has the focus,
	// and it leads to the page's h1 without changing the page.
	b.do(t, chromedp.Navigate("about:blank"), chromedp.Navigate(base+"/#/charts"))
	b.waitFor(t, "the charts", `document.querySelector("#main h1")`)
	b.do(t, chromedp.KeyEvent(kb.Tab))
	if got := b.eval(t, `(() => { const f = document.activeElement; return f.className + " " + f.textContent + " " + (f.getBoundingClientRect().width > 20); })()`); got != "skip Skip to the page true" {
		t.Errorf("the first Tab stop: %v, want the skip link, shown", got)
	}
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "the h1 focused", `document.activeElement === document.querySelector("#main h1")`)
	if got := b.eval(t, `location.hash + " " + document.title`); got != "#/charts Charts · relaylab" {
		t.Errorf("after the skip link: %v, want the charts page still", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("errors in the page: %v", ex)
	}
}

// TestBrowserChartsAccessible: each chart is an image with a name that
// says what it shows, its figures are under it as a table, the window's
// select has a label, and at 320 px no chart is wider than the page.
func TestBrowserChartsAccessible(t *testing.T) {
	remote := newHitRecorder(t)
	b, st, _, _, base := browserUI(t)
	seedEvents(t, st, remote.url)
	b.do(t, chromedp.Navigate(base+"/#/charts"))
	b.waitFor(t, "the charts", `document.querySelectorAll("main svg[role=img]").length === 4 && document.querySelector("#chart-time svg rect")`)
	res, err := chromedp.Call(b.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatalf("accessibility tree: %v", err)
	}
	var images, combos []string
	for _, n := range res.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		name := ""
		if n.Name != nil {
			name = strings.Trim(string(n.Name.Value), `"`)
		}
		switch strings.Trim(string(n.Role.Value), `"`) {
		case "image":
			images = append(images, name)
		case "combobox":
			combos = append(combos, name)
		}
	}
	if len(images) != 4 {
		t.Errorf("the charts' images: %q, want 4", images)
	}
	for _, want := range []string{"Deliveries, deferrals, holds, bounces and expiries over the last hour", "Replies the relay got, by reply code", "Replies the sink gave, by reply code", "Bounces by category"} {
		found := false
		for _, n := range images {
			found = found || strings.HasPrefix(n, want)
		}
		if !found {
			t.Errorf("no chart named %q among %q", want, images)
		}
	}
	if strings.Join(combos, ",") != "Window:" {
		t.Errorf("the select's names: %q, want its label \"Window:\"", combos)
	}
	// The figures: a table under each chart, the totals of the one over
	// time the counts its bars stand for.
	// Each summary names its chart (to a screen reader: the name is
	// visually hidden), and each table has a caption that does.
	got := b.eval(t, `[...document.querySelectorAll(".chart")].map((c) => c.id + ": " + (c.querySelector("details.as-table:not([hidden]) summary")?.textContent ?? "none") + " #" + c.querySelectorAll("details.as-table tbody tr").length + " caption " + (c.querySelector("details.as-table caption")?.textContent ?? "none")).join("; ")`).(string)
	for id, title := range map[string]string{"chart-time": "Deliveries, deferrals and bounces", "chart-relay-codes": "Relay: replies the relay got",
		"chart-sink-codes": "Sink: replies the sink gave", "chart-categories": "Bounce categories"} {
		if !strings.Contains(got, id+": As a table: "+title+" #") || strings.Contains(got, id+": As a table: "+title+" #0") {
			t.Errorf("the charts' tables: %s; want one with rows under %s, its summary naming %q", got, id, title)
		}
	}
	for _, caption := range []string{"caption Deliveries, deferrals, holds and bounces: each bar", "caption Replies the relay got, by reply code",
		"caption Replies the sink gave, by reply code", "caption Bounces by category"} {
		if !strings.Contains(got, caption) {
			t.Errorf("the charts' tables: %s; want a %q", got, caption)
		}
	}
	sums := b.eval(t, `(() => {
		const rects = {};
		for (const r of document.querySelectorAll("#chart-time svg rect")) { const [k, v] = r.querySelector("title").textContent.split(" at ")[0].split(": "); rects[k] = (rects[k] || 0) + +v; }
		const heads = [...document.querySelectorAll("#chart-time table thead th")].map((th) => th.textContent);
		const totals = [...document.querySelectorAll("#chart-time table tfoot td")].map((td) => +td.textContent);
		return heads.slice(1).map((k, i) => k + " " + (rects[k] || 0) + "=" + totals[i]).join(", ");
	})()`).(string)
	for _, part := range strings.Split(sums, ", ") {
		f := append([]string{""}, strings.Fields(part)...)
		if v := strings.Split(f[len(f)-1], "="); len(v) != 2 || v[0] != v[1] {
			t.Errorf("the chart over time's table totals differ from its bars: %s", sums)
			break
		}
	}
	t.Logf("bars and table totals: %s", sums)
	b.do(t, chromedp.EmulateViewport(320, 800), chromedp.Navigate(base+"/#/charts"))
	b.waitFor(t, "the charts at 320 px", `document.querySelectorAll("main svg[role=img]").length === 4`)
	got = b.eval(t, `[document.documentElement.scrollWidth, ...[...document.querySelectorAll(".chart")].map((c) => Math.ceil(c.getBoundingClientRect().right))].join(" ")`).(string)
	t.Logf("at 320 px: %s", got)
	if !allAtMost(got, 320) {
		t.Errorf("at 320 px, the page's width and the charts' right edges: %s, want none past 320", got)
	}
	b.screenshot(t, "charts-320")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("errors in the page: %v", ex)
	}
}

// allAtMost says whether every number in the spaced list s is at most n.
func allAtMost(s string, n int) bool {
	for _, f := range strings.Fields(s) {
		v := 0
		for _, c := range f {
			if c < '0' || c > '9' {
				return false
			}
			v = v*10 + int(c-'0')
		}
		if v > n {
			return false
		}
	}
	return true
}
