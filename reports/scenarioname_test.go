package reports

import (
	"strings"
	"testing"
)

// TestScenarioMessageIDRoundTrip: the scenario's name goes into the
// Message-ID as an atom (RFC 5322 3.6.4) and comes back as it was; a
// Message-ID of a store written before it carried a name still gives the
// message's name, with no scenario.
func TestScenarioMessageIDRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"greylisting", "beta two", "a=b.c/d", "grüße", "rate-limit_421"} {
		mid := ScenarioMessageID(name, 3, 1767600000000000000)
		local, _, _ := strings.Cut(mid, "@")
		if strings.ContainsAny(local, " \"(),:;<>@[\\]") || strings.Contains(local, "..") {
			t.Errorf("%q: Message-ID %q is not a dot-atom", name, mid)
		}
		if sc, msg, seq := scenarioName(mid); sc != name || msg != "msg-3" || seq != 3 {
			t.Errorf("%q: read back %q, %q, %d from %q; want %q, msg-3, 3", name, sc, msg, seq, mid, name)
		}
	}
	if sc, msg, seq := scenarioName("scenario.msg-2.1767600000000000000@relaylab.test"); sc != "" || msg != "msg-2" || seq != 2 {
		t.Errorf("a Message-ID without a scenario: %q, %q, %d; want \"\", msg-2, 2", sc, msg, seq)
	}
	long := ScenarioMessageID(strings.Repeat("é", 200), 1, 1)
	if len(long) > 300 {
		t.Errorf("a long name makes a Message-ID of %d octets; want it cut", len(long))
	}
}
