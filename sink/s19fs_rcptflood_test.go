package sink

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// lastSession returns the replies and transcript of the newest ended
// session.
func lastSession(t *testing.T, st *store.Store) ([]replyRecord, string) {
	t.Helper()
	var replies, tr string
	if err := st.DB().QueryRow(`SELECT replies, transcript FROM sink_sessions WHERE end_ns > 0 ORDER BY id DESC LIMIT 1`).Scan(&replies, &tr); err != nil {
		t.Fatal(err)
	}
	var rs []replyRecord
	if err := json.Unmarshal([]byte(replies), &rs); err != nil {
		t.Fatal(err)
	}
	return rs, tr
}

// pipelined writes script at once and reads every reply until the sink
// closes: their codes and last lines.
func pipelined(t *testing.T, addr, script string) (codes []int, lines []string) {
	t.Helper()
	c := hsDial(t, addr)
	c.write(script)
	for {
		code, line, err := c.reply()
		if err != nil {
			return codes, lines
		}
		codes, lines = append(codes, code), append(lines, line)
	}
}

// A client that sends RCPTs without end, refused, is cut off after
// limits.max_refused_recipients of them, as Postfix cuts one off past
// smtpd_recipient_overshoot_limit: the one over it gets its own reply,
// then 421 4.7.0 naming the limit, and the session is recorded with one
// attempt for each RCPT answered, not for those never read.
func TestRefusedRecipientsLimit(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Limits.MaxRecipients = 2
		c.Listeners[0].Limits.MaxRefusedRecipients = 5
	})
	var b strings.Builder
	b.WriteString("EHLO flood.test\r\nMAIL FROM:<a@flood.test>\r\n")
	for i := range 40 {
		fmt.Fprintf(&b, "RCPT TO:<r%d@lab.test>\r\n", i)
	}
	b.WriteString("QUIT\r\n") // never read: the sink closed before it
	codes, lines := pipelined(t, addr, b.String())
	// 220, 250 EHLO, 250 MAIL, 2 x 250, 6 x 452, then the 421.
	want := []int{220, 250, 250, 250, 250, 452, 452, 452, 452, 452, 452, 421}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Fatalf("replies %v, want %v (last %q)", codes, want, lines[len(lines)-1])
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "421 4.7.0 Too many refused recipients") || !strings.Contains(last, "limits.max_refused_recipients") {
		t.Errorf("closing reply %q, want 421 4.7.0 naming limits.max_refused_recipients", last)
	}
	waitSessions(t, st, 1)
	rs, _ := lastSession(t, st)
	if last := rs[len(rs)-1]; last.Code != 421 || last.Stage != StageRcpt {
		t.Errorf("the session's last reply %+v, want 421 at rcpt", last)
	}
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_attempts`); n != 8 {
		t.Errorf("%d attempts recorded, want 8 (2 accepted, 6 refused)", n)
	}
}

// The count is of refusals since the last message accepted, as Postfix
// counts errors "without delivering mail": a client that gets its mail
// through in between, and a message to many recipients all refused by a
// directive (under the limit), are answered and recorded as ever.
func TestRefusedRecipientsBetweenMessages(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, func(c *Config) { c.Listeners[0].Limits.MaxRefusedRecipients = 3 })
	var b strings.Builder
	b.WriteString("EHLO ok.test\r\n")
	for m := range 3 {
		fmt.Fprintf(&b, "MAIL FROM:<a@ok.test>\r\nRCPT TO:<rcpt550+%d@lab.test>\r\nRCPT TO:<rcpt550+%d@lab.test>\r\nRCPT TO:<rcpt451+%d@lab.test>\r\nRCPT TO:<ok%d@lab.test>\r\nDATA\r\n", m, m+10, m, m)
		b.WriteString("Subject: x\r\n\r\nx\r\n.\r\n")
	}
	b.WriteString("QUIT\r\n")
	codes, _ := pipelined(t, addr, b.String())
	want := "[220 250 250 550 550 451 250 354 250 250 550 550 451 250 354 250 250 550 550 451 250 354 250 221]"
	if fmt.Sprint(codes) != want {
		t.Fatalf("replies %v, want %s", codes, want)
	}

	_, st2, addr2 := itSink(t, nil) // the default limit, 1000
	b.Reset()
	b.WriteString("EHLO ok.test\r\nMAIL FROM:<a@ok.test>\r\n")
	for i := range 50 {
		fmt.Fprintf(&b, "RCPT TO:<rcpt550+%d@lab.test>\r\n", i)
	}
	b.WriteString("DATA\r\nQUIT\r\n")
	codes, _ = pipelined(t, addr2, b.String())
	if len(codes) != 55 || codes[3] != 550 || codes[52] != 550 || codes[53] != 554 || codes[54] != 221 {
		t.Fatalf("50 recipients refused by a directive: replies %v", codes)
	}
	waitSessions(t, st2, 1)
	if n := itCount(t, st2.DB(), `SELECT COUNT(*) FROM sink_attempts WHERE code = 550`); n != 50 {
		t.Errorf("%d attempts refused with 550 recorded, want 50", n)
	}
	_ = st
}

// A session holds at most maxHeld attempts in memory: past that they go
// into the store while it goes on (as with a message), each once, so
// that RCPTs without end (with no limit on refusals) cannot grow the
// sink, and none is lost.
func TestHeldAttemptsGoToStore(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Limits.MaxRecipients = 1
		c.Listeners[0].Limits.MaxRefusedRecipients = 0
	})
	const n = 2*maxHeld + 500
	c := hsDial(t, addr)
	var b strings.Builder
	b.WriteString("EHLO flood.test\r\nMAIL FROM:<a@flood.test>\r\n")
	for i := range n {
		fmt.Fprintf(&b, "RCPT TO:<r%d@lab.test>\r\n", i)
	}
	c.write(b.String())
	for i := 0; i < n+3; i++ {
		if _, line, err := c.reply(); err != nil {
			t.Fatalf("reply %d: %v (%q)", i, err, line)
		}
	}
	// The session is still open: what it let go of is in the store.
	if got := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_attempts`); got < 2*maxHeld {
		t.Errorf("%d attempts in the store before the session ended, want at least %d", got, 2*maxHeld)
	}
	c.write("RSET\r\nMAIL FROM:<a@flood.test>\r\nRCPT TO:<m@lab.test>\r\nDATA\r\n")
	for range 4 {
		c.reply()
	}
	c.write("Subject: x\r\n\r\nx\r\n.\r\nQUIT\r\n")
	if code, line, _ := c.reply(); code != 250 {
		t.Fatalf("message: %q", line)
	}
	c.reply()
	waitSessions(t, st, 1)
	// n RCPTs (one accepted, the rest refused), and the message's.
	if got := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_attempts`); got != n+1 {
		t.Errorf("%d attempts recorded, want %d: each once", got, n+1)
	}
	if got := itCount(t, st.DB(), `SELECT COUNT(DISTINCT recipient) FROM sink_attempts`); got != n+1 {
		t.Errorf("%d recipients among the attempts, want %d", got, n+1)
	}
}

// A session keeps the directives its later RSET and QUIT act on, each
// once: not every directive of every recipient, which a client sending
// recipients without end would grow without end.
func TestSeenDirectivesBounded(t *testing.T) {
	t.Parallel()
	var seen []Directive
	for i := range 500 {
		ds, _ := parseLocalPart(fmt.Sprintf("rcpt550+rsetdrop+quit421+n%d@lab.test", i))
		seen = addSeen(seen, ds)
	}
	var texts []string
	for _, d := range seen {
		texts = append(texts, d.Text)
	}
	if fmt.Sprint(texts) != "[rsetdrop quit421]" {
		t.Errorf("seen %v, want [rsetdrop quit421]", texts)
	}
}
