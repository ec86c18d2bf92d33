package sink

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCrashAttemptsOfCutSession starts a sink on the store as a kill -9
// leaves it when a session had a message accepted and had not ended: the
// message is stored before its 250, and with it the session's attempts so
// far and a row for the session (its transcript is written when it ends).
// The attempts must all be there, as relaylab expect reads them, and a
// restarted sink must go on counting from them: here defer2 deferred
// attempts 1 and 2 and accepted the 3rd, so the 4th is accepted too, where
// a sink counting from zero defers the recipient again.
func TestCrashAttemptsOfCutSession(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sink.db")
	s, _ := testSinkAt(t, path, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	for _, want := range []int{451, 451} {
		c.expect(250, "", "MAIL FROM:<a@x.test>")
		c.expect(want, "", "RCPT TO:<defer2+u@sink.test>")
		c.expect(250, "", "RSET")
	}
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<defer2+u@sink.test>")
	c.expect(250, "", "RCPT TO:<v@sink.test>")
	c.expect(354, "", "DATA")
	if code, msg := c.body(testMsg); code != 250 {
		t.Fatalf("final dot: got %d %q, want 250", code, msg)
	}
	// The 250 came after the commit; copied now, with the session still
	// open, the files are what a kill -9 at this moment leaves behind.
	crashed := snapshot(t, path, filepath.Join(dir, "crashed"))

	s2, st2 := testSinkAt(t, crashed, nil, nil)
	var sessions, stored int
	st2.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM sink_sessions), (SELECT COUNT(*) FROM sink_messages)`).Scan(&sessions, &stored)
	if sessions != 1 || stored != 1 {
		t.Fatalf("the copy holds %d sessions and %d messages, want 1 and 1 (the state of a kill -9)", sessions, stored)
	}
	atts, err := AllAttempts(context.Background(), st2.DB())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range atts {
		got = append(got, fmt.Sprintf("%s#%d %d", a.Recipient, a.Number, a.Reply.Code))
	}
	want := []string{"defer2+u@sink.test#1 451", "defer2+u@sink.test#2 451", "defer2+u@sink.test#3 250", "v@sink.test#1 250"}
	if !slices.Equal(got, want) {
		t.Errorf("attempts of the cut session: %q, want %q", got, want)
	}
	if ss, err := SessionByID(context.Background(), st2.DB(), atts[0].Session); err != nil || !strings.Contains(ss.Transcript, "had not ended") || ss.Messages != 1 {
		t.Errorf("the cut session's row: %+v, %v; want 1 message and a transcript that says it had not ended", ss, err)
	}
	if got := rcptReply(t, addrOf(t, s2, "mx"), "a@x.test", "defer2+u@sink.test"); got != 250 {
		t.Fatalf("4th attempt of a@x.test to defer2+u@sink.test after the crash: got %d, want 250 (defer2 defers attempts 1 and 2 only; the 3rd was accepted and stored before the crash, so the sink lost count)", got)
	}
}
