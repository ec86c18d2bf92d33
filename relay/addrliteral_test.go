package relay

import (
	"context"
	"strings"
	"testing"
)

// RFC 5321 4.1.3: an address literal is an IPv4 address, or IPv6: and an
// IPv6 address. The relay took [300.1.1.1] and an untagged IPv6 address,
// at MAIL, at RCPT and through Enqueue, and passed on what the sink
// refuses with 553.
func TestAddressLiteralRefused(t *testing.T) {
	t.Parallel()
	h, rc := openSubmission(t)
	for _, step := range []struct{ line, want string }{
		{"MAIL FROM:<u@[300.1.1.1]>", "553 5.1.7 Bad sender address syntax: [300.1.1.1] is not an IPv4 address literal"},
		{"MAIL FROM:<u@[192.0.2.1]>", "250 "},
		{"RCPT TO:<u@[2001:db8::1]>", "553 5.1.3 Bad recipient address syntax: [2001:db8::1] is not an address literal: an IPv6 address needs the tag \"IPv6:\""},
		{"RCPT TO:<u@[IPv6:2001:db8::1]>", "250 "},
	} {
		if got := rc.cmd(step.line); !strings.HasPrefix(got[0], step.want) {
			t.Errorf("%s: reply %q, want %q", step.line, got, step.want)
		}
	}
	for _, s := range []Submission{
		{From: "u@[300.1.1.1]", Recipients: []Recipient{{Address: "v@example.test"}}},
		{From: "u@example.test", Recipients: []Recipient{{Address: "v@example.test"}, {Address: "w@[2001:db8::1]"}}},
	} {
		s.Data = []byte("Subject: x\r\n\r\nx\r\n")
		_, err := h.r.Enqueue(context.Background(), s)
		if err == nil || !strings.Contains(err.Error(), "RFC 5321 4.1.3") {
			t.Errorf("Enqueue from %s to %v: %v, want a refusal naming RFC 5321 4.1.3", s.From, s.Recipients, err)
		}
	}
}
