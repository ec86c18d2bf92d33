package relay

import (
	"context"
	"net/textproto"
	"regexp"
	"testing"
)

// TestDataReplyNamesQueueID: the 250 at the end of DATA names the queue id
// that relaylab queue show/retry/delete take, as Postfix's "queued as"
// does, and keeps go-smtp's "OK: queued" before it for clients that match
// that.
func TestDataReplyNamesQueueID(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{})
	c, err := textproto.Dial("tcp", h.r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	step := func(want int, format string, args ...any) string {
		t.Helper()
		if format != "" {
			if err := c.PrintfLine(format, args...); err != nil {
				t.Fatal(err)
			}
		}
		_, msg, err := c.ReadResponse(want)
		if err != nil {
			t.Fatalf("%q: %v", format, err)
		}
		return msg
	}
	step(220, "")
	step(250, "EHLO client.test")
	step(250, "MAIL FROM:<a@s.test>")
	step(250, "RCPT TO:<b@r.test>")
	step(354, "DATA")
	reply := step(250, "Subject: hi\r\n\r\nbody\r\n.")
	m := regexp.MustCompile(`^2\.0\.0 OK: queued as (\S+)$`).FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("reply to the final dot %q, want 250 2.0.0 OK: queued as ID", reply)
	}
	info, err := h.r.Message(context.Background(), m[1])
	if err != nil {
		t.Fatalf("the id %q of the reply is not a queued message: %v", m[1], err)
	}
	if info.Sender != "a@s.test" {
		t.Errorf("message %s is from %q, want a@s.test", m[1], info.Sender)
	}
}
