package relay

import (
	"strings"
	"testing"
)

// TestFO24Classify: walk items (f) and (d). A 450 4.2.1 was unclassified,
// though RFC 3463 X.2.1 is "mailbox disabled, not accepting messages": it
// is mailbox-disabled, retried (for now, as a 4.2.1). A 530 5.7.0
// "Authentication required ...; AUTH is offered after STARTTLS" (the
// relay's own submission says it) was tls-failure for naming STARTTLS:
// it is credentials-refused, and only a 530 that says TLS is required is
// tls-failure.
func TestFO24Classify(t *testing.T) {
	t.Parallel()
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		r        Reply
		d        Disposition
		category string
		reason   string
	}{
		{"4.2.1 at RCPT", Reply{Stage: "rcpt", Code: 450, Enhanced: "4.2.1", Text: "mailbox busy"}, Retry, "mailbox-disabled", "not accepting messages for now"},
		{"4.2.1 after the dot", Reply{Stage: "dot", Code: 451, Enhanced: "4.2.1", Text: "Mailbox temporarily disabled"}, Retry, "mailbox-disabled", "RFC 3463 X.2.1"},
		{"5.2.1 stays", Reply{Stage: "rcpt", Code: 550, Enhanced: "5.2.1", Text: "Mailbox disabled"}, Bounce, "mailbox-disabled", "disabled"},
		{"auth offered after starttls", Reply{Stage: "mail", Code: 530, Enhanced: "5.7.0",
			Text: "Authentication required: this relay accepts mail only after AUTH, or from its allowed networks; AUTH is offered after STARTTLS"}, Reroute, "credentials-refused", "authenticate"},
		{"starttls first", Reply{Stage: "mail", Code: 530, Enhanced: "5.7.0", Text: "Must issue a STARTTLS command first"}, Reroute, "tls-failure", "encrypted"},
		{"starttls required", Reply{Stage: "rcpt", Code: 530, Enhanced: "5.7.0", Text: "STARTTLS required"}, Reroute, "tls-failure", "encrypted"},
		{"auth: must issue starttls", Reply{Stage: "auth", Code: 530, Enhanced: "5.7.0", Text: "Must issue a STARTTLS command first"}, Reroute, "tls-failure", "encrypted"},
	} {
		v := c.Classify(tt.r)
		if v.Disposition != tt.d || v.Category != tt.category || !strings.Contains(v.Reason, tt.reason) || v.Advice == "" {
			t.Errorf("%s: %v %s (%q, advice %q); want %v %s, a reason with %q and advice", tt.name, v.Disposition, v.Category, v.Reason, v.Advice, tt.d, tt.category, tt.reason)
		}
	}
}
