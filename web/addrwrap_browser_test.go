package web

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
)

// Addresses for TestBrowserAddressesStayWhole: ordinary ones of 35
// characters, with a hyphen and a plus where a browser would break them
// by itself, and one of 200 characters that must wrap.
const (
	addrFrom = "olivia.martin-jones+rcpts@shop.test"
	addrTo   = "billing.department-eu+inv@acme.test"
)

// longAddress is an address of n characters: parts of a local part parted
// by dots, an @ and a domain.
func longAddress(n int) string {
	const domain = "@mail-relay.subdomain.example.test"
	var b strings.Builder
	for i := 0; b.Len() < n-len(domain); i++ {
		if i > 0 {
			b.WriteByte('.')
		}
		fmt.Fprintf(&b, "section%02d-of-a-name", i)
	}
	return b.String()[:n-len(domain)] + domain
}

// blobAddress is an address of 200 characters with no dot, plus or
// hyphen in its local part: it has nowhere to break but anywhere.
var blobAddress = strings.Repeat("z", 200-len("@mail.example.test")) + "@mail.example.test"

// longReply is a server's reply of about 400 characters of words.
var longReply = "The email account that you tried to reach does not exist or has been disabled for policy reasons; " +
	strings.Repeat("please double-check the recipient's address for typos or unnecessary spaces and try again later; ", 3) +
	"see the postmaster pages for details"

