package relay

import (
	"strings"
	"testing"
)

// TestMalformedORCPTSaysWhy: an ORCPT value go-smtp cannot decode is
// refused with a reply that names the octet at fault and how to write it
// (RFC 3461 4, 4.2), instead of "501 5.5.4 Malformed ORCPT parameter value".
func TestMalformedORCPTSaysWhy(t *testing.T) {
	t.Parallel()
	_, rc := openSubmission(t)
	if got := rc.cmd("MAIL FROM:<a@b.test>"); !strings.HasPrefix(got[0], "250 ") {
		t.Fatalf("MAIL: %q", got)
	}
	for _, step := range []struct {
		line string
		want []string // each in the reply
	}{
		{"RCPT TO:<c+tag@d.test> ORCPT=rfc822;c+tag@d.test", []string{"501 5.5.4 ", `"+" at octet 2`, "+2B", "rfc822;c+2Btag@d.test", "RFC 3461"}},
		{"RCPT TO:<c=d@d.test> ORCPT=rfc822;c=d@d.test", []string{"501 5.5.4 ", `octet 2`, "+3D", "rfc822;c+3Dd@d.test"}},
		{"RCPT TO:<c@d.test> ORCPT=rfc822;c+2b@d.test", []string{"501 5.5.4 ", `"+" at octet 2`, "upper-case"}},
		{"RCPT TO:<c@d.test> ORCPT=c@d.test", []string{"501 5.5.4 ", "rfc822;c@d.test", "addr-type"}},
		{"RCPT TO:<c@d.test> ORCPT=x400;c@d.test", []string{"501 5.5.4 ", "x400", "rfc822 or utf-8"}},
		{"RCPT TO:<c@d.test> ORCPT=utf-8;c+d@d.test", []string{"501 5.5.4 ", "octet 2", `\x{2B}`}},
		// A value go-smtp takes is taken.
		{"RCPT TO:<c+tag@d.test> ORCPT=rfc822;c+2Btag@d.test", []string{"250 "}},
	} {
		got := strings.Join(rc.cmd(step.line), "\n")
		for _, w := range step.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: reply %q, want it to hold %q", step.line, got, w)
			}
		}
	}
}
