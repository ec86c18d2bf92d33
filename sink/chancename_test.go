package sink

import (
	"fmt"
	"net/netip"
	"testing"
)

// TestNamedRuleDrawsByName: a named rule with a probability meets the
// same draws whatever rules come before it, so that adding a rule above
// it does not change a chaos run's timeline; its draws were keyed by its
// place in the list.
func TestNamedRuleDrawsByName(t *testing.T) {
	t.Parallel()
	p := 0.5
	flaky := Rule{Name: "flaky", Stage: "rcpt", Probability: &p, Reply: "451 4.4.2 try again"}
	other := Rule{Stage: "rcpt", Recipient: "nobody@*", Reply: "550 5.1.1 no"}
	draws := func(rules ...Rule) string {
		s, _ := testSink(t, nil, func(c *Config) { c.Rules = rules })
		var out []byte
		for i := range 64 {
			in := &input{stage: StageRcpt, client: netip.MustParseAddr("127.0.0.1"), sender: "a@x.test", rcpt: fmt.Sprintf("r%d@y.test", i), attempt: 1}
			b := s.decide(in, nil)
			out = append(out, map[bool]byte{true: 'x', false: '.'}[b.Reply != nil && b.Reply.Code == 451])
		}
		return string(out)
	}
	alone, below := draws(flaky), draws(other, flaky)
	if alone != below {
		t.Errorf("draws of the named rule alone %s, below another rule %s; want the same", alone, below)
	}
}
