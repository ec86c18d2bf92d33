package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// serveAt starts a server from opts at addr ("127.0.0.1:0" for any port),
// as a restarted relaylab serves the same store at the same address; the
// test shuts it down.
func serveAt(t *testing.T, opts Options, addr string) *Server {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background(), addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}

// TestBrowserS19SignedOutAfterRestart: while serve is down an open page
// says that serve is not answering (not "Failed to fetch", not "updates
// every 5 s"); once a restart has ended its session (web.token), it says
// that this browser is signed out, its buttons do nothing, and its link
// signs in again and comes back to the same view. The feed's stream,
// refused, says signed out too instead of reconnecting for ever.
func TestBrowserS19SignedOutAfterRestart(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	relay, _, _ := filledFakes()
	opts := Options{Store: st, Relay: relay, Auth: Auth{Token: "t0ken-of-the-test"}}
	s := serveAt(t, opts, "127.0.0.1:0")
	addr := s.Addr()
	conn := `document.getElementById("conn")`
	pill := `document.getElementById("status").textContent`

	b.do(t, chromedp.Navigate("http://"+addr+"/?token=t0ken-of-the-test#/queue"))
	b.waitFor(t, "the queue", `document.querySelectorAll("#queue-table td button").length >= 4`)
	if hidden := b.eval(t, conn+`.hidden`); hidden != true {
		t.Fatalf("the banner shows while serve answers: %v", b.eval(t, conn+`.textContent`))
	}

	s.Shutdown(context.Background())
	b.waitFor(t, "serve not answering", `!`+conn+`.hidden && `+conn+`.textContent.includes("relaylab serve is not answering")`)
	b.waitFor(t, "the failed poll", `document.getElementById("queue-note").className === "error"`)
	if note := b.eval(t, `document.getElementById("queue-note").textContent`).(string); strings.Contains(note, "Failed to fetch") || !strings.Contains(note, "not answering") {
		t.Errorf("the queue's note while serve is down: %q", note)
	}
	b.waitFor(t, "the pill", pill+` === "not answering"`)
	b.screenshot(t, "s19-not-answering")

	s = serveAt(t, opts, addr) // a restart: every session ended
	b.waitFor(t, "signed out", conn+`.textContent.includes("You are signed out")`)
	b.waitFor(t, "the pill", pill+` === "signed out"`)
	b.waitFor(t, "the poll refused", `document.getElementById("queue-note").textContent.includes("signed out")`)
	if note := b.eval(t, `document.getElementById("queue-note").textContent`).(string); strings.Contains(note, "Authorization: Bearer") || strings.Contains(note, "?token=") {
		t.Errorf("the queue's note shows the API's text for scripts: %q", note)
	}
	b.screenshot(t, "s19-signed-out")
	if href := b.eval(t, `document.getElementById("conn-signin").getAttribute("href")`); href != "/?signed-out#/queue" {
		t.Errorf("the sign-in link goes to %v, want /?signed-out#/queue", href)
	}
	if off := b.eval(t, `[...document.querySelectorAll("#main button")].every((x) => x.getAttribute("aria-disabled") === "true")`); off != true {
		t.Errorf("the page's buttons are not marked off while signed out")
	}
	// Delete does nothing: no question, no request.
	b.eval(t, `(() => { [...document.querySelectorAll("#queue-table button.danger")][0].click(); return true; })()`)
	if n := b.dialogs.Load(); n != 0 || b.eval(t, askOpen) != false {
		t.Errorf("Delete asked %d question(s) while signed out (the page's dialog open: %v)", n, b.eval(t, askOpen))
	}
	relay.mu.Lock()
	n := len(relay.queue)
	relay.mu.Unlock()
	if n != 2 {
		t.Errorf("the queue holds %d messages, want the 2 it had", n)
	}

	// Signing in again comes back to the queue, which works again.
	b.do(t, chromedp.Click("#conn-signin"))
	b.waitFor(t, "the sign-in form", `document.getElementById("token")`)
	b.do(t, chromedp.SendKeys("#token", "t0ken-of-the-test"), chromedp.Submit("#token"))
	b.waitFor(t, "the queue again", `location.hash === "#/queue" && document.querySelectorAll("#queue-table td button").length >= 4`)
	b.waitFor(t, "the pill", pill+` === "live"`)
	if hidden := b.eval(t, conn+`.hidden`); hidden != true {
		t.Errorf("the banner stays after the sign-in: %v", b.eval(t, conn+`.textContent`))
	}

	// The feed: its stream is refused after a restart, and says why.
	b.do(t, chromedp.Navigate("http://"+addr+"/#/feed"))
	b.waitFor(t, "the stream", pill+` === "live"`)
	s.Shutdown(context.Background())
	b.waitFor(t, "the lost stream", pill+` === "reconnecting"`)
	serveAt(t, opts, addr)
	b.waitFor(t, "signed out", pill+` === "signed out" && `+conn+`.textContent.includes("You are signed out")`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// eventSink records each change of its rules in the log, as the sink
// does (a sink.rules event, by SetRules), before it answers.
type eventSink struct {
	editorSink
	st *store.Store
	t  *testing.T
}

func (s eventSink) SetRules(ctx context.Context, r SinkRules) error {
	if err := s.editorSink.SetRules(ctx, r); err != nil {
		return err
	}
	appendEvents(s.t, s.st, events.Event{Kind: events.SinkRules}.WithPayload(map[string]any{"by": "SetRules"}))
	return nil
}

// TestBrowserS19RulesEditorsApart: of two editors who read the same
// rules, the second to save is told that the rules were replaced since
// its page read them, keeps its text, and may load the rules that run or
// save over them; a change of this page's own raises nobody's banner,
// and another's replaces an unedited text.
func TestBrowserS19RulesEditorsApart(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	sink := eventSink{editorSink{newFakeSink()}, st, t}
	s := listen(t, Options{Store: st, Sink: sink})
	base := "http://" + s.Addr()
	rulesNow := func() string {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return sink.rules.YAML
	}
	other := func(text string, hdr ...string) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"yaml": text})
		if code, _, b := do(t, "PUT", base+"/api/v1/sink/rules", string(body), hdr...); code != http.StatusOK {
			t.Fatalf("the other editor's PUT: %d %s", code, b)
		}
	}
	result := `document.getElementById("rules-result").textContent`
	banner := `document.getElementById("rules-changed")`

	b.do(t, chromedp.Navigate(base+"/#/rules"))
	b.waitFor(t, "the rules", `document.getElementById("rules-text").value.includes("defer.test")`)
	b.waitFor(t, "live", `document.getElementById("status").textContent === "live"`)
	_, hdr, _ := do(t, "GET", base+"/api/v1/sink/rules", "")

	// This page edits; the other editor, who read the same rules, saves
	// first.
	b.eval(t, `(() => { document.getElementById("rules-text").value = "- {name: mine}\n"; return true; })()`)
	other("- {name: theirs}\n", "If-Match", hdr.Get("ETag"))
	b.eval(t, `(() => { document.querySelector("#main .bar button").click(); return true; })()`)
	b.waitFor(t, "the refusal", result+`.startsWith("Not saved: the rules were replaced since this page read them")`)
	if got := rulesNow(); got != "- {name: theirs}\n" {
		t.Fatalf("the sink runs %q, want the other editor's rules kept", got)
	}
	if v := b.eval(t, `document.getElementById("rules-text").value`); v != "- {name: mine}\n" {
		t.Errorf("the editor's text is %q, want the edit kept", v)
	}
	b.waitFor(t, "the banner", `!`+banner+`.hidden && document.getElementById("rules-load-current") && document.getElementById("rules-save-over")`)
	b.screenshot(t, "s19-rules-replaced")

	// Saving over them: the page's own change raises no banner.
	b.do(t, chromedp.Click("#rules-save-over"))
	b.waitFor(t, "saved", result+`.startsWith("Saved")`)
	if got := rulesNow(); got != "- {name: mine}\n" {
		t.Fatalf("after saving over them the sink runs %q", got)
	}
	// Its event (appended before the answer) is judged; a script's change
	// after it then replaces the unedited text.
	other("- {name: later}\n")
	b.waitFor(t, "the text follows", `document.getElementById("rules-text").value === "- {name: later}\n"`)
	if hidden := b.eval(t, banner+`.hidden`); hidden != true {
		t.Errorf("a banner over an unedited text: %v", b.eval(t, banner+`.textContent`))
	}
	if got := b.eval(t, result).(string); !strings.Contains(got, "replaced elsewhere") {
		t.Errorf("the result line says %q, want that the rules were replaced elsewhere", got)
	}
	// Edited, the text stays when they change again, and Load gives the
	// rules that run.
	b.eval(t, `(() => { document.getElementById("rules-text").value += "# mine\n"; return true; })()`)
	other("- {name: latest}\n")
	b.waitFor(t, "the banner", `!`+banner+`.hidden && `+banner+`.textContent.includes("replaced elsewhere")`)
	b.do(t, chromedp.Click("#rules-load-current"))
	b.waitFor(t, "the current rules", `document.getElementById("rules-text").value === "- {name: latest}\n" && `+banner+`.hidden`)
	// Saved from there: no conflict.
	b.eval(t, `(() => { document.getElementById("rules-text").value = "- {name: final}\n"; document.querySelector("#main .bar button").click(); return true; })()`)
	b.waitFor(t, "saved", result+`.startsWith("Saved")`)
	if got := rulesNow(); got != "- {name: final}\n" {
		t.Errorf("the sink runs %q, want the page's last save", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserS19ReloadFailed: a SIGHUP reload of the rules that failed is
// a row of the feed, which says that the old rules still run and gives
// the error with its place in the file, and a banner on the rules page
// while no change of the rules has come since.
func TestBrowserS19ReloadFailed(t *testing.T) {
	b, st, _, _, base := browserUI(t)
	const err = "relaylab.yaml:8:72: sink.rules[1].reply: 354 does not fit stage rcpt (a 354 answers DATA alone)"
	failed := events.Event{Kind: events.SinkReloadFailed}.WithPayload(map[string]any{"by": "SIGHUP", "error": err})
	appendEvents(t, st, events.Event{Kind: events.SinkRules}.WithPayload(map[string]any{"by": "Reload"}), failed)

	b.do(t, chromedp.Navigate(base+"/#/feed"))
	row := `[...document.querySelectorAll("#feed-rows tr")].find((tr) => tr.textContent.includes("` + events.SinkReloadFailed + `"))`
	b.waitFor(t, "the row", row+` && !(`+row+`).hidden`)
	text := b.eval(t, `(`+row+`).textContent`).(string)
	for _, want := range []string{"SIGHUP reload of the sink's rules was refused", "the old rules still run", err, "send SIGHUP again"} {
		if !strings.Contains(text, want) {
			t.Errorf("the feed's row %q lacks %q", text, want)
		}
	}
	if href := b.eval(t, `(`+row+`).querySelector("a").getAttribute("href")`); href != "#/rules" {
		t.Errorf("the row links to %v, want the rules page", href)
	}

	refused := `document.getElementById("rules-reload-failed")`
	b.do(t, chromedp.Navigate(base+"/#/rules"))
	b.waitFor(t, "the banner", `!`+refused+`.hidden`)
	if got := b.eval(t, refused+`.textContent`).(string); !strings.Contains(got, "was refused: the sink still runs the rules it had") || !strings.Contains(got, err) {
		t.Errorf("the rules page says %q", got)
	}
	b.screenshot(t, "s19-reload-failed")
	b.waitFor(t, "live", `document.getElementById("status").textContent === "live"`)
	appendEvents(t, st, events.Event{Kind: events.SinkRules}.WithPayload(map[string]any{"by": "Reload"}))
	b.waitFor(t, "the banner gone after a reload that worked", refused+`.hidden`)
	appendEvents(t, st, failed)
	b.waitFor(t, "the banner again", `!`+refused+`.hidden`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserS19SuppressionRemove: Remove asks first, as a queued
// message's Delete does, and says what it did above the list; a No
// removes nothing.
func TestBrowserS19SuppressionRemove(t *testing.T) {
	b, _, relay, _, base := browserUI(t)
	relay.mu.Lock()
	relay.sup = []Suppression{{Address: "gone@example.com", Reason: "550 5.1.1 no such user (hard bounce)"}}
	relay.mu.Unlock()
	listed := func() int {
		relay.mu.Lock()
		defer relay.mu.Unlock()
		return len(relay.sup)
	}
	b.do(t, chromedp.Navigate(base+"/#/queue"))
	b.waitFor(t, "the list", `document.querySelector("#suppression-rows button")`)
	b.eval(t, `document.querySelector("#suppression-rows button").click()`)
	asked := wu27Answer(t, b, false)
	if !strings.Contains(asked, "Remove gone@example.com from the suppression list?") || !strings.Contains(asked, "no such user") {
		t.Errorf("Remove asked %q", asked)
	}
	if n := listed(); n != 1 {
		t.Fatalf("a No removed the address")
	}
	b.eval(t, `document.querySelector("#suppression-rows button").click()`)
	wu27Answer(t, b, true)
	b.waitFor(t, "what it did", `document.getElementById("suppression-said").textContent.includes("gone@example.com removed from the suppression list at")`)
	if n := listed(); n != 0 {
		t.Errorf("the address is still listed")
	}
	b.waitFor(t, "the row gone", `!document.querySelector("#suppression-rows tr")`)
}

// TestBrowserS19TablesAt800: on a window 800 px wide the Queue's and the
// Inbox's tables fit: nothing scrolls sideways, and the buttons and the
// reply column are on the screen.
func TestBrowserS19TablesAt800(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	relay, sink, _ := filledFakes()
	relay.sup = append(relay.sup, Suppression{Address: "a.very.long.mailbox.name.that.goes.on@subdomain.of.a.long.example.com",
		Reason: "invalid-recipient: 550 5.1.1 <a.very.long.mailbox.name.that.goes.on@subdomain.of.a.long.example.com>: Recipient address rejected: User unknown in virtual mailbox table"})
	s := listen(t, Options{Store: st, Relay: relay, Sink: sink})
	base := "http://" + s.Addr()
	for i := range 3 {
		raw := "From: Shop Newsletter <newsletter-sender@shop.example.test>\r\nTo: customer.name@example.test\r\n" +
			"Subject: Your order has shipped and will arrive in three to five working days\r\n\r\nhello\r\n"
		addInbox(t, st, inboxRow{id: int64(i + 1), session: 1, from: "bounces+12345@mailer.shop.example.test", rcpts: "customer.name@example.test",
			raw: raw, code: 451, enhanced: "4.7.1", text: "greylisted: please try again in 300 seconds", listener: "mx-primary"})
	}
	b.do(t, chromedp.EmulateViewport(800, 900))
	defer b.do(t, chromedp.ResetViewport())
	fits := func(table string) string {
		return `(() => { const t = document.getElementById("` + table + `"); const box = t.parentElement;
			return box.scrollWidth <= box.clientWidth + 1 && document.documentElement.scrollWidth <= window.innerWidth; })()`
	}
	onScreen := `(() => { const w = window.innerWidth; return [...document.querySelectorAll(SEL)].every((el) => { const r = el.getBoundingClientRect(); return r.left >= 0 && r.right <= w; }); })()`
	b.do(t, chromedp.Navigate(base+"/#/queue"))
	b.waitFor(t, "the queue", `document.querySelectorAll("#queue-table td button").length >= 4 && document.querySelectorAll("#suppression-rows tr").length === 2`)
	if ok := b.eval(t, fits("queue-table")); ok != true {
		t.Errorf("the queue's table scrolls sideways at 800 px: %v", b.eval(t, `document.getElementById("queue-table").scrollWidth`))
	}
	if ok := b.eval(t, strings.ReplaceAll(onScreen, "SEL", `"#queue-table button, #queue-table td.reply, #suppression-rows button"`)); ok != true {
		t.Errorf("a button or a reply of the queue is off the screen at 800 px")
	}
	if ok := b.eval(t, `(() => { const box = document.querySelector("#suppression-rows").closest(".scroll"); return box.scrollWidth <= box.clientWidth + 1; })()`); ok != true {
		t.Errorf("the suppression list scrolls sideways at 800 px")
	}
	b.screenshot(t, "s19-queue-800")
	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelectorAll("#inbox-rows tr").length === 3`)
	if ok := b.eval(t, fits("inbox-table")); ok != true {
		t.Errorf("the inbox's table scrolls sideways at 800 px: %v", b.eval(t, `document.getElementById("inbox-table").scrollWidth`))
	}
	if ok := b.eval(t, strings.ReplaceAll(onScreen, "SEL", `"#inbox-rows td"`)); ok != true {
		t.Errorf("a cell of the inbox is off the screen at 800 px")
	}
	b.screenshot(t, "s19-inbox-800")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
