package relay

import "testing"

// TestMalformedReplyEndsTheTalk: after a reply that is not SMTP, the
// connection is out of step, and quit closes it without sending QUIT.
func TestMalformedReplyEndsTheTalk(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"hello there\r\n", "25\r\n", "250-a\r\n451 b\r\n"} {
		c := replyReader(in)
		if _, err := c.readReply("mail"); err == nil {
			t.Fatalf("%q read as a reply", in)
		}
		if !c.dead {
			t.Errorf("%q: the connection is not marked out of step, so quit would still talk to it", in)
		}
	}
}
