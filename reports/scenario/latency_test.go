package scenario

import (
	"testing"

	"github.com/relaylab/relaylab/reports"
)

// TestReplayKeepsVirtualLatencies: an attempt's latency in a replay is on
// the virtual clock, so it is the same in every run and belongs in the
// report: a receiver that waits 30 s before its RCPT reply gives an
// attempt of 30,000 ms, and one that answers at once an attempt of 0 ms.
func TestReplayKeepsVirtualLatencies(t *testing.T) {
	t.Parallel()
	out := replayYAML(t, `
name: latency
messages:
  - {from: a@shop.test, to: ["delay30s+slow@x.test"]}
  - {from: a@shop.test, to: ["quick@x.test"], at: 1m}
`)
	want := map[string]float64{"delay30s+slow@x.test": 30000, "quick@x.test": 0}
	for _, r := range out.Data.Recipients {
		w, ok := want[r.Address]
		if !ok {
			continue
		}
		if len(r.Attempts) != 1 || r.Attempts[0].Latency == nil || *r.Attempts[0].Latency != w {
			t.Errorf("%s: attempts %+v, want one of %v ms", r.Address, r.Attempts, w)
		}
		delete(want, r.Address)
	}
	if len(want) > 0 {
		t.Errorf("recipients missing from the report: %v", want)
	}
	if s := reports.Summarize(out.Data); s.Latency.N != 2 || s.Latency.Max != 30000 {
		t.Errorf("summary latency %+v, want 2 attempts, max 30000 ms", s.Latency)
	}
}
