package sink

import (
	"context"
	"strings"
	"testing"
)

// TestReplyNamesClientIP: {client_ip} in a rule's reply, its greylist
// reply or its 2xx text is the client's address on the wire and in the
// record, as Microsoft's 4.7.650 and 5.7.606 name the sending IP.
func TestReplyNamesClientIP(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{
			{Stage: "rcpt", Recipient: "banned@*", Reply: "550 5.7.606 Access denied, banned sending IP [{client_ip}]"},
			{Stage: "rcpt", Recipient: "fine@*", Reply: "250 2.1.5 accepted from {client_ip}"},
		}
	})
	addr := addrOf(t, s, "mx")
	c := dial(t, addr)
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	if code, msg := c.cmd("RCPT TO:<banned@sink.test>"); code != 550 || msg != "5.7.606 Access denied, banned sending IP [127.0.0.1]" {
		t.Errorf("RCPT banned: got %d %q", code, msg)
	}
	if code, msg := c.cmd("RCPT TO:<fine@sink.test>"); code != 250 || msg != "2.1.5 accepted from 127.0.0.1" {
		t.Errorf("RCPT fine: got %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	var text string
	if err := st.DB().QueryRowContext(context.Background(),
		`SELECT text FROM sink_attempts WHERE recipient = 'banned@sink.test' ORDER BY id DESC LIMIT 1`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, ClientIPToken) || !strings.Contains(text, "[127.0.0.1]") {
		t.Errorf("recorded reply %q, want the client's address in it", text)
	}
}
