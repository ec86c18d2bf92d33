package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/testutil"
)

// The browser tests drive the UI in a real headless Chromium. They check
// behaviour (something appears, in order, nothing runs or leaks); the time
// limits are generous and only stop a hang.

// artefacts is where screenshots go (gitignored), relative to this package.
const artefacts = "../testdata/artefacts"

// browserPage is one Chromium tab and what it said on its console.
type browserPage struct {
	ctx     context.Context
	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	dialogs atomic.Int32
}

// newBrowser starts Chromium; extra options (such as flags) go after ours.
// browserUI is a browser and a server over a fresh store, with a fake
// relay and sink to fill in, and the server's base URL.
func browserUI(t *testing.T) (b *browserPage, st *store.Store, relay *fakeRelay, sink *fakeSink, base string) {
	t.Helper()
	b = newBrowser(t)
	st = openStore(t, clock.Real{})
	relay, sink = newFakeRelay(), newFakeSink()
	s := listen(t, Options{Store: st, Relay: relay, Sink: sink})
	return b, st, relay, sink, "http://" + s.Addr()
}

func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browserPage {
	t.Helper()
	exe := testutil.NeedCommand(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // containers run as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.WindowSize(1280, 900),
	)
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	p := &browserPage{ctx: ctx}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			p.dialogs.Add(1)
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return p
}

func (p *browserPage) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

func (p *browserPage) eval(t *testing.T, js string) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true; the timeout only
// ends a hang.
func (p *browserPage) waitFor(t *testing.T, what, js string) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(30 * time.Second)
	for {
		if v, ok := p.eval(t, "!!("+js+")").(bool); ok && v {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: never true: %s\nconsole: %v", what, js, p.messages())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *browserPage) messages() []chromedp.ConsoleMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), p.console...)
}

// exceptions are uncaught errors in our scripts.
func (p *browserPage) exceptions() []string {
	var out []string
	for _, m := range p.messages() {
		if m.IsException() || m.Type == chromedp.ConsoleLog {
			out = append(out, m.String())
		}
	}
	return out
}

func (p *browserPage) screenshot(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()) // the viewport, as PNG
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(artefacts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artefacts, "web-"+name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// hitRecorder is a server on another loopback address that mail content
// must never reach.
type hitRecorder struct {
	url  string
	mu   sync.Mutex
	hits []string
}

func newHitRecorder(t *testing.T) *hitRecorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		msg := fmt.Sprintf("cannot listen on 127.0.0.2 (needed to stand for a remote host): %v", err)
		if testutil.InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	h := &hitRecorder{url: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.hits = append(h.hits, r.Method+" "+r.URL.String())
		h.mu.Unlock()
		w.Header().Set("Content-Type", "image/gif")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return h
}

func (h *hitRecorder) count() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.hits...)
}

