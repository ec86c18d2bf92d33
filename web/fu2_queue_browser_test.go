package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// fu2Browser is newBrowser kept off every network but loopback: no host
// name resolves, so that nothing the page loads can leave the machine.
func fu2Browser(t *testing.T) *browserPage {
	t.Helper()
	return newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"))
}

// fu2Queue is fw2Queue(3) with, first, a message whose recipient holds
// the word retryme inside its local part.
func fu2Queue() *pagingRelay {
	f := fw2Queue(3)
	e := f.queue[0]
	e.ID, e.Recipients = "q-retry", []string{"rcpt451x3+retryme@example.test"}
	e.Waiting = []QueueRecipient{e.Waiting[0]}
	e.Waiting[0].Address = "rcpt451x3+retryme@example.test"
	f.queue = append([]QueueEntry{e}, f.queue...)
	return &pagingRelay{fakeRelay: f}
}

// lastAsked is the filter of the last page the relay was asked for.
func (p *pagingRelay) lastAsked() QueueFilter {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.asked
}

// TestBrowserQueueFindsPartOfAnAddress: the Queue's filter box finds a
// part of a recipient's address, as a Mailpit user expects (retryme finds
// rcpt451x3+retryme@example.test; it was asked for as the domain
// "retryme" and found nothing), a text that starts with @ a whole domain,
// and a filter that finds nothing says what it looked for and how.
func TestBrowserQueueFindsPartOfAnAddress(t *testing.T) {
	b := fu2Browser(t)
	p := fu2Queue()
	s := listen(t, Options{Relay: p})
	asked := p.lastAsked
	rows := `document.querySelectorAll("#queue-table tbody tr").length`
	note := `document.getElementById("queue-note").textContent`
	find := func(text string) {
		t.Helper()
		b.eval(t, `(() => { const i = document.getElementById("queue-find"); i.value = `+jsString(text)+`; i.form.requestSubmit(); return true; })()`)
	}
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the queue", rows+` === 4`)
	if got := b.eval(t, `document.getElementById("queue-find").placeholder`).(string); !strings.Contains(got, "part of a recipient's address") || !strings.Contains(got, "@domain") {
		t.Errorf("the filter box's placeholder %q does not say what it finds", got)
	}

	find("retryme")
	b.waitFor(t, "the match", rows+` === 1 && document.querySelector("#queue-table tbody tr").dataset.id === "q-retry"`)
	if f := asked(); f.Recipient != "retryme" || f.Domain != "" {
		t.Errorf("retryme was asked for as recipient %q, domain %q; want the recipient retryme (a part of an address), no domain", f.Recipient, f.Domain)
	}

	find("r.test")
	b.waitFor(t, "a part of the domain", rows+` === 3`)
	if f := asked(); f.Recipient != "r.test" || f.Domain != "" {
		t.Errorf("r.test was asked for as recipient %q, domain %q; want the recipient r.test", f.Recipient, f.Domain)
	}

	find("nobody-here")
	b.waitFor(t, "nothing found", rows+` === 0`)
	want := "No message has a waiting recipient (queued, deferred, in flight or held) whose address contains \u201cnobody-here\u201d (in any case; the box looks at recipients, not at the sender)."
	if got := b.eval(t, note); got != want {
		t.Errorf("nothing found, the note says %q, want %q", got, want)
	}

	find("@nowhere.test")
	b.waitFor(t, "a domain asked for", `document.getElementById("queue-note").textContent.includes("nowhere.test")`)
	if f := asked(); f.Domain != "@nowhere.test" || f.Recipient != "" {
		t.Errorf("@nowhere.test was asked for as recipient %q, domain %q; want the domain", f.Recipient, f.Domain)
	}
	if got := b.eval(t, note).(string); !strings.Contains(got, "at the domain \u201cnowhere.test\u201d") || !strings.Contains(got, "without the @") {
		t.Errorf("no message at a domain: the note says %q, want the domain and how a text without @ is read", got)
	}
	b.eval(t, `(() => { const s = document.getElementById("queue-state"); s.value = "held"; s.dispatchEvent(new Event("change")); return true; })()`)
	b.waitFor(t, "the state in the note", note+`.startsWith("No message has a recipient held by hand at the domain")`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserQueueRowActions: Retry now and Delete name their message
// to a screen reader after the words they show, as Hold names its
// recipient; a retry's "within
// seconds" goes once the relay has tried (it stayed after the retry was
// deferred again); a recipient in flight keeps a Hold that does nothing
// (the button went, and the row's buttons moved), and gets its working
// Hold back after the attempt.
func TestBrowserQueueRowActions(t *testing.T) {
	b := fu2Browser(t)
	p := fu2Queue()
	s := listen(t, Options{Relay: p})
	row := `document.querySelector('#queue-table tr[data-id="q-001"]')`
	status := row + `.querySelector(".act-note").textContent`
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the queue", row)
	labels := b.eval(t, `[...`+row+`.querySelectorAll("td.actions button")].map((b) => b.getAttribute("aria-label")).join(" | ")`).(string)
	for _, want := range []string{"Retry now: message q-001", "Delete message q-001", "Hold rq-001@r.test"} {
		if !strings.Contains(labels, want) {
			t.Errorf("the row's buttons are labelled %q, want %q among them", labels, want)
		}
	}

	b.eval(t, row+`.querySelector("td.actions button").click()`)
	b.waitFor(t, "the retry's note", status+`.includes("within seconds")`)
	// The relay tries it: an attempt more, deferred again.
	p.mu.Lock()
	for i := range p.queue {
		if p.queue[i].ID == "q-001" {
			p.queue[i].Attempts = 2
			p.queue[i].Waiting[0].Attempts = 2
			p.queue[i].Waiting[0].NextAttempt = p.queue[i].Waiting[0].NextAttempt.Add(time.Hour)
		}
	}
	p.mu.Unlock()
	b.waitFor(t, "the poll that shows the new attempt", row+`.querySelector('td[data-label="attempts"]').textContent === "2"`)
	b.waitFor(t, "the retry's note gone", status+` === ""`)

	// In flight: its Hold stays, and does nothing.
	setState := func(state string) {
		p.mu.Lock()
		defer p.mu.Unlock()
		for i := range p.queue {
			if p.queue[i].ID == "q-001" {
				p.queue[i].Waiting[0].State = state
			}
		}
	}
	setState("inflight")
	b.waitFor(t, "the recipient in flight", row+`.querySelector(".badge.s-inflight")`)
	got := b.eval(t, `(() => { const h = `+row+`.querySelector("button.hold-act"); return h ? [h.disabled, h.textContent, h.getAttribute("aria-label")] : null; })()`)
	l, ok := got.([]any)
	if !ok || l[0] != true || l[1] != "Hold" || !strings.Contains(l[2].(string), "a hold cannot stop an attempt") {
		t.Errorf("in flight, the row's Hold is %v, want a disabled Hold that says why", got)
	}
	setState("deferred")
	b.waitFor(t, "the Hold back", row+`.querySelector("button.hold-act") && !`+row+`.querySelector("button.hold-act").disabled`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserEmptyStatesSayWhoseAddress: the empty Queue and Sink pages
// say that their swaks line names the default address only while it
// does; once /api/v1/listeners gave this serve's address they say the
// line is this serve's, instead of "127.0.0.1:2587 is the default: yours
// is relay.listen" beside a line that already named another port.
func TestBrowserEmptyStatesSayWhoseAddress(t *testing.T) {
	b := fu2Browser(t)
	st := openStore(t, clock.Real{})
	s := listen(t, Options{Store: st, Relay: listeningRelay{newFakeRelay()}, Sink: listeningSink{newFakeSink()}})
	base := "http://" + s.Addr()
	b.do(t, chromedp.Navigate(base+"/#/queue"))
	b.waitFor(t, "the queue's line with the submission", `document.getElementById("queue-try")?.textContent.includes("127.0.0.1:2700") && !document.getElementById("queue-empty").hidden`)
	if got := b.eval(t, `document.getElementById("queue-empty").innerText`).(string); strings.Contains(got, "2587") || !strings.Contains(got, "this serve's submission address") {
		t.Errorf("the empty queue says %q: want no word of the default 2587 beside a line that names 2700, and that the line is this serve's", got)
	}
	b.do(t, chromedp.Navigate(base+"/#/sink"))
	b.waitFor(t, "the sink's line with its listener", `document.getElementById("sink-try")?.textContent.includes("127.0.0.2:2465") && !document.getElementById("sink-empty").hidden`)
	if got := b.eval(t, `document.getElementById("sink-empty").innerText`).(string); strings.Contains(got, "2525") || !strings.Contains(got, "this sink's first listener") {
		t.Errorf("the empty sink page says %q: want no word of the default 2525 beside a line that names 2465, and whose line it is", got)
	}

	// A serve that does not say where it listens: the default, and where
	// the real address is.
	s2 := listen(t, Options{Store: openStore(t, clock.Real{}), Relay: newFakeRelay(), Sink: newFakeSink()})
	b.do(t, chromedp.Navigate("http://"+s2.Addr()+"/#/queue"))
	b.waitFor(t, "the empty queue", `!document.getElementById("queue-empty").hidden`)
	if got := b.eval(t, `document.getElementById("queue-empty").innerText`).(string); !strings.Contains(got, "127.0.0.1:2587 is the relay's default submission address") {
		t.Errorf("with no listener said, the empty queue says %q, want the default and where the real address is", got)
	}
}
