package scenario

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestReplayQuitWaits: a sink that delays or never answers the QUIT that
// closes the relay's kept connection once the relay is idle is played on
// the clock like any other wait, instead of the replay waiting forever
// (the closing was no job of the relay's, so the driver never counted
// the relay as waiting for that reply and never moved the clock).
func TestReplayQuitWaits(t *testing.T) {
	t.Parallel()
	replayYAML(t, `name: quit-waits
seed: 1
messages:
  - {from: a@shop.test, to: ["quitdelay30s+x@ontime.test"]}
  - {from: a@shop.test, to: ["quithang+y@ontime.test"], at: 10m}
expect:
  recipients: [{match: "*", status: delivered, attempts: 1}]
`)
}

// TestTieGoesToTheTimeoutStartedFirst: a sink that waits after the final
// dot exactly as long as the relay's data_timeout loses to the timeout,
// which the relay started as the dot went out, on every run: timers due
// at one instant fire one at a time in the order they were set.
func TestTieGoesToTheTimeoutStartedFirst(t *testing.T) {
	t.Parallel()
	for range 4 {
		replayYAML(t, `name: tie
seed: 1
relay:
  retry: {kind: list, schedule: [2m]}
messages:
  - {from: a@shop.test, to: ["dotdelay10mx1+x@ontime.test"]}
expect:
  recipients: [{match: "*", status: delivered, attempts: 2, any_reply: "dot: reading the reply: i/o timeout"}]
`)
	}
}

// TestReplayJobsWaitingForAConnection: with max_connections, a delivery
// that waits for another to let go of the destination's connection, while
// that one waits for a sink that delays, is waiting on the clock too,
// instead of the replay never moving its clock.
func TestReplayJobsWaitingForAConnection(t *testing.T) {
	t.Parallel()
	out := replayYAML(t, `name: slots
seed: 1
relay:
  paths:
    - {name: p, host: sink, max_connections: 1}
messages:
  - {from: a@shop.test, to: ["delay40s+u{n}@x.test"], count: 3}
expect:
  recipients: [{match: "*", count: 3, status: delivered, attempts: 1}]
`)
	if out.Virtual < 2*time.Minute {
		t.Errorf("three 40 s deliveries over one connection took %v of virtual time, want 2m", out.Virtual)
	}
	// More messages than the relay has workers: the scheduler, too, waits
	// for a job to end before it hands out the next.
	replayYAML(t, `name: workers
seed: 1
relay:
  paths:
    - {name: p, host: sink, max_connections: 5}
messages:
  - {from: a@shop.test, to: ["delay40s+u{n}@x.test"], count: 80}
expect:
  recipients: [{match: "*", count: 80, status: delivered, attempts: 1}]
`)
}

// replayYAML replays the scenario text, failing the test on an error or a
// failed expectation; the context bounds a hang only (a replay takes
// milliseconds).
func replayYAML(t *testing.T, text string) *Outcome {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := Run(ctx, sc, Options{})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	for _, r := range out.Results {
		if !r.Pass {
			t.Errorf("%s: %s", r.Name, r.Message)
		}
	}
	return out
}