func TestBrowser(t *testing.T) {
	remote := newHitRecorder(t)
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	relay, sink := newFakeRelay(), newFakeSink()
	probe := &fakeProbe{}
	fillFakes(relay, sink, probe, remote.url)
	// A reason as long as a real server's leaves the queue page's last
	// column little room.
	relay.sup = append(relay.sup, Suppression{Address: "a.very.long.mailbox.name.that.goes.on@subdomain.of.a.long.example.com", Since: time.Now().Add(-time.Hour),
		Reason: "invalid-recipient: 550 5.1.1 <a.very.long.mailbox.name.that.goes.on@subdomain.of.a.long.example.com>: Recipient address rejected: " +
			"User unknown in virtual mailbox table; see https://support.example.com/smtp/errors/5.1.1-user-unknown-in-virtual-mailbox-table"})
	s := listen(t, Options{Store: st, Relay: relay, Sink: sink, Probe: probe})
	base := "http://" + s.Addr()
	seedEvents(t, st, remote.url)

	t.Run("feed shows a new event", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/#/feed"))
		b.waitFor(t, "the stream", `document.getElementById("status").textContent === "live"`)
		b.waitFor(t, "the backlog", `document.querySelectorAll("#feed-rows tr").length > 0`)
		appendEvents(t, st, events.Event{Kind: events.RelayDelivered, Message: "live-1", Recipient: "new@example.com"}.
			WithPayload(map[string]any{"reply": map[string]any{"code": 250, "enhanced": "2.0.0", "text": "ok"}}))
		took := b.waitFor(t, "the new row", `[...document.querySelectorAll("#feed-rows tr")].some(tr => tr.textContent.includes("live-1"))`)
		t.Logf("the feed showed the event %v after its commit", took)
		first := b.eval(t, `document.querySelector("#feed-rows tr").textContent`)
		if s, _ := first.(string); !strings.Contains(s, "live-1") {
			t.Fatalf("the newest row is %q, want the new event on top", s)
		}
		b.screenshot(t, "feed")
	})

	t.Run("deferral then delivery in order", func(t *testing.T) {
		appendEvents(t, st,
			events.Event{Kind: events.RelayQueued, Message: "order-1", Recipient: "slow@example.com"}.WithPayload(map[string]any{"sender": "app@example.org"}),
			events.Event{Kind: events.RelayAttempt, Message: "order-1", Recipient: "slow@example.com", Target: "mx.example.com"}.
				WithPayload(map[string]any{"host": "mx.example.com", "reply": map[string]any{"code": 451, "enhanced": "4.7.1", "text": "greylisted"}, "latency_ms": 40}),
			events.Event{Kind: events.RelayDeferred, Message: "order-1", Recipient: "slow@example.com"}.
				WithPayload(map[string]any{"reply": map[string]any{"code": 451, "enhanced": "4.7.1", "text": "greylisted"}, "category": "greylisting", "next_attempt": time.Now().Add(5 * time.Minute)}),
		)
		b.do(t, chromedp.Navigate(base+"/#/messages/order-1"))
		b.waitFor(t, "the deferral", `document.querySelector('#timeline li[data-kind="relay.deferred"]')`)
		b.waitFor(t, "the stream", `document.getElementById("status").textContent === "live"`)
		appendEvents(t, st,
			events.Event{Kind: events.RelayAttempt, Message: "order-1", Recipient: "slow@example.com", Target: "mx.example.com"}.
				WithPayload(map[string]any{"host": "mx.example.com", "reply": map[string]any{"code": 250, "text": "queued as 1"}, "latency_ms": 30}),
			events.Event{Kind: events.RelayDelivered, Message: "order-1", Recipient: "slow@example.com"}.
				WithPayload(map[string]any{"reply": map[string]any{"code": 250, "text": "queued as 1"}}),
		)
		b.waitFor(t, "the delivery", `document.querySelector('#timeline li[data-kind="relay.delivered"]')`)
		kinds := b.eval(t, `[...document.querySelectorAll("#timeline li")].map(li => li.dataset.kind).join(" ")`)
		want := "relay.queued relay.attempt relay.deferred relay.attempt relay.delivered"
		if kinds != want {
			t.Fatalf("timeline: got %q, want %q", kinds, want)
		}
		b.screenshot(t, "message")
	})

	t.Run("hostile message cannot run or reach out", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/#/messages/evil-1"))
		b.waitFor(t, "the subject", `document.getElementById("msg-subject")`)
		got := b.eval(t, `document.getElementById("msg-subject").textContent`)
		if got != hostileSubject {
			t.Fatalf("subject shown as %q, want the literal text %q", got, hostileSubject)
		}
		b.waitFor(t, "the sandboxed body", `document.querySelector("iframe.body")`)
		if sb := b.eval(t, `document.querySelector("iframe.body").getAttribute("sandbox")`); sb != "" {
			t.Fatalf("iframe sandbox=%q, want empty (no permissions)", sb)
		}
		// Give the frame time to try everything it can, and click its
		// javascript: link ("click", after "Hello " on the first line).
		time.Sleep(1000 * time.Millisecond)
		b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("iframe.body").scrollIntoView()`))
		xy, _ := b.eval(t, `(() => { const r = document.querySelector("iframe.body").getBoundingClientRect(); return [r.left + 58, r.top + 17]; })()`).([]any)
		if len(xy) == 2 {
			b.do(t, chromedp.MouseClickXY(xy[0].(float64), xy[1].(float64)))
		}
		time.Sleep(500 * time.Millisecond)
		b.screenshot(t, "hostile-message")
		b.do(t, chromedp.Navigate(base+"/#/feed"))
		b.waitFor(t, "the feed", `[...document.querySelectorAll("#feed-rows tr")].some(tr => tr.textContent.includes("evil-1"))`)
		time.Sleep(500 * time.Millisecond)
		if n := b.eval(t, `document.querySelectorAll("#main script, #main img, #main [onerror], #main a[href^='javascript']").length`); n != float64(0) {
			t.Fatalf("mail content made %v elements in the page", n)
		}
		if v := b.eval(t, `typeof window.pwned`); v != "undefined" {
			t.Fatalf("a script from mail ran: window.pwned is %v", v)
		}
		if n := b.dialogs.Load(); n != 0 {
			t.Fatalf("%d dialogs opened: a script from mail ran", n)
		}
		if h := remote.count(); len(h) != 0 {
			t.Fatalf("the page reached a remote host: %v", h)
		}
		b.screenshot(t, "hostile-feed")
	})

	t.Run("screenshots of each page", func(t *testing.T) {
		for _, pg := range []struct{ name, frag, ready string }{
			{"messages", "messages", `document.querySelector("#main tbody tr")`},
			{"queue", "queue", `document.querySelector("#main tbody tr .actions") && document.querySelectorAll("#main td button").length >= 6`},
			{"sink", "sink", `document.querySelector("#main tbody tr a")`},
			{"session", "sink/sessions/s1", `document.querySelector(".transcript div")`},
			{"rules", "rules", `document.getElementById("rules-text").value.includes("rules:")`},
			{"probes", "probes", `document.querySelector("#main tbody tr")`},
			{"charts", "charts", `document.querySelector("#chart-time svg rect") && document.querySelector("#chart-sink-codes svg")`},
		} {
			b.do(t, chromedp.Navigate(base+"/#/"+pg.frag))
			b.waitFor(t, pg.name, pg.ready)
			b.screenshot(t, pg.name)
			if pg.name == "queue" {
				// A button's label keeps to one line however little room
				// its column has ("Remove", not "Remo" over "ve").
				broken := b.eval(t, `[...document.querySelectorAll("#main td button")].filter(el => {
					const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length !== 1;
				}).map(el => el.textContent).join(", ")`)
				if broken != "" {
					t.Errorf("buttons in table cells wrap over lines: %v", broken)
				}
			}
			if pg.name == "charts" {
				// The relay's and the sink's replies in charts of their own,
				// each saying whose they are.
				got := b.eval(t, `["#chart-relay-codes", "#chart-sink-codes"].map(id => document.querySelector(id + " h2")?.textContent).join(" | ")`)
				if want := "Relay: replies the relay got | Sink: replies the sink gave"; got != want {
					t.Errorf("reply code charts: %q, want %q", got, want)
				}
			}
			if pg.name == "session" {
				// Each line of the transcript shows its time since the first.
				tr := b.eval(t, `document.querySelector(".transcript").innerText`).(string)
				if !strings.Contains(tr, "+0.000s   S: 220 mx1 ESMTP") || !strings.Contains(tr, "+0.900s   S: 451 4.7.1 greylisted") {
					t.Errorf("the session's transcript shows no timings:\n%s", tr)
				}
			}
		}
		b.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/#/messages/order-1"))
		b.waitFor(t, "the phone timeline", `document.querySelector('#timeline li[data-kind="relay.delivered"]')`)
		b.screenshot(t, "phone-message")
		b.do(t, chromedp.Navigate(base+"/#/feed"))
		b.waitFor(t, "the phone feed", `document.querySelectorAll("#feed-rows tr").length > 0`)
		b.screenshot(t, "phone-feed")
		if w := b.eval(t, `document.documentElement.scrollWidth <= window.innerWidth + 1`); w != true {
			t.Errorf("the phone layout scrolls sideways")
		}
		b.do(t, chromedp.ResetViewport())
	})

	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
	if n := b.dialogs.Load(); n != 0 {
		t.Fatalf("%d dialogs opened", n)
	}
	if h := remote.count(); len(h) != 0 {
		t.Fatalf("the page reached a remote host: %v", h)
	}
}

const hostileSubject = `<script>window.pwned=1;alert("subject")</script><img src=x onerror=alert(1)>`

// fillFakes gives the fakes a hostile message, a queue, sessions, rules and
// probe results. remote is the address nothing may reach.
func fillFakes(relay *fakeRelay, sink *fakeSink, probe *fakeProbe, remote string) {
	now := time.Now().UTC()
	html := fmt.Sprintf(`<html><head><meta http-equiv="refresh" content="0;url=%[1]s/refresh">
<link rel="stylesheet" href="%[1]s/css"><style>@import url(%[1]s/import); body{background:url(%[1]s/bg)}</style>
<script>window.top.pwned=1; alert("body"); fetch("%[1]s/fetch")</script></head>
<body onload="alert('onload')"><p>Hello <a href="javascript:alert('link')">click</a></p>
<img src="%[1]s/img.gif" alt="tracker"><img src=x onerror="alert('onerror')">
<iframe src="%[1]s/frame"></iframe><object data="%[1]s/object"></object>
<form action="%[1]s/form"><input type=submit></form><video poster="%[1]s/poster"></video>
<img srcset="%[1]s/srcset 2x"><svg><image href="%[1]s/svgimage"/></svg></body></html>`, remote)
	relay.msgs["evil-1"] = MessageDetail{ID: "evil-1", From: `"<img src=x onerror=alert(2)>" <evil@example.net>`,
		To: []string{`victim@example.com`}, Subject: hostileSubject, Received: now, Size: int64(len(html)),
		Headers: []Header{{"Subject", hostileSubject}, {"X-Evil", `"><script>alert(3)</script>`}, {"List-Unsubscribe", "<javascript:alert(4)>"}},
		Text:    "javascript:alert(5) <b>not bold</b>", HTML: html}
	relay.msgs["order-1"] = MessageDetail{ID: "order-1", From: "app@example.org", To: []string{"slow@example.com"},
		Subject: "Your receipt", Received: now, Size: 2048,
		Headers: []Header{{"From", "App <app@example.org>"}, {"To", "slow@example.com"}, {"Subject", "Your receipt"}},
		Text:    "Thanks for your order.", HTML: "<h1 style='color:#2457c5'>Thanks</h1><p>for your order.</p>"}
	relay.queue = []QueueEntry{
		{ID: "order-2", From: "app@example.org", Recipients: []string{"a@slow.example", "b@slow.example"}, Queued: now.Add(-time.Hour), NextAttempt: now.Add(10 * time.Minute), Attempts: 3, LastReply: "451 4.7.1 greylisted"},
		{ID: "evil-1", From: "evil@example.net", Recipients: []string{`victim@example.com`}, Queued: now.Add(-time.Minute), NextAttempt: now.Add(time.Minute), Attempts: 1, LastReply: `421 <script>alert(6)</script>`},
	}
	relay.depth = 3
	relay.sup = []Suppression{{Address: "gone@example.com", Reason: "550 5.1.1 no such user (hard bounce)", Since: now.Add(-24 * time.Hour)}}
	sink.sessions = []SinkSession{{ID: "s1", Listener: "mx1", Client: "127.0.0.1:40000", HELO: "relay.example", TLS: true, Start: now.Add(-2 * time.Minute), End: now.Add(-2*time.Minute + time.Second),
		Messages: []string{"r1"}, LastReply: "250 2.0.0 ok",
		Transcript: []Line{{Dir: "s", Text: "220 mx1 ESMTP relaylab sink"}, {Dir: "c", Text: "EHLO relay.example"}, {Dir: "s", Text: "250-mx1"},
			{Dir: "c", Text: "MAIL FROM:<app@example.org>"}, {Dir: "s", Text: "250 2.1.0 ok"}, {Dir: "c", Text: "RCPT TO:<slow@example.com>"},
			{Dir: "s", Text: "451 4.7.1 greylisted, come back later"}, {Dir: "c", Text: "QUIT"}, {Dir: "s", Text: "221 2.0.0 bye"}}}}
	for i := range sink.sessions[0].Transcript {
		sink.sessions[0].Transcript[i].Time = sink.sessions[0].Start.Add(time.Duration(i) * 150 * time.Millisecond)
	}
	sink.msgs["r1"] = MessageDetail{ID: "r1", From: "app@example.org", To: []string{"slow@example.com"}, Subject: "Your receipt", Text: "hello"}
	probe.results = []ProbeResult{
		{Target: "192.0.2.10", Check: "dnsbl:zen.example", Status: "listed", Detail: "127.0.0.2: listed for spam", Time: now, Changed: true},
		{Target: "example.org", Check: "spf", Status: "ok", Detail: "v=spf1 ip4:192.0.2.0/24 -all", Time: now},
		{Target: "example.org", Check: "dmarc", Status: "ok", Detail: "p=reject", Time: now},
	}
	probe.history = []ProbeResult{
		{Target: "192.0.2.10", Check: "dnsbl:zen.example", Status: "listed", Time: now, Changed: true},
		{Target: "192.0.2.10", Check: "dnsbl:zen.example", Status: "ok", Time: now.Add(-time.Hour)},
	}
}

