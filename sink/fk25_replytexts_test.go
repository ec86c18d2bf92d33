package sink

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/mattn/go-sqlite3"
)

// The sink's own replies, as a tester reads them in the client's log, say
// what happened and what to do, with the codes RFC 5321 and RFC 3463 give
// them: an unknown command (500 5.5.2), a known one the sink does not
// offer (502 5.5.1; go-smtp said only "EXPN command not implemented"),
// the go-ahead to DATA (354, no enhanced code: RFC 3463 has none for
// 3xx), the directive full (452 4.2.2) and a full disk (452 4.3.1). The
// 250 after the dot keeps its words, which the web reads its copy's
// number from (web/received.go acceptedNumber).
func TestFK25ReplyTexts(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	steps := []struct {
		cmd  string
		code int
		want string
	}{
		{"XFOO bar", 500, "5.5.2 Command unrecognized: not an SMTP command (RFC 5321 4.2.4); send EHLO to see what this listener offers, then MAIL, RCPT and DATA"},
		{"EXPN staff", 502, "5.5.1 Command not implemented: the sink does not offer EXPN (RFC 5321 4.2.4); send EHLO to see what this listener offers, then MAIL, RCPT and DATA"},
		{"help", 502, "5.5.1 Command not implemented: the sink does not offer HELP (RFC 5321 4.2.4); send EHLO to see what this listener offers, then MAIL, RCPT and DATA"},
		{"MAIL FROM:<a@x.test>", 250, "2.1.0 Sender <a@x.test> OK"},
		{"RCPT TO:<full@sink.test>", 452, "4.2.2 Mailbox full (asked for by a directive): this recipient is not accepted now; try again later"},
		{"RCPT TO:<b@sink.test>", 250, "2.1.5 Recipient <b@sink.test> OK"},
		{"RCPT TO:<c@sink.test>", 250, "2.1.5 Recipient <c@sink.test> OK"},
		{"DATA", 354, "Go ahead. Send the message for its 2 recipients, then end it with a line of a single dot: <CR><LF>.<CR><LF> (RFC 5321 4.1.1.4)"},
	}
	for _, st := range steps {
		if code, msg := c.cmd("%s", st.cmd); code != st.code || msg != st.want {
			t.Fatalf("%s:\n got %d %q\nwant %d %q", st.cmd, code, msg, st.code, st.want)
		}
	}
	if code, msg := c.body(testMsg); code != 250 || !acceptedLine.MatchString(msg) {
		t.Errorf("after the dot: got %d %q, want 250 2.0.0 Message accepted as N", code, msg)
	}
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<d@sink.test>")
	if code, msg := c.cmd("DATA"); code != 354 || !strings.HasPrefix(msg, "Go ahead. Send the message for its 1 recipient, then") {
		t.Errorf("DATA for one recipient: got %d %q", code, msg)
	}
}

// A full disk: 452 4.3.1 says nothing was stored, and where the room is
// to be made.
func TestFK25StoreFullText(t *testing.T) {
	t.Parallel()
	full := storeFailed(fmt.Errorf("store: commit: %w", sqlite3.Error{Code: sqlite3.ErrFull}))
	want := "Insufficient system storage: the sink's store is on a full disk, so nothing was stored; send again once there is room on that disk (the sink's log names the store)"
	if full.Code != 452 || full.EnhancedCode != [3]int{4, 3, 1} || full.Message != want {
		t.Errorf("full disk:\n got %d %v %q\nwant 452 4.3.1 %q", full.Code, full.EnhancedCode, full.Message, want)
	}
}

// acceptedLine is the sink's 250 after the dot, as web/received.go reads
// it.
var acceptedLine = regexp.MustCompile(`^2\.0\.0 Message accepted as [0-9]+$`)
