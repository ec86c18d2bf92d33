package sink

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

const shutdown421 = "421 4.3.2 sink.relaylab.test shutting down, try again later"

// waitWaiting waits until n of s's sessions wait for their next command
// (conn.waitCommand), so that a test stops them there and nowhere else.
func waitWaiting(t *testing.T, s *Sink, n int) {
	t.Helper()
	for i := 0; i < 4000; i++ {
		got := 0
		s.mu.Lock()
		for c := range s.conns {
			c.stopMu.Lock()
			if c.waiting {
				got++
			}
			c.stopMu.Unlock()
		}
		s.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("fewer than %d sessions wait for a command", n)
}

// readLine reads one line the sink sends unasked, or "" and the error.
func (c *client) readLine() (string, error) {
	line, err := c.tp.ReadLine()
	return line, err
}

// RFC 5321 3.8: a session waiting for the client's next command outside a
// transaction gets 421 at once when the sink shuts down, and closes, so
// that Shutdown returns without waiting out its grace; the 421 is in the
// session's record as the sink's reply. It used to wait for the whole
// grace and then close with no reply.
func TestShutdownAnswersIdleSessions(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	greeted := dial(t, addr) // greeted, no EHLO yet
	if code, _ := greeted.read(); code != 220 {
		t.Fatalf("greeting: %d", code)
	}
	after := dial(t, addr) // after a transaction
	after.greet()
	if code, msg := after.send("a@x.test", "u@sink.test", testMsg); code != 250 {
		t.Fatalf("message: %d %s", code, msg)
	}
	tlsIdle := dial(t, addr) // under STARTTLS: the 421 goes in TLS
	tlsIdle.greet()
	tlsIdle.startTLS()
	tlsIdle.expect(250, "", "EHLO client.test")
	waitWaiting(t, s, 3)
	// Not a measure of speed: a grace far longer than the test needs,
	// which the sink must not wait out.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown waited out its grace for idle sessions: %v", err)
	}
	for name, c := range map[string]*client{"greeted": greeted, "after a message": after, "under TLS": tlsIdle} {
		if line, err := c.readLine(); line != shutdown421 {
			t.Errorf("%s: got %q (%v), want %q", name, line, err, shutdown421)
		}
		if line, err := c.readLine(); !errors.Is(err, io.EOF) {
			t.Errorf("%s: after the 421 got %q (%v), want the connection closed", name, line, err)
		}
	}
	for id := int64(1); id <= 3; id++ {
		ss, err := SessionByID(context.Background(), st.DB(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ss.Transcript, "S "+shutdown421+"\n") || !strings.Contains(ss.Transcript, "shutting down: 421 to a session waiting") {
			t.Errorf("session %d: transcript has no 421 of the shutdown:\n%s", id, ss.Transcript)
		}
	}
	evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{events.SinkReply}})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(eventPayloads(evs), `"code":421,"enhanced":"4.3.2"`); n != 3 {
		t.Errorf("%d sink.reply events of the 421, want 3: %s", n, eventPayloads(evs))
	}
}

func eventPayloads(evs []events.Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.Write(e.Payload)
		b.WriteByte('\n')
	}
	return b.String()
}

// A session in a transaction is let finish it (TestGracefulShutdown);
// when the grace ends first, one waiting for its next command in the
// transaction gets the 421 before the close, and one in the middle of its
// message is closed without a reply, as there is no place for one there.
func TestShutdownGraceEndsTransactions(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	inTxn := dial(t, addr)
	inTxn.greet()
	inTxn.expect(250, "", "MAIL FROM:<a@x.test>")
	inTxn.expect(250, "", "RCPT TO:<txn@sink.test>")
	inData := dial(t, addr)
	inData.greet()
	inData.expect(250, "", "MAIL FROM:<a@x.test>")
	inData.expect(250, "", "RCPT TO:<data@sink.test>")
	inData.expect(354, "", "DATA")
	if _, err := io.WriteString(inData.nc, "Subject: half\r\n\r\nthe first half of a message\r\n"); err != nil {
		t.Fatal(err)
	}
	waitWaiting(t, s, 1) // inTxn; inData reads its message
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the grace is over at once
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown: %v, want the context's error", err)
	}
	if line, err := inTxn.readLine(); line != shutdown421 {
		t.Errorf("in a transaction: got %q (%v), want %q", line, err, shutdown421)
	}
	if line, err := inData.readLine(); err == nil {
		t.Errorf("in a message: got %q, want the connection closed without a reply", line)
	}
	as, err := AllAttempts(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range as {
		got[a.Recipient] = a.Reply.Text
	}
	if !strings.Contains(got["data@sink.test"], "the sink closed the connection in the message data") {
		t.Errorf("the attempt cut in its message: %q", got["data@sink.test"])
	}
	if _, ok := got["txn@sink.test"]; !ok {
		t.Errorf("no attempt for the recipient of the transaction the 421 ended: %v", got)
	}
}
