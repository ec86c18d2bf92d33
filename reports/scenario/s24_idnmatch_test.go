package scenario

import "testing"

// TestS24MatchEitherIDNSpelling: an expectation's match written with the
// domain's U-labels loads against a scenario that sends to its A-labels,
// and the other way round, as the replay's judgement matches them
// (reports.MatchAddress); message: narrows it the same way.
func TestS24MatchEitherIDNSpelling(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ to, match string }{
		{"x@xn--bcher-kva.test", "x@bücher.test"},
		{"x@bücher.test", "X@XN--BCHER-KVA.test"},
	} {
		data := "name: idn\nmessages:\n  - {from: a@shop.test, to: [\"" + c.to + "\"]}\nexpect:\n  recipients:\n    - {match: \"" + c.match + "\", message: msg-1, status: delivered}\n"
		if _, err := Parse("idn.yaml", []byte(data)); err != nil {
			t.Errorf("to %s, match %s: %v", c.to, c.match, err)
		}
	}
}
