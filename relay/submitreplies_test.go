package relay

import (
	"net"
	"strings"
	"testing"
)

// TestStockRepliesWorded: go-smtp's "552 5.3.4 Maximum message size
// exceeded" (and "Max message size exceeded" to MAIL's SIZE) names the
// limit and what to do, and its "501 5.5.2 Bad command" says what is
// wrong: after a refused AUTH, that the line answers a challenge no one
// made.
func TestStockRepliesWorded(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	cfg.MaxMessageBytes = 1000
	h := newHarness(t, cfg, Options{})
	raw, err := net.Dial("tcp", h.r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, raw)
	rc.cmd("EHLO client.test")
	size := "552 5.3.4 Message size exceeds fixed maximum message size: this relay takes at most 1000 octets, the SIZE its EHLO reply names (RFC 1870); send a smaller message (large files as links), or ask the relay's operator to raise relay.max_message_bytes"
	if got := rc.cmd("MAIL FROM:<a@s.test> SIZE=2000"); got[0] != size {
		t.Errorf("MAIL with SIZE over the limit: %q; want %q", got, size)
	}
	rc.cmd("MAIL FROM:<a@s.test>")
	rc.cmd("RCPT TO:<b@r.test>")
	if got := rc.cmd("DATA"); !strings.HasPrefix(got[0], "354") {
		t.Fatalf("DATA: %q", got)
	}
	rc.send(strings.Repeat("x\r\n", 1000))
	if got := rc.cmd("."); got[0] != size {
		t.Errorf("message over the limit: %q; want %q", got, size)
	}
	if got := rc.cmd("AUTH LOGIN"); !strings.HasPrefix(got[0], "538 5.7.11 ") {
		t.Fatalf("AUTH LOGIN in the clear: %q; want 538", got)
	}
	want := "501 5.5.2 Syntax error: this line is not a command; the AUTH before it was refused, so no answer to a 334 challenge is expected: see that refusal's reply, then send AUTH again"
	if got := rc.cmd("YWxpY2U="); got[0] != want {
		t.Errorf("a SASL answer after the 538: %q; want %q", got, want)
	}
	want = "501 5.5.2 Syntax error: this line is not a command, which is a verb, then a space before its arguments (RFC 5321 4.1.1)"
	if got := rc.cmd("czNjcmV0"); got[0] != want {
		t.Errorf("a second such line: %q; want %q", got, want)
	}
}

// TestTooManyErrorsWorded: go-smtp's "500 5.5.1 Too many errors. Quiting
// now" after a client's fourth syntax error is the sink's 421 4.7.0.
func TestTooManyErrorsWorded(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, submitConfig(mta.addr), Options{})
	raw, err := net.Dial("tcp", h.r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, raw)
	for i := 0; i < 3; i++ {
		rc.cmd("xy")
	}
	if got := rc.cmd("xy"); !strings.HasPrefix(got[0], "501 5.5.2 ") {
		t.Fatalf("fourth bad line: %q; want 501", got)
	}
	if got, want := rc.reply(), "421 4.7.0 Too many unrecognized commands: closing the connection (RFC 5321 3.8)"; got[0] != want {
		t.Errorf("after the fourth bad line: %q; want %q", got, want)
	}
}
