package sink

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// Each message keeps what its MAIL declared about its content, BODY=
// (RFC 6152) and SMTPUTF8 (RFC 6531), in its record and its sink.message
// event; and a message with 8-bit octets whose MAIL did not declare
// BODY=8BITMIME (RFC 6152 3: a client must not send 8-bit data without
// it) has a note saying so, on which line, in its record, its event and
// the transcript. Each transaction has its own: a MAIL without BODY= after
// one with it declares none. A message stored before the sink kept them
// says they are not known, not that none was declared.
func TestFS22MailParamsAndEightBitNote(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	const eightBitBody = "From: a@x.test\r\nTo: m@sink.test\r\nSubject: hi\r\nMessage-ID: <%d@x.test>\r\n\r\nGr\xc3\xbc\xc3\x9fe.\r\n"
	const eightBitHeader = "From: a@x.test\r\nTo: m@sink.test\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nHello.\r\n"
	type sent struct {
		mail, body string
		bdat       bool
		// want
		mailBody string
		utf8     bool
		note     []string // what the note says; nil: no note
	}
	cases := []sent{
		{mail: "MAIL FROM:<a@x.test> BODY=8BITMIME SMTPUTF8", body: eightBitBody, mailBody: "8BITMIME", utf8: true},
		{mail: "MAIL FROM:<a@x.test>", body: eightBitBody,
			note: []string{"line 6 (in its body)", "did not declare BODY=8BITMIME", "RFC 6152"}},
		{mail: "MAIL FROM:<a@x.test> BODY=7BIT", body: eightBitHeader, mailBody: "7BIT",
			note: []string{"line 3 (in its header)", "declared BODY=7BIT", "RFC 6152"}},
		{mail: "MAIL FROM:<a@x.test> SMTPUTF8", body: testMsg, utf8: true},
		{mail: "MAIL FROM:<a@x.test> BODY=8BITMIME", body: eightBitBody, bdat: true, mailBody: "8BITMIME"},
	}
	for i, cs := range cases {
		c.expect(250, "", "%s", cs.mail)
		c.expect(250, "", "RCPT TO:<m%d@sink.test>", i+1)
		body := strings.ReplaceAll(cs.body, "%d", string(rune('1'+i)))
		if cs.bdat {
			if code, msg := c.bdat(body, true); code != 250 {
				t.Fatalf("message %d (BDAT): %d %q", i+1, code, msg)
			}
			continue
		}
		c.expect(354, "", "DATA")
		if code, msg := c.body(body); code != 250 {
			t.Fatalf("message %d: %d %q", i+1, code, msg)
		}
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)

	ctx := context.Background()
	evs, err := st.Events(ctx, events.Filter{Kinds: []string{events.SinkMessage}})
	if err != nil || len(evs) != len(cases) {
		t.Fatalf("sink.message events: %v, %d of them, want %d", err, len(evs), len(cases))
	}
	hasNote := func(notes []string, want []string) bool {
		for _, n := range notes {
			ok := strings.Contains(n, "8-bit")
			for _, w := range want {
				ok = ok && strings.Contains(n, w)
			}
			if ok {
				return true
			}
		}
		return false
	}
	for i, w := range cases {
		m, err := MessageByID(ctx, st.DB(), int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if m.MailBody != w.mailBody || m.SMTPUTF8 != w.utf8 || m.MailParamsUnknown {
			t.Errorf("message %d (%s): mail body %q, smtputf8 %v, unknown %v; want %q, %v, known",
				i+1, w.mail, m.MailBody, m.SMTPUTF8, m.MailParamsUnknown, w.mailBody, w.utf8)
		}
		var p messagePayload
		if err := json.Unmarshal(evs[i].Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.MailBody != w.mailBody || p.SMTPUTF8 != w.utf8 {
			t.Errorf("message %d's sink.message event (%s): mail_body %q, smtputf8 %v; want %q, %v", i+1, w.mail, p.MailBody, p.SMTPUTF8, w.mailBody, w.utf8)
		}
		switch {
		case w.note == nil && (len(m.Notes) > 0 || len(p.Notes) > 0):
			t.Errorf("message %d (%s): notes %q (event %q), want none", i+1, w.mail, m.Notes, p.Notes)
		case w.note != nil && (!hasNote(m.Notes, w.note) || !hasNote(p.Notes, w.note)):
			t.Errorf("message %d (%s): notes %q (event %q), want one on 8-bit data saying %q", i+1, w.mail, m.Notes, p.Notes, w.note)
		}
	}
	ss, err := SessionByID(ctx, st.DB(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(ss.Transcript, "8-bit data without BODY=8BITMIME"); n != 2 {
		t.Errorf("the transcript has %d notes on 8-bit data, want 2 (messages 2 and 3):\n%s", n, ss.Transcript)
	}

	// A message stored before the sink kept what its MAIL declared.
	if err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, raw)
			VALUES (100, 1, 'mx', 1, 'a@x.test', 'old@sink.test', 1, 1, 250, x'c3bc')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	m, err := MessageByID(ctx, st.DB(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if !m.MailParamsUnknown || m.MailBody != "" || m.SMTPUTF8 || len(m.Notes) > 0 {
		t.Errorf("a message stored before migration 0109: unknown %v, mail body %q, smtputf8 %v, notes %q; want unknown, and nothing said", m.MailParamsUnknown, m.MailBody, m.SMTPUTF8, m.Notes)
	}
}
