package relay

import (
	"strings"
	"testing"
)

// TestORCPTRefusalWithinReplyLimit: the 501 to a malformed ORCPT echoes
// the client's value and suggests it rewritten as xtext, where each "="
// becomes "+3D"; a command line within the 512-octet limit got a reply
// line of 1777 octets. RFC 5321 4.5.3.1.5 allows a reply line 512 octets
// with its CRLF, so the echoes are cut short and a long rewrite left out.
func TestORCPTRefusalWithinReplyLimit(t *testing.T) {
	t.Parallel()
	_, rc := openSubmission(t)
	if got := rc.cmd("MAIL FROM:<a@b.test>"); !strings.HasPrefix(got[0], "250 ") {
		t.Fatalf("MAIL: %q", got)
	}
	line := "RCPT TO:<c@d.test> ORCPT=rfc822;c" + strings.Repeat("=", 400) + "@d.test"
	got := rc.cmd(line)
	// Still says what is wrong and how to write it.
	for _, want := range []string{"501 5.5.4 Malformed ORCPT parameter value: ORCPT=rfc822;c===", "...: the address is xtext", "octet 2 must be written as +3D", "in xtext"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("reply %q, want it to hold %q", got[0], want)
		}
	}
	for _, l := range got {
		if len(l)+2 > 512 {
			t.Errorf("command line of %d octets got a reply line of %d octets (RFC 5321 4.5.3.1.5: at most 512 with CRLF): %.120q...", len(line)+2, len(l)+2, l)
		}
	}
}
