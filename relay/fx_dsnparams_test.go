package relay

import (
	"strings"
	"testing"
)

// TestFXSubmissionWordsDSNParamsGoSMTPRefuses: a DSN parameter go-smtp
// refuses itself, before the session sees the command (one without a
// value, a value it cannot read, a repeated one of which go-smtp reads a
// malformed copy), gets the sink's 501 5.5.4 "Syntax error in
// parameters", which says what is wrong and what to write; go-smtp said
// "Unknown RET value", "Malformed ENVID parameter value" or "Unable to
// parse RCPT ESMTP parameters".
func TestFXSubmissionWordsDSNParamsGoSMTPRefuses(t *testing.T) {
	t.Parallel()
	const refused = "501 5.5.4 Syntax error in parameters: "
	long := strings.Repeat("x", 470)
	for _, tt := range []struct {
		mail, rcpt string // parameters; the other command has none
		want       string // the reply's start
	}{
		{mail: "RET", want: refused + "RET needs a value, as in RET=HDRS (RFC 3461 4)"},
		{mail: "RET=", want: refused + "RET needs a value, as in RET=HDRS (RFC 3461 4)"},
		{mail: "ENVID=", want: refused + "ENVID needs a value, as in ENVID=QQ314159 (RFC 3461 4)"},
		{mail: "RET=FULL RET", want: refused + "RET is given twice; it may appear once (RFC 3461 4)"},
		{mail: "RET=a=b RET=FULL", want: refused + "RET is given twice; it may appear once (RFC 3461 4)"},
		{mail: "RET=FOO", want: refused + "RET=FOO is neither FULL nor HDRS (RFC 3461 4.3)"},
		{mail: "ENVID=a=b", want: refused + "ENVID is not valid xtext: "},
		{rcpt: "NOTIFY", want: refused + "NOTIFY needs a value, as in NOTIFY=FAILURE,DELAY (RFC 3461 4)"},
		{rcpt: "NOTIFY=FOO", want: refused + "NOTIFY=FOO: FOO is not NEVER, SUCCESS, FAILURE or DELAY (RFC 3461 4.1)"},
		{rcpt: "NOTIFY=a=b", want: refused + "NOTIFY=a=b: "},
		{rcpt: "ORCPT", want: refused + "ORCPT needs a value, as in ORCPT=rfc822;alice@example.com (RFC 3461 4)"},
		{rcpt: "ORCPT=", want: refused + "ORCPT needs a value"},
		{rcpt: "ORCPT=a=b ORCPT=rfc822;c@d.test", want: refused + "ORCPT is given twice; it may appear once (RFC 3461 4)"},
		{rcpt: "ORCPT=rfc822;c@d.test ORCPT=a=b", want: refused + "ORCPT is given twice; it may appear once (RFC 3461 4)"},
		// The client's value, echoed, keeps the reply within 512 octets.
		{mail: "RET=" + long, want: refused + "RET=xxx"},
	} {
		t.Run(tt.mail+tt.rcpt, func(t *testing.T) {
			t.Parallel()
			_, rc := openSubmission(t)
			got := rc.cmd(strings.TrimSpace("MAIL FROM:<a@b.test> " + tt.mail))
			if tt.rcpt != "" {
				if !strings.HasPrefix(got[0], "250 ") {
					t.Fatalf("MAIL: %q", got)
				}
				got = rc.cmd("RCPT TO:<c@d.test> " + tt.rcpt)
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) || len(got[0])+2 > rfcReplyLine {
				t.Fatalf("reply %q, want one line of at most 512 octets starting %q", got, tt.want)
			}
			// The session goes on: the command refused opened nothing.
			if tt.mail != "" {
				if got := rc.cmd("MAIL FROM:<a@b.test>"); !strings.HasPrefix(got[0], "250 ") {
					t.Fatalf("MAIL after the refused one: %q", got)
				}
			}
		})
	}
}

// TestFXDSNParamFaultLeavesOthers: go-smtp's refusals of what is no DSN
// parameter, or of a DSN value the sink would take, are not reworded.
func TestFXDSNParamFaultLeavesOthers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		reply  string
		params []string
		mail   bool
	}{
		{"501 5.5.4 Unable to parse MAIL ESMTP parameters", []string{"SIZE=1=2", "RET=HDRS"}, true},
		{"501 5.5.4 Unable to parse MAIL ESMTP parameters", []string{"NOTIFY=a=b"}, true}, // no DSN parameter of MAIL
		{"501 5.5.4 Unknown BODY value", []string{"BODY=X", "RET"}, true},
		{"500 5.5.4 Unknown MAIL FROM argument", []string{"X", "RET"}, true},
		// The ORCPT value's own reply (orcptFault) names the octet.
		{"501 5.5.4 Malformed ORCPT parameter value", []string{"ORCPT=rfc822;a+b@d.test"}, false},
	} {
		if f := dsnParamFault([]byte(tt.reply+"\r\n"), tt.params, tt.mail, dsnFormFault(tt.params, tt.mail)); f != nil {
			t.Errorf("%q to %q: fault %+v, want go-smtp's reply left as it is", tt.reply, tt.params, f)
		}
	}
}
