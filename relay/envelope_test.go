package relay

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
)

// openSubmission is a raw session with a submission listener that takes
// mail from loopback without AUTH, after EHLO.
func openSubmission(t *testing.T) (*harness, *rawClient) {
	t.Helper()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{})
	c, err := net.Dial("tcp", h.r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, c)
	rc.cmd("EHLO client.test")
	return h, rc
}

// RFC 5321 4.1.4, 3.3: a MAIL inside a transaction is out of sequence and
// leaves the transaction as it was. go-smtp took it, and the message went
// from the second sender to the first sender's recipients too.
func TestNestedMailRefused(t *testing.T) {
	t.Parallel()
	h, rc := openSubmission(t)
	for _, step := range []struct{ line, want string }{
		{"MAIL FROM:<first@b.test>", "250 "},
		{"RCPT TO:<nest1@example.test>", "250 "},
		{"MAIL FROM:<second@d.test>", "503 5.5.1 Nested MAIL command: finish the transaction or send RSET first"},
		{"RCPT TO:<nest2@example.test>", "250 "},
		{"DATA", "354 "},
	} {
		if got := rc.cmd(step.line); !strings.HasPrefix(got[0], step.want) {
			t.Fatalf("%s: reply %q, want %q", step.line, got, step.want)
		}
	}
	got := rc.cmd("Subject: nested\r\n\r\nHello.\r\n.")
	id, ok := strings.CutPrefix(got[0], "250 2.0.0 OK: queued as ")
	if !ok {
		t.Fatalf("end of data: %q", got)
	}
	m, err := h.r.Message(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, r := range m.Recipients {
		to = append(to, r.Address)
	}
	if m.Sender != "first@b.test" || !slices.Equal(to, []string{"nest1@example.test", "nest2@example.test"}) {
		t.Errorf("queued from %q to %q, want from first@b.test to nest1 and nest2", m.Sender, to)
	}
	// After the transaction, MAIL starts the next one.
	if got := rc.cmd("MAIL FROM:<second@d.test>"); !strings.HasPrefix(got[0], "250 ") {
		t.Errorf("MAIL after the transaction: %q", got)
	}
}
