package relay

import (
	"strings"
	"testing"
)

// RFC 5321 4.1.1.11: a MAIL or RCPT parameter not recognized or not
// implemented gets 555, naming it. go-smtp answered "500 5.5.4 Unknown
// MAIL FROM argument" (500 is for a command not recognized, 4.2.4) and 504
// for one it knows with its extension off.
func TestUnknownParameter555(t *testing.T) {
	t.Parallel()
	_, rc := openSubmission(t)
	for _, step := range []struct{ line, want string }{
		{"MAIL FROM:<a@b.test> XFOO=1", "555 5.5.4 MAIL FROM parameter XFOO not recognized"},
		{"MAIL FROM:<\"x> XBAR\"@b.test> SIZE=10 xbaz", "555 5.5.4 MAIL FROM parameter xbaz not recognized"},
		{"MAIL FROM:<a@b.test> REQUIRETLS", "555 5.5.4 MAIL FROM parameter REQUIRETLS not implemented"},
		{"MAIL FROM:<a@b.test> BODY=BINARYMIME", "555 5.5.4 MAIL FROM parameter BODY=BINARYMIME not implemented"},
		{"MAIL FROM:<a@b.test> BODY=8BITMIME SIZE=10 RET=HDRS ENVID=e1", "250 "},
		{"RCPT TO:<c@d.test> NOTIFY=NEVER XQUX=2", "555 5.5.4 RCPT TO parameter XQUX not recognized"},
		{"RCPT TO:<c@d.test> MT-PRIORITY=1", "555 5.5.4 RCPT TO parameter MT-PRIORITY not implemented"},
		{"RCPT TO:<c@d.test> NOTIFY=NEVER ORCPT=rfc822;c@d.test", "250 "},
		// Refusals of a value, not of a parameter, stay as they were.
		{"RCPT TO:<e@d.test> NOTIFY=SOMETIMES", "501 5.5.4 "},
	} {
		if got := rc.cmd(step.line); !strings.HasPrefix(got[0], step.want) {
			t.Errorf("%s: reply %q, want %q", step.line, got, step.want)
		}
	}
}
