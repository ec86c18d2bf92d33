package sink

import "testing"

// A rule's recipient: or sender: written with an IDN domain, in UTF-8 or
// as A-labels, exactly or in a glob, matches the address in either
// spelling of its domain, as sink.profiles' domains do: a client that
// sends to bob@bücher.test under SMTPUTF8 and one that sends to
// bob@xn--bcher-kva.test write to the same mailbox. Only the spelling
// the rule was written in matched before.
func TestFK4RulePatternIDNSpellings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, rcpt, sender string // the rule's patterns
		to, from           string // the envelope
		want               bool
	}{
		{"U-label glob, A-label recipient", "*@bücher.test", "", "bob@xn--bcher-kva.test", "a@x.test", true},
		{"U-label glob, U-label recipient", "*@bücher.test", "", "bob@bücher.test", "a@x.test", true},
		{"A-label glob, U-label recipient", "*@xn--bcher-kva.test", "", "bob@bücher.test", "a@x.test", true},
		{"A-label exact, U-label recipient in capitals", "bob@XN--BCHER-KVA.test", "", "bob@BÜCHER.test", "a@x.test", true},
		{"U-label exact, A-label recipient", "bob@bücher.test", "", "bob@xn--bcher-kva.test", "a@x.test", true},
		{"subdomain glob, A-label recipient", "*@*.bücher.test", "", "bob@mx.xn--bcher-kva.test", "a@x.test", true},
		{"regexp, A-label recipient", "/@bücher\\.test$/", "", "bob@xn--bcher-kva.test", "a@x.test", true},
		{"another local part", "bob@bücher.test", "", "ann@xn--bcher-kva.test", "a@x.test", false},
		{"another IDN domain", "*@bücher.test", "", "bob@xn--mnchen-3ya.test", "a@x.test", false},
		{"U-label sender glob, A-label sender", "", "*@münchen.test", "bob@x.test", "ann@xn--mnchen-3ya.test", true},
		{"A-label sender, U-label sender", "", "ann@xn--mnchen-3ya.test", "bob@x.test", "ann@münchen.test", true},
		{"ASCII glob, ASCII address", "*@x.test", "", "bob@x.test", "a@x.test", true},
	}
	for _, tt := range tests {
		r, err := Rule{Stage: "rcpt", Recipient: tt.rcpt, Sender: tt.sender, Reply: "550 5.7.1 no"}.compile("sink.rules[0]")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		in := &input{stage: StageRcpt, rcpt: tt.to, sender: tt.from, attempt: 1}
		if got := r.matches(in); got != tt.want {
			t.Errorf("%s: rule (recipient %q, sender %q) matches <%s> from <%s>: %v, want %v", tt.name, tt.rcpt, tt.sender, tt.to, tt.from, got, tt.want)
		}
	}
	// MatchesSender, which a scenario's check of its sink rules asks, says
	// as the sink does.
	if !(Rule{Sender: "*@münchen.test"}).MatchesSender("ann@xn--mnchen-3ya.test") {
		t.Error("MatchesSender: a U-label glob does not match the A-label sender")
	}
}
