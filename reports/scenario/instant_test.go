package scenario

import (
	"testing"
)

// failoverAtOnce is smarthost-failover.yaml with ten messages at one
// instant: the primary answers 421 at connect, the backup takes them.
const failoverAtOnce = `name: failover-at-once
seed: 5
sink:
  listeners:
    - {name: primary, hostname: primary.relaylab.test}
    - {name: backup, hostname: backup.relaylab.test}
  rules:
    - {name: primary is down, stage: connect, listener: primary, reply: "421 4.3.2 System not accepting network messages"}
relay:
  paths:
    - {name: primary, host: "sink:primary", tls: none}
    - {name: backup, host: "sink:backup", tls: none}
  routes:
    - {name: failover, paths: [primary, backup]}
messages:
  - {from: orders@shop.test, to: ["customer{n}@example.test"], count: 10}
expect:
  recipients:
    - {match: "customer*@example.test", count: 10, status: delivered, attempts: 1, path: backup}
`

// TestMessagesOfOneInstantArePlannedTogether: the messages a replay
// submits at one instant reach the relay together (relay.EnqueueAll), so
// that it plans them in one pass and each of them, under way when the
// primary's 421 rests it, tries the primary first. Before, they were
// queued one by one, and the relay could claim the first alone: the 421
// it met then held back whichever of the others were planned after it,
// a different number on each run (1, 2, 5 or 10 of the ten).
func TestMessagesOfOneInstantArePlannedTogether(t *testing.T) {
	t.Parallel()
	sc, err := Parse("failover-at-once.yaml", []byte(failoverAtOnce))
	if err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 3; run++ {
		out := replay(t, sc)
		for _, r := range out.Results {
			if !r.Pass {
				t.Errorf("run %d: %s: %s", run, r.Name, r.Message)
			}
		}
		for _, rc := range out.Data.Recipients {
			if len(rc.Attempts) == 0 || rc.Attempts[0].Path != "primary" || rc.Attempts[0].Code != 421 {
				t.Errorf("run %d: %s did not meet the primary's 421 first: %+v", run, rc.Address, rc.Attempts)
			}
		}
	}
}
