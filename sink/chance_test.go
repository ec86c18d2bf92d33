package sink

import (
	"net/netip"
	"testing"
)

// TestChanceIsFairAcrossAttempts checks that consecutive attempts of one
// recipient get independent draws: FNV alone keeps its high bits when only
// the attempt number changes.
func TestChanceIsFairAcrossAttempts(t *testing.T) {
	t.Parallel()
	s := &Sink{seed: 42}
	for _, p := range []float64{0.05, 0.3, 0.7} {
		hits := 0
		const n = 4000
		for i := 0; i < n; i++ {
			in := &input{stage: StageRcpt, client: netip.MustParseAddr("127.0.0.1"), sender: "a@x.test", rcpt: "r@y.test", attempt: i + 1}
			if s.chance(p, in, "rule 0") {
				hits++
			}
		}
		if got := float64(hits) / n; got < p-0.04 || got > p+0.04 {
			t.Errorf("p=%.2f: %d of %d attempts hit (%.3f)", p, hits, n, got)
		}
	}
	in := &input{stage: StageRcpt, sender: "a@x.test", rcpt: "r@y.test", attempt: 3}
	if s.chance(0.5, in, "rule 0") != s.chance(0.5, in, "rule 0") {
		t.Error("the same decision gave two answers")
	}
}
