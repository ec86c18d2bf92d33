package relay

import (
	"strings"
	"testing"
)

// TestSyntaxAndSMTPUTF8Classified: a server's 553 5.6.7 (RFC 6531 3.5)
// and its 501 or X.5.2 syntax errors get categories of their own, with a
// reason and advice, where the table left them unclassified ("a permanent
// failure the table does not know").
func TestSyntaxAndSMTPUTF8Classified(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		r                  Reply
		category, inReason string
	}{
		{Reply{Stage: "rcpt", Code: 553, Enhanced: "5.6.7", Text: "Non-ASCII addresses not permitted for that recipient"}, "smtputf8-required", "RFC 6531 3.5"},
		{Reply{Stage: "mail", Code: 553, Enhanced: "5.6.7", Text: "the envelope has a non-ASCII (internationalized) address and the server does not offer SMTPUTF8 (RFC 6531), so the message cannot be handed to it"}, "smtputf8-required", "SMTPUTF8"},
		{Reply{Stage: "rcpt", Code: 501, Enhanced: "5.5.2", Text: "Syntax error in parameters"}, "syntax-error", "501"},
		{Reply{Stage: "mail", Code: 501, Text: "bad address"}, "syntax-error", "501"},
		{Reply{Stage: "data", Code: 500, Enhanced: "5.5.2", Text: "Syntax error, command unrecognized"}, "syntax-error", "X.5.2"},
	} {
		v := builtinVerdict(t, tt.r)
		if v.Category != tt.category || v.Disposition == Retry || !strings.Contains(v.Reason, tt.inReason) || v.Advice == "" ||
			strings.Contains(v.Reason, "{stage}") {
			t.Errorf("%s at %s: verdict %+v; want %s, not retried, a reason naming %q and advice", tt.r, tt.r.Stage, v, tt.category, tt.inReason)
		}
	}
	// Rules before them still decide: a 501 5.1.3 is about the address,
	// a 500 5.5.2 "line too long" about the line.
	if v := builtinVerdict(t, Reply{Stage: "rcpt", Code: 501, Enhanced: "5.1.3", Text: "Bad recipient address syntax"}); v.Category != "invalid-recipient" {
		t.Errorf("501 5.1.3: category %s, want invalid-recipient", v.Category)
	}
	if v := builtinVerdict(t, Reply{Stage: "data", Code: 500, Enhanced: "5.5.2", Text: "Line too long"}); v.Category != "line-too-long" {
		t.Errorf("500 5.5.2 line too long: category %s, want line-too-long", v.Category)
	}
}
