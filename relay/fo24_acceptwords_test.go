package relay

import (
	"strings"
	"testing"
)

// TestFO24SubmissionAcceptWords: walk item (c). The relay's submission
// answered MAIL and RCPT with go-smtp's stock "250 2.0.0 Roger, accepting
// mail from <...>" and "250 2.0.0 I'll make sure <...> gets this"; now with
// the sink's words and the enhanced codes RFC 3463 3.2 gives them, 2.1.0
// and 2.1.5, still within 512 octets for a long address.
func TestFO24SubmissionAcceptWords(t *testing.T) {
	t.Parallel()
	_, rc := rawSubmission(t)
	rc.cmd("EHLO client.test")
	long := strings.Repeat("c", 1500) + "@example.test"
	for _, tt := range []struct{ cmd, want string }{
		{"MAIL FROM:<a@s.test>", "250 2.1.0 Sender <a@s.test> OK"},
		{"RCPT TO:<b@example.test>", "250 2.1.5 Recipient <b@example.test> OK"},
		{"RCPT TO:<" + long + ">", "250 2.1.5 Recipient <" + long[:253-64] + "..." + long[len(long)-64:] + "> OK"},
	} {
		if got := rc.cmd(tt.cmd); len(got) != 1 || got[0] != tt.want {
			t.Errorf("%.40s: %.120q; want %.120q", tt.cmd, got, tt.want)
		}
	}
	rc.cmd("RSET")
	if got := rc.cmd("MAIL FROM:<>"); len(got) != 1 || got[0] != "250 2.1.0 Sender <> OK" {
		t.Errorf("MAIL FROM:<>: %q; want 250 2.1.0 Sender <> OK", got)
	}
}
