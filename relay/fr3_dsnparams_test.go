package relay

import (
	"context"
	"strings"
	"testing"
)

// TestSubmissionRefusesDSNParametersOfBadForm: the submission listener
// refuses what the sink (and Postfix) refuse with 501 5.5.4 in the sink's
// words: RET, ENVID, NOTIFY or ORCPT given twice, an ENVID over 100
// characters, an ORCPT over 500 (RFC 3461 4, 4.2, 4.4). go-smtp took them
// (the last of a repeated parameter winning: NOTIFY=FAILURE NOTIFY=NEVER
// asked for no DSN), and the next hop refused the message after the
// relay's 250, with a DSN about a parameter the relay had taken. The
// command refused leaves the session as it was.
func TestSubmissionRefusesDSNParametersOfBadForm(t *testing.T) {
	t.Parallel()
	const refused = "501 5.5.4 Syntax error in parameters: "
	x := strings.Repeat("x", 101)
	for _, tt := range []struct {
		mail, rcpt string // parameters; the other command has none
		want       string // the reply's start
	}{
		{mail: "RET=FULL RET=HDRS", want: refused + "RET is given twice; it may appear once (RFC 3461 4)"},
		{mail: "ENVID=a ENVID=b", want: refused + "ENVID is given twice; it may appear once (RFC 3461 4)"},
		{mail: "ENVID=" + x, want: refused + "ENVID is 101 characters long; at most 100 are allowed (RFC 3461 4.4)"},
		{rcpt: "NOTIFY=FAILURE NOTIFY=NEVER", want: refused + "NOTIFY is given twice; it may appear once (RFC 3461 4)"},
		{rcpt: "ORCPT=rfc822;a@d.test ORCPT=rfc822;b@d.test", want: refused + "ORCPT is given twice; it may appear once (RFC 3461 4)"},
		// go-smtp reads the last ORCPT only: the first, which it never
		// looks at, is not let through.
		{rcpt: "ORCPT=rfc822;a+ZZ@d.test ORCPT=rfc822;b@d.test", want: refused + "ORCPT is given twice"},
		{rcpt: "ORCPT=rfc822;" + strings.Repeat("b", 495), want: refused + "ORCPT: the value is 502 characters long; at most 500 are allowed (RFC 3461 4.2)"},
		// Within the limits, once each: taken.
		{mail: "RET=HDRS ENVID=" + x[:100], want: "250 "},
		{rcpt: "NOTIFY=FAILURE ORCPT=rfc822;" + strings.Repeat("b", 493), want: "250 "},
	} {
		t.Run(tt.mail+tt.rcpt, func(t *testing.T) {
			t.Parallel()
			h, rc := openSubmission(t)
			got := rc.cmd(strings.TrimSpace("MAIL FROM:<a@b.test> " + tt.mail))
			if tt.rcpt != "" {
				if !strings.HasPrefix(got[0], "250 ") {
					t.Fatalf("MAIL: %q", got)
				}
				got = rc.cmd("RCPT TO:<c@d.test> " + tt.rcpt)
			}
			if !strings.HasPrefix(got[0], tt.want) {
				t.Fatalf("reply %q, want %q", got[0], tt.want)
			}
			if tt.want == "250 " {
				return
			}
			// The refused command changed nothing: a MAIL refused opened
			// no transaction, a RCPT refused added no recipient.
			if tt.mail != "" {
				if got := rc.cmd("MAIL FROM:<a@b.test>"); !strings.HasPrefix(got[0], "250 ") {
					t.Fatalf("MAIL after the refused one: %q", got)
				}
			}
			if got := rc.cmd("DATA"); strings.HasPrefix(got[0], "354") {
				t.Fatalf("DATA after the refused command: %q, want no recipient to send to", got)
			}
			if list, err := h.r.List(context.Background(), QueueFilter{}); err != nil || len(list) != 0 {
				t.Errorf("queue %v (%v), want nothing queued", list, err)
			}
		})
	}
}
