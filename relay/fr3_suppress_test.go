package relay

import (
	"context"
	"strings"
	"testing"
)

// TestSuppressRefusesWhatSubmissionRefuses: an address the submission
// listener refuses at RCPT TO (553 5.1.3: a domain that is no host name, a
// control character) cannot be put on the suppression list by hand either,
// for the same reason, since no message can go to it and the entry would
// never match; addresses the listener takes still can. Before, `relaylab
// suppress add 'x@-bad.test'` was taken.
func TestSuppressRefusesWhatSubmissionRefuses(t *testing.T) {
	t.Parallel()
	h, rc := openSubmission(t)
	if got := rc.cmd("MAIL FROM:<a@b.test>"); !strings.HasPrefix(got[0], "250 ") {
		t.Fatalf("MAIL: %q", got)
	}
	for _, tt := range []struct {
		addr string
		why  string // in both refusals; "" for an address both take
	}{
		{"x@-bad.test", `the domain -bad.test is not a host name: the label "-bad" starts or ends with a hyphen (RFC 5321 4.1.2)`},
		{"x@bad..test", "the domain bad..test is not a host name: an empty label"},
		{"x@good.test", ""},
		{"x@b\u00fccher.test", ""},
		{"x@[127.0.0.1]", ""},
	} {
		err := h.r.Suppress(context.Background(), tt.addr, "")
		reply := rc.cmd("RCPT TO:<" + tt.addr + ">")[0]
		if tt.why == "" {
			if err != nil || !strings.HasPrefix(reply, "250 ") {
				t.Errorf("%s: Suppress = %v, RCPT %q; want both taken", tt.addr, err, reply)
			}
			continue
		}
		if !strings.HasPrefix(reply, "553 5.1.3 ") || !strings.Contains(reply, tt.why) {
			t.Errorf("%s: RCPT %q, want 553 5.1.3 with %q", tt.addr, reply, tt.why)
		}
		if err == nil || !strings.Contains(err.Error(), tt.why) || !strings.Contains(err.Error(), "never match") {
			t.Errorf("%s: Suppress = %v, want an error with %q that says the entry would never match", tt.addr, err, tt.why)
		}
	}
	list, err := h.r.Suppressions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if strings.Contains(s.Address, "bad") {
			t.Errorf("the list holds %s", s.Address)
		}
	}
	if len(list) != 3 {
		t.Errorf("the list holds %d entries, want the 3 good ones: %+v", len(list), list)
	}
}
