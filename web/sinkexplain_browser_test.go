package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestBrowserSinkExplainsRefusals: the sink's session list and a
// session's page show a refusal's category, reason and "What to do: ..."
// beside the reply, as the feed shows a relay failure: a directive's 550
// 5.1.1 (named as what chose it) and the sink's 500 5.4.0 of a line too
// long.
func TestBrowserSinkExplainsRefusals(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	sink := newFakeSink()
	s := listen(t, Options{Store: st, Sink: sink})
	base := "http://" + s.Addr()
	now := time.Now().UTC()
	unknown := SessionAttempt{Recipient: "rcpt550+alice@example.test", Reply: "550 5.1.1 No such user here (asked for by a directive) (at rcpt)",
		Category: "invalid-recipient", Reason: "the mailbox does not exist", Advice: "check the address; it is suppressed", By: "directive rcpt550"}
	long := SessionAttempt{Recipient: "bob@example.test", Reply: "500 5.4.0 Line too long in the message (RFC 5321 4.5.3.1.6), closing the connection (at data-end)",
		Category: "line-too-long", Reason: "the receiving server refused a line longer than it reads after the final dot",
		Advice: "have the sending application wrap its lines, or encode `quoted-printable`"}
	sess := func(id string, a SessionAttempt) SinkSession {
		return SinkSession{ID: id, Listener: "mx", Client: "127.0.0.1:4001", Start: now, End: now, LastReply: a.Reply,
			Category: a.Category, Reason: a.Reason, Advice: a.Advice, Attempts: []SessionAttempt{a}}
	}
	sink.mu.Lock()
	sink.sessions = []SinkSession{sess("2", long), sess("1", unknown)}
	sink.mu.Unlock()

	for _, tc := range []struct {
		id string
		a  SessionAttempt
	}{{"1", unknown}, {"2", long}} {
		wantWhy := func(sel string) string {
			return `(() => { const el = ` + sel + `; if (!el) return false;
				const c = el.querySelector(".badge.category"), r = el.querySelector(".reason"), a = el.querySelector(".advice");
				return !!c && c.textContent === ` + jsString(tc.a.Category) + ` && !!r && r.textContent === ` + jsString(tc.a.Reason) +
				` && !!a && a.textContent === ` + jsString("What to do: "+stripTicks(tc.a.Advice)) + `; })()`
		}
		b.do(t, chromedp.Navigate(base+"/#/sink"))
		b.waitFor(t, "session "+tc.id+" explained in the list", wantWhy(`document.querySelector('#session-rows tr[data-id="`+tc.id+`"] td.wide')`))
		b.do(t, chromedp.Navigate(base+"/#/sink/sessions/"+tc.id))
		b.waitFor(t, "session "+tc.id+"'s last reply explained", wantWhy(`document.getElementById("session-last")`))
		b.waitFor(t, "session "+tc.id+"'s attempt explained", wantWhy(`document.querySelector("#session-attempts li")`))
	}
	// What chose a reply is named beside it.
	b.do(t, chromedp.Navigate(base+"/#/sink/sessions/1"))
	b.waitFor(t, "what chose the reply", `(document.querySelector("#session-attempts li .by") || {}).textContent === " (chosen by directive rcpt550)"`)
	b.do(t, chromedp.Navigate(base+"/#/sink/sessions/2"))
	// The advice's `code` spans are code, as in the feed.
	b.waitFor(t, "advice code", `(document.querySelector("#session-attempts .advice code") || {}).textContent === "quoted-printable"`)
}

func stripTicks(s string) string {
	out := []byte{}
	for i := 0; i < len(s); i++ {
		if s[i] != '`' {
			out = append(out, s[i])
		}
	}
	return string(out)
}
