package sink

import "testing"

// Rules at rset and quit with sender: match the sender of the session's
// last transaction, though go-smtp has reset it before they are tried:
// RSET after MAIL and RCPT, QUIT after a message's final dot.
func TestFS2RsetQuitSender(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{
			{Stage: "rset", Sender: "rset@sender.test", Reply: "421 4.3.2 rset rule"},
			{Stage: "quit", Sender: "quit@sender.test", Reply: "554 5.3.0 quit rule"},
		}
	})
	addr := addrOf(t, s, "mx")

	c := dial(t, addr)
	c.greet()
	c.expect(250, "", "MAIL FROM:<rset@sender.test>")
	c.expect(250, "", "RCPT TO:<b@sink.test>")
	c.expect(421, "rset rule", "RSET")

	c = dial(t, addr)
	c.greet()
	if code, text := c.send("quit@sender.test", "b@sink.test", testMsg); code != 250 {
		t.Fatalf("message: got %d %q", code, text)
	}
	c.expect(250, "", "RSET") // another sender's rule does not fire
	c.expect(554, "quit rule", "QUIT")

	// A session whose transaction had another sender: the usual replies.
	c = dial(t, addr)
	c.greet()
	if code, text := c.send("other@sender.test", "b@sink.test", testMsg); code != 250 {
		t.Fatalf("message: got %d %q", code, text)
	}
	c.expect(250, "", "RSET")
	c.expect(221, "", "QUIT")
}
