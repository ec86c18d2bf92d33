package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// wu26Lines is, for each cell of sel with text, how many lines its text
// takes, as "text: n" for the cells on more than one line.
const wu26Lines = `((sel) => [...document.querySelectorAll(sel)].filter((td) => td.textContent.trim() && td.offsetParent).flatMap((td) => {
	const r = document.createRange(); r.selectNodeContents(td);
	const n = new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.bottom))).size;
	return n > 1 ? [td.textContent + ": " + n] : [];
}))`

// TestWU26MessagesSaysWhatItLists: the Messages page says under its
// heading that it lists the relay's outgoing mail, and links the Inbox
// for what the sink caught. Before, it had no words at all, and a
// Mailpit user took it for the caught mail.
func TestWU26MessagesSaysWhatItLists(t *testing.T) {
	b, _, _, _, base := browserUI(t)
	b.do(t, chromedp.Navigate(base+"/#/messages"))
	b.waitFor(t, "the page's line", `document.getElementById("messages-about")`)
	want := "Mail submitted to relaylab's relay, with each recipient's outcome. What the sink received is under Inbox."
	if got := b.eval(t, `document.getElementById("messages-about").textContent`); got != want {
		t.Errorf("the Messages page says %q, want %q", got, want)
	}
	if got := b.eval(t, `[...document.querySelectorAll("#messages-about a")].map((a) => a.textContent + " " + a.getAttribute("href")).join()`); got != "Inbox #/inbox" {
		t.Errorf("its links are %q, want Inbox #/inbox", got)
	}
	if got := b.eval(t, `document.querySelector("main h1").nextElementSibling.id`); got != "messages-about" {
		t.Errorf("the element under the heading is %v, want the line", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestWU26TimeCellsOnOneLine: a time in the Queue's, the Messages', the
// Inbox's and the Feed's tables stays on one line at every width from a
// tablet's to a desktop's; and on the Feed at 760 px the detail column
// is the widest, not the message's id or the recipient's. Before, the
// Queue's next attempt broke into "2026-11-" / "30" / "16:21:41Z".
func TestWU26TimeCellsOnOneLine(t *testing.T) {
	b := fu2Browser(t)
	st := openStore(t, clock.Real{})
	relay, sink, _ := filledFakes()
	relay.queue = append(relay.queue, fw2Queue(2).queue...)
	for i := range relay.queue {
		for j := range relay.queue[i].Waiting {
			w := &relay.queue[i].Waiting[j]
			w.LastReply.Text = "greylisted: the sender's address is new here, please try again in 300 seconds; see https://postmaster.example.test/greylisting for why"
		}
	}
	s := listen(t, Options{Store: st, Relay: relay, Sink: sink})
	base := "http://" + s.Addr()
	var evs []events.Event
	for i := range 3 {
		id := fmt.Sprintf("out-%d", i)
		rcpt := fmt.Sprintf("customer.name.%d@subdomain.example.test", i)
		evs = append(evs,
			events.Event{Kind: events.RelayQueued, Message: id, Recipient: rcpt}.
				WithPayload(map[string]any{"sender": "newsletter-sender@shop.example.test", "subject": "Your order has shipped and will arrive in three to five working days"}),
			events.Event{Kind: events.RelayDeferred, Message: id, Recipient: rcpt}.
				WithPayload(map[string]any{"reply": map[string]any{"code": 451, "enhanced": "4.7.1", "text": "greylisted: please try again in 300 seconds, the sender's address is new here"}}))
	}
	appendEvents(t, st, evs...)
	for i := range 3 {
		raw := "From: Shop <newsletter-sender@shop.example.test>\r\nTo: customer.name@example.test\r\nSubject: Your order has shipped and will arrive soon\r\n\r\nhello\r\n"
		addInbox(t, st, inboxRow{id: int64(i + 1), session: 1, from: "bounces+12345@mailer.shop.example.test", rcpts: "customer.name@example.test",
			raw: raw, code: 250, text: "ok"})
	}
	defer b.do(t, chromedp.ResetViewport())
	pages := []struct{ frag, ready, cells string }{
		{"queue", `document.querySelectorAll("#queue-table td button").length >= 4`, `#queue-table td:is([data-label=next], [data-label="held until"]), #rest-rows td:is([data-label=since], [data-label=until])`},
		{"messages", `document.querySelectorAll("#messages-rows tr").length === 3`, `#messages-rows td:first-child`},
		{"inbox", `document.querySelectorAll("#inbox-rows tr").length === 3`, `#inbox-rows td[data-label=received]`},
		{"feed", `document.querySelectorAll("#feed-rows tr").length >= 6`, `#feed-rows td:first-child`},
	}
	for _, w := range []int64{760, 900, 1000, 1120, 1280} {
		b.do(t, chromedp.EmulateViewport(w, 900))
		for _, p := range pages {
			b.do(t, chromedp.Navigate(base+"/#/"+p.frag))
			b.waitFor(t, "the "+p.frag+" page", p.ready)
			if n := b.eval(t, `document.querySelectorAll(`+"`"+p.cells+"`"+`).length`); n == float64(0) {
				t.Fatalf("%s at %d px: no time cell matches %s", p.frag, w, p.cells)
			}
			if got := b.eval(t, wu26Lines+"(`"+p.cells+"`).join(\" | \")"); got != "" {
				t.Errorf("%s at %d px: time cells on more than one line: %v", p.frag, w, got)
			}
		}
	}
	b.do(t, chromedp.EmulateViewport(760, 900))
	b.do(t, chromedp.Navigate(base+"/#/feed"))
	b.waitFor(t, "the feed", pages[3].ready)
	// Each row's detail takes the table's width, less a few pixels (as a
	// table the detail had 184 px of 730, the address 289).
	got := b.eval(t, `(() => { const all = document.querySelector("table.feed").getBoundingClientRect().width;
		return [...document.querySelectorAll("#feed-rows tr:not([hidden])")].map((tr) => [...tr.cells].map((td) => Math.round(td.getBoundingClientRect().width)))
			.filter((c) => c[4] < all * 0.9).map((c) => c.join() + " of " + Math.round(all)).join(" | "); })()`)
	if n := b.eval(t, `document.querySelectorAll("#feed-rows tr:not([hidden])").length`); n == float64(0) {
		t.Fatal("the feed at 760 px shows no row")
	}
	if got != "" {
		t.Errorf("the feed at 760 px: rows whose detail has less than 90%% of the width (each cell's width): %v", got)
	}
	if fits := b.eval(t, `document.documentElement.scrollWidth <= window.innerWidth`); fits != true {
		t.Errorf("the feed at 760 px is wider than the window")
	}
	b.screenshot(t, "wu26-feed-760")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestWU26QueueTimesBreakBetweenDateAndHour: a Queue whose messages
// have a 35-character address on both sides has no room at 1,280 px for
// its times on one line; they break between the date and the hour only,
// and the table stays inside its box. Before, a time broke inside its
// date ("2026-11-" / "30" / "16:21:41Z").
func TestWU26QueueTimesBreakBetweenDateAndHour(t *testing.T) {
	b := fu2Browser(t)
	f := fw2Queue(2)
	for i := range f.queue {
		e := &f.queue[i]
		e.From, e.Recipients = addrFrom, []string{addrTo}
		e.Waiting[0].Address, e.Waiting[0].LastReply.Text = addrTo, longReply
	}
	s := listen(t, Options{Relay: f})
	b.do(t, chromedp.EmulateViewport(1280, 900))
	defer b.do(t, chromedp.ResetViewport())
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the queue", `document.querySelectorAll("#queue-table td.reply").length === 2`)
	// Each part of each time on one line, and each time on two at most.
	got := b.eval(t, `(() => { const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el);
			return new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.bottom))).size; };
		return [...document.querySelectorAll("#queue-table td[data-label=next]")].flatMap((td) =>
			lines(td) > 2 || [...td.children].some((p) => lines(p) > 1) ? [td.textContent + ": " + lines(td)] : []).join(" | "); })()`)
	if got != "" {
		t.Errorf("times broken inside their date or hour: %v", got)
	}
	if n := b.eval(t, `document.querySelectorAll("#queue-table td[data-label=next] span").length`); n != float64(4) {
		t.Errorf("the times have %v parts, want 4 (a date and an hour each)", n)
	}
	if fits := b.eval(t, `(() => { const box = document.getElementById("queue-table").parentElement; return box.scrollWidth <= box.clientWidth + 1; })()`); fits != true {
		t.Errorf("the queue's table runs off its box at 1,280 px")
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestWU26EmptyQueueHidesTable: an empty queue shows its note and what
// would fill it, with no table header under them; a message that comes
// brings the table back, and its leaving hides it again.
func TestWU26EmptyQueueHidesTable(t *testing.T) {
	b := fu2Browser(t)
	p := &pagingRelay{fakeRelay: fw2Queue(0)}
	s := listen(t, Options{Relay: p})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the empty state", `!document.getElementById("queue-empty").hidden`)
	seen := `document.getElementById("queue-table").getClientRects().length > 0`
	if got := b.eval(t, seen); got != false {
		t.Errorf("an empty queue shows its table: %v", got)
	}
	p.mu.Lock()
	p.queue, p.depth = fw2Queue(1).queue, 1
	p.mu.Unlock()
	b.waitFor(t, "the table, with a row", seen+` && document.querySelector("#queue-table tr[data-id]")`)
	p.mu.Lock()
	p.queue, p.depth = nil, 0
	p.mu.Unlock()
	b.waitFor(t, "the table hidden again", `!(`+seen+`) && !document.getElementById("queue-empty").hidden`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestWU26UnknownPageSuggests: a fragment one or two edits from a page's
// name offers that page as a link; one further from every page lists
// them all. Before, "No such page: mesages" said nothing more.
func TestWU26UnknownPageSuggests(t *testing.T) {
	b, _, _, _, base := browserUI(t)
	for _, c := range []struct{ frag, text, links string }{
		{"mesages", "No such page: mesages. Did you mean Messages?", "#/messages"},
		{"Inbx", "No such page: Inbx. Did you mean Inbox?", "#/inbox"},
		{"probe/x", "No such page: probe/x. Did you mean Probes?", "#/probes"},
		{"settings", "No such page: settings. The pages are Feed, Messages, Queue, Inbox, Sink, Rules, Probes, Charts.",
			"#/feed #/messages #/queue #/inbox #/sink #/rules #/probes #/charts"},
	} {
		b.do(t, chromedp.Navigate(base+"/#/"+c.frag))
		b.waitFor(t, "the page for "+c.frag, `document.getElementById("no-page")`)
		if got := b.eval(t, `document.getElementById("no-page").textContent`); got != c.text {
			t.Errorf("#/%s says %q, want %q", c.frag, got, c.text)
		}
		if got := b.eval(t, `[...document.querySelectorAll("#no-page a")].map((a) => a.getAttribute("href")).join(" ")`); got != c.links {
			t.Errorf("#/%s links %q, want %q", c.frag, got, c.links)
		}
	}
	b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("#no-page a").click()`))
	b.waitFor(t, "the Feed", `location.hash === "#/feed" && document.querySelector("main h1").textContent === "Live feed"`)
	if !strings.HasSuffix(b.eval(t, `document.title`).(string), "relaylab") {
		t.Errorf("the title after the link is %v", b.eval(t, `document.title`))
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
