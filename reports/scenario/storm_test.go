package scenario

import (
	"bytes"
	"testing"
	"time"

	"github.com/relaylab/relaylab/reports"
)

// storm is ten messages a minute apart to a receiver that answers
// 421 to each recipient's first three attempts, over a path with a rate,
// two connections and a 15-minute rest after a 421.
const storm = `name: storm
seed: 9
sink:
  rules:
    - {name: storm, stage: rcpt, recipient: "*@yahoo.test", attempt: "1-3", reply: "421 4.7.0 [TSS04] Messages temporarily deferred"}
relay:
  paths:
    - {name: sink, host: sink, tls: none, backoff: 15m, max_connections: 2, rate: 5}
  retry: {kind: list, schedule: [5m, 10m, 20m, 40m], max_age: 1d}
messages:
  - {from: news@shop.test, to: ["r{n}@yahoo.test"], count: 10, every: 1m}
expect:
  recipients:
    - {match: "r*@yahoo.test", count: 10, status: delivered, category: rate-limited, any_reply: "421 4.7.0 *TSS04*"}
`

// TestStormIsDeterministic: recipients that come due at one instant take
// their rate slots in the order the relay claimed them, and one that
// waited for its slot while another's 421 rested the destination is held
// for the rest instead of being sent into it. Before, the jobs of one
// instant took their slots in whatever order their goroutines ran, and
// those past the rest check before the 421 came in were all sent, so
// which recipients met how many 421s, and when, changed from run to run.
// A delivered recipient's category is its last 421's (rate-limited), not
// the hold that followed it (destination-backoff).
func TestStormIsDeterministic(t *testing.T) {
	t.Parallel()
	sc, err := Parse("storm.yaml", []byte(storm))
	if err != nil {
		t.Fatal(err)
	}
	var js [3]bytes.Buffer
	for i := range js {
		out := replay(t, sc)
		for _, r := range out.Results {
			if !r.Pass {
				t.Errorf("run %d: %s: %s", i+1, r.Name, r.Message)
			}
		}
		// A rest holds all of the destination's mail: after a 421, nothing
		// is sent to it for the 15 minutes of its backoff.
		var last421 time.Time
		for _, a := range attemptsInTime(out.Data) {
			if !last421.IsZero() && a.Time.Before(last421.Add(15*time.Minute)) {
				t.Errorf("run %d: an attempt at %s, %s after a 421, inside the destination's rest: %s", i+1,
					a.Time.Format(time.TimeOnly), a.Time.Sub(last421), a.Reply())
			}
			if a.Code == 421 {
				last421 = a.Time
			}
		}
		v := reports.NewVerdict(sc.Name, "storm.yaml", out.Data, out.Results)
		if err := reports.WriteVerdictsJSON(&js[i], []reports.Verdict{v}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < len(js); i++ {
		if !bytes.Equal(js[0].Bytes(), js[i].Bytes()) {
			t.Errorf("replays 1 and %d gave different JSON:\n%s\n---\n%s", i+1, js[0].String(), js[i].String())
		}
	}
}

// attemptsInTime is every recipient's attempts, in time order.
func attemptsInTime(d *reports.Data) []reports.Attempt {
	var all []reports.Attempt
	for _, r := range d.Recipients {
		all = append(all, r.Attempts...)
	}
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].Time.Before(all[j-1].Time); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	return all
}
