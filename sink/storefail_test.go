package sink

import (
	"context"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// TestStoreFailureAttempt: when the message cannot be stored, the client
// gets 451 4.3.0 at the dot, and the attempt says so, not the "250 accepted
// at RCPT; no message followed" a session's end records for recipients
// nobody answered (the BDAT path already recorded the 451).
func TestStoreFailureAttempt(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`CREATE TRIGGER boom BEFORE INSERT ON sink_messages BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	if code, msg := c.send("a@x.test", "b@sink.test", testMsg); code != 451 {
		t.Fatalf("the dot with the store failing: %d %s, want 451", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	atts, err := AllAttempts(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != 1 || atts[0].Reply.Code != 451 || atts[0].Reply.Enhanced != "4.3.0" || atts[0].Stage != StageDataEnd {
		t.Errorf("attempts %+v, want one answered 451 4.3.0 at data-end", atts)
	}
}

// TestGreylistStaleSessionKeepsPass: a session greylisted at RCPT that
// ends after another session of the same triple passed does not write its
// older state over the pass.
func TestGreylistStaleSessionKeepsPass(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	a := dial(t, addr)
	a.greet()
	a.expect(250, "", "MAIL FROM:<a@x.test>")
	if code, msg := a.cmd("RCPT TO:<greylist0s@sink.test>"); code != 451 {
		t.Fatalf("first RCPT of the triple: %d %s, want 451", code, msg)
	}
	b := dial(t, addr)
	b.greet()
	if code, msg := b.send("a@x.test", "greylist0s@sink.test", testMsg); code != 250 {
		t.Fatalf("the retry: %d %s, want 250", code, msg)
	}
	b.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	a.expect(221, "", "QUIT")
	waitSessions(t, st, 2)
	var passed int64
	st.DB().QueryRow(`SELECT passed_ns FROM sink_greylist`).Scan(&passed)
	if passed == 0 {
		t.Errorf("the triple's pass was overwritten by the older session's state when it ended")
	}
}

// TestStartTLSBetweenChunks: STARTTLS between the BDAT chunks of one
// message gets 503 5.5.1 (RFC 3030: a chunk that is not the last is
// followed by BDAT, RSET or QUIT); after RSET it is taken.
func TestStartTLSBetweenChunks(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<b@sink.test>")
	c.expect(250, "", "BDAT 5\r\nhel") // with the CRLF expect adds: 5 octets
	c.expect(503, "5.5.1", "STARTTLS")
	c.expect(250, "", "RSET")
	c.expect(220, "", "STARTTLS")
}
