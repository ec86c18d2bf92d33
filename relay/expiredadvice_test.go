package relay

import (
	"strings"
	"testing"
)

// TestExpiredAdvice: a recipient the retry policy gave up on is not told
// that it "is retried": the advice keeps what to fix from the last
// verdict's advice and says to send the message again.
func TestExpiredAdvice(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		advice string
		want   string
	}{
		{"nothing; it is retried. If it recurs, check the server's load and the path's command_timeout",
			"To deliver the message: check the server's load and the path's command_timeout, then send it again"},
		{"nothing for this message, it is retried; if it persists, ask the server's operator to fix TLS, or use tls: opportunistic on the path",
			"To deliver the message: ask the server's operator to fix TLS, or use tls: opportunistic on the path, then send it again"},
		{"nothing; it is retried", "To deliver the message: find out from the receiving side's postmaster why it kept deferring, then send it again"},
		{"nothing; the next attempt after the greylist delay passes", "To deliver the message: find out from the receiving side's postmaster"},
		{"nothing now; the recipient must make room", "To deliver the message: the recipient must make room, then send it again"},
		{"check the host and port, the firewall, and that the server runs", "To deliver the message: check the host and port, the firewall, and that the server runs, then"},
		{"ask the server's operator to fix TLS, or use tls: opportunistic on the path; the message waits until the retry policy gives up",
			"To deliver the message: ask the server's operator to fix TLS, or use tls: opportunistic on the path, then send it again"},
	} {
		got := expiredAdvice(Reply{Stage: "rcpt"}, Verdict{Reason: "the server did not answer in time at RCPT TO", Advice: tt.advice}, nil)
		if !strings.HasPrefix(got, "the last reply says why: the server did not answer in time at RCPT TO. ") || !strings.Contains(got, tt.want) ||
			strings.Contains(got, "retried") || strings.Contains(got, "nothing") || !strings.Contains(got, "max_age") {
			t.Errorf("advice %q:\n got  %q\n want it to contain %q, and no 'retried' or 'nothing'", tt.advice, got, tt.want)
		}
	}
}