// TestBrowserAddressesStayWhole: in every table that lists addresses (the
// Inbox, the Queue and its suppression list, Messages, the feed and a
// message's copies in the sink), an ordinary address of 35 characters
// stays on one line beside a reply of 400 characters, which wraps
// instead, at 1280 px and on a phone; an address of 200 characters wraps
// inside its cell, at an @, a dot, a plus or a hyphen, and runs off
// nothing, nor does one of 200 with no such place to break.
func TestBrowserAddressesStayWhole(t *testing.T) {
	b, st, relay, sink, base := browserUI(t)
	now := time.Now().UTC()
	long := longAddress(200)
	if len(addrFrom) != 35 || len(addrTo) != 35 || len(long) != 200 || len(blobAddress) != 200 || len(longReply) < 400 {
		t.Fatalf("test data: %d, %d, %d, %d and %d characters", len(addrFrom), len(addrTo), len(long), len(blobAddress), len(longReply))
	}

	addInbox(t, st,
		inboxRow{id: 1, session: 1, from: addrFrom, rcpts: addrTo, raw: "Subject: short\r\n\r\nx\r\n", code: 550, enhanced: "5.1.1", text: longReply},
		inboxRow{id: 2, session: 1, from: long, rcpts: long + "\n" + blobAddress, raw: "Subject: long\r\n\r\nx\r\n", code: 550, enhanced: "5.1.1", text: longReply})
	// Two messages: addr-1 from and to the ordinary addresses, addr-2
	// from the long one to the long one and to the one with no place to
	// break.
	msgs := []struct {
		id, from string
		to       []string
	}{{"addr-1", addrFrom, []string{addrTo}}, {"addr-2", long, []string{long, blobAddress}}}
	relay.mu.Lock()
	for _, m := range msgs {
		q := QueueEntry{ID: m.id, From: m.from, Recipients: m.to, Queued: now, Attempts: 2}
		for _, a := range m.to {
			q.Waiting = append(q.Waiting, QueueRecipient{Address: a, State: "deferred", Attempts: 2, NextAttempt: now.Add(time.Minute),
				LastReply: QueueReply{Stage: "rcpt", Code: 450, Enhanced: "4.2.0", Text: longReply}, Category: "mailbox-unavailable",
				Reason: longReply, Advice: longReply})
			relay.sup = append(relay.sup, Suppression{Address: a, Reason: "invalid-recipient: 550 5.1.1 " + longReply, Since: now})
		}
		relay.queue = append(relay.queue, q)
		relay.msgs[m.id] = MessageDetail{ID: m.id, From: m.from, To: m.to, Subject: "Copies", Received: now, Size: 10}
	}
	relay.mu.Unlock()
	sink.mu.Lock()
	sink.received = Received{Copies: []SinkCopy{
		{ID: "1", Session: "1", Listener: "mx", Time: now, From: addrFrom, To: []string{addrTo}, Code: 550, Reply: "550 " + longReply, Copy: 1},
		{ID: "2", Session: "1", Listener: "mx", Time: now, From: long, To: []string{long, blobAddress}, Code: 550, Reply: "550 " + longReply, Copy: 2},
	}}
	sink.mu.Unlock()
	for _, m := range msgs {
		for _, a := range m.to {
			appendEvents(t, st,
				events.Event{Kind: events.RelayQueued, Time: now, Message: m.id, Recipient: a}.
					WithPayload(map[string]any{"sender": m.from, "subject": "Subject " + longReply}),
				events.Event{Kind: events.RelayBounced, Time: now, Message: m.id, Recipient: a}.
					WithPayload(map[string]any{"reply": map[string]any{"stage": "rcpt", "code": 550, "enhanced": "5.1.1", "text": longReply},
						"category": "invalid-recipient", "reason": longReply, "advice": longReply}))
		}
	}

	// measure finds each shown copy of addr in the page, and says for
	// each the lines it takes (by the tops of its characters), after
	// which characters it breaks, and whether it leaves its cell.
	measure := `(addr) => {
		const out = [];
		const walk = (root) => {
			const nodes = [];
			const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
			for (let n = w.nextNode(); n; n = w.nextNode()) nodes.push(n);
			return nodes;
		};
		for (const td of document.querySelectorAll("#main td")) {
			const nodes = walk(td);
			const text = nodes.map((n) => n.data).join("");
			for (let at = text.indexOf(addr); at >= 0; at = text.indexOf(addr, at + 1)) {
				// The node and offset of each character of this copy.
				const chars = [];
				let base = 0;
				for (const n of nodes) {
					for (let i = 0; i < n.data.length; i++) if (base + i >= at && base + i < at + addr.length) chars.push([n, i]);
					base += n.data.length;
				}
				const tops = [], breaks = [];
				let right = 0, left = Infinity, prev = null;
				chars.forEach(([n, i], k) => {
					const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
					const box = r.getBoundingClientRect();
					if (prev !== null && box.top > prev + 4) breaks.push(addr[k - 1]);
					if (prev === null || box.top > prev + 4) tops.push(box.top);
					prev = box.top;
					right = Math.max(right, box.right); left = Math.min(left, box.left);
				});
				const cell = td.getBoundingClientRect();
				out.push({ lines: tops.length, breaks: breaks.join(""), outside: left < cell.left - 1 || right > cell.right + 1,
					overflow: td.scrollWidth > td.clientWidth + 1, label: td.dataset.label || td.className || td.cellIndex });
			}
		}
		return out;
	}`
	pages := []struct{ name, frag, ready string }{
		{"inbox", "inbox", `document.querySelectorAll("#inbox-rows tr").length === 2`},
		{"queue", "queue", `document.querySelectorAll("#queue-table td.reply").length === 3 && document.querySelectorAll("#suppression-rows tr").length === 3`},
		{"messages", "messages", `document.querySelectorAll("#messages-rows tr").length === 2`},
		{"feed", "feed", `document.querySelectorAll("#feed-rows tr").length === 6`},
		{"copies", "messages/addr-1", `document.querySelectorAll("#received-copies tbody tr").length === 2`},
	}
	shots := os.Getenv("RELAYLAB_SHOTS") // a directory to keep screenshots of each page in, light and dark
	for _, w := range []int64{1280, 390} {
		if w == 390 {
			b.do(t, chromedp.EmulateViewport(w, 844, chromedp.EmulateMobile))
		} else {
			b.do(t, chromedp.EmulateViewport(w, 900))
		}
		for _, pg := range pages {
			b.do(t, chromedp.Navigate(base+"/#/"+pg.frag))
			b.waitFor(t, pg.name, pg.ready)
			for _, a := range []string{addrFrom, addrTo, long, blobAddress} {
				got, _ := b.eval(t, "("+measure+")("+jsString(a)+")").([]any)
				// The feed and the copies name no sender.
				if len(got) == 0 && (a != addrFrom || pg.name != "feed" && pg.name != "copies") {
					t.Errorf("%s at %d px: %s is nowhere in a table", pg.name, w, a)
				}
				for _, c := range got {
					m := c.(map[string]any)
					where := fmt.Sprintf("%s at %d px, %v cell", pg.name, w, m["label"])
					if (a == addrFrom || a == addrTo) && m["lines"] != float64(1) {
						t.Errorf("%s: %s takes %v lines (broken after %q), want one beside a long reply", where, a, m["lines"], m["breaks"])
					}
					if a == long && strings.Trim(m["breaks"].(string), "@.+-") != "" {
						t.Errorf("%s: the 200-character address breaks after %q, want only after an @, a dot, a plus or a hyphen", where, m["breaks"])
					}
					if (a == long || a == blobAddress) && (m["outside"] == true || m["overflow"] == true) {
						t.Errorf("%s: a 200-character address runs off its cell", where)
					}
				}
			}
			if page := b.eval(t, `document.documentElement.scrollWidth`).(float64); page > float64(w) {
				t.Errorf("%s at %d px: the page is %v px wide", pg.name, w, page)
			}
			if w == 1280 {
				if wide := b.eval(t, `[...document.querySelectorAll("#main .scroll")].filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.firstChild.id + " " + s.scrollWidth + ">" + s.clientWidth).join(", ")`); wide != "" {
					t.Errorf("%s at %d px: a table runs off its box: %v", pg.name, w, wide)
				}
			}
			if shots != "" {
				for _, scheme := range []string{"light", "dark"} {
					emulateScheme(t, b, scheme)
					shot(t, b, filepath.Join(shots, fmt.Sprintf("%s-%d-%s.png", pg.name, w, scheme)))
				}
				emulateScheme(t, b, "light")
			}
		}
	}
	b.do(t, chromedp.ResetViewport())
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// emulateScheme makes the page's prefers-color-scheme light or dark.
func emulateScheme(t *testing.T, b *browserPage, scheme string) {
	t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
		t.Fatalf("emulate %s: %v", scheme, err)
	}
}

// shot writes the whole page as a PNG to file.
func shot(t *testing.T, b *browserPage, file string) {
	t.Helper()
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", file, err)
	}
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}