// seedEvents fills the log with an hour of traffic for the feed and the
// charts, and with the hostile message's events.
func seedEvents(t *testing.T, st *store.Store, remote string) {
	t.Helper()
	now := time.Now()
	var evs []events.Event
	cats := []string{"mailbox_unknown", "policy", "spam", "mailbox_full"}
	for i := range 120 {
		at := now.Add(-time.Duration(120-i) * 30 * time.Second)
		msg := fmt.Sprintf("m%03d", i)
		rcpt := fmt.Sprintf("user%d@example.com", i%17)
		reply := func(code int, enh, text string) map[string]any {
			return map[string]any{"code": code, "enhanced": enh, "text": text}
		}
		evs = append(evs, events.Event{Kind: events.RelayQueued, Time: at, Message: msg, Recipient: rcpt}.WithPayload(map[string]any{"sender": "app@example.org"}))
		switch {
		case i%7 == 3:
			evs = append(evs,
				events.Event{Kind: events.RelayAttempt, Time: at, Message: msg, Recipient: rcpt}.WithPayload(map[string]any{"reply": reply(550, "5.1.1", "no such user"), "latency_ms": 20 + i}),
				events.Event{Kind: events.RelayBounced, Time: at, Message: msg, Recipient: rcpt}.WithPayload(map[string]any{"reply": reply(550, "5.1.1", "no such user"), "category": cats[i%len(cats)]}))
		case i%4 == 1:
			evs = append(evs,
				events.Event{Kind: events.RelayAttempt, Time: at, Message: msg, Recipient: rcpt}.WithPayload(map[string]any{"reply": reply(451, "4.7.1", "greylisted"), "latency_ms": 15}),
				events.Event{Kind: events.RelayDeferred, Time: at, Message: msg, Recipient: rcpt}.WithPayload(map[string]any{"reply": reply(451, "4.7.1", "greylisted"), "category": "greylisting", "next_attempt": at.Add(5 * time.Minute)}))
		default:
			evs = append(evs,
				events.Event{Kind: events.RelayAttempt, Time: at, Message: msg, Recipient: rcpt}.WithPayload(map[string]any{"reply": reply(250, "2.0.0", "ok"), "latency_ms": 10 + i%30}),
				events.Event{Kind: events.RelayDelivered, Time: at, Message: msg, Recipient: rcpt}.WithPayload(map[string]any{"reply": reply(250, "2.0.0", "ok")}))
		}
	}
	evs = append(evs,
		events.Event{Kind: events.SinkReply, Listener: "mx1"}.WithPayload(map[string]any{"stage": "rcpt", "code": 451, "enhanced": "4.7.1", "text": "greylisted"}),
		events.Event{Kind: events.ProbeChanged, Target: "192.0.2.10"}.WithPayload(map[string]any{"check": "dnsbl:zen.example", "from": "ok", "to": "listed"}),
		events.Event{Kind: events.RelayQueued, Message: "evil-1", Recipient: "victim@example.com"}.WithPayload(map[string]any{
			"sender": `<img src="` + remote + `/sender">`, "subject": hostileSubject}),
		events.Event{Kind: events.RelayBounced, Message: "evil-1", Recipient: "victim@example.com"}.WithPayload(map[string]any{
			"reply": map[string]any{"code": 550, "text": `<img src="` + remote + `/reply" onerror="alert(7)">`}, "category": `<b onmouseover=alert(8)>x</b>`,
			"advice": `<a href="javascript:alert(9)">fix</a>`}),
	)
	appendEvents(t, st, evs...)
}
