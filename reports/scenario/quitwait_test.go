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
	path := filepath.Join(t.TempDir(), "quit.yaml")
	os.WriteFile(path, []byte(`name: quit-waits
seed: 1
messages:
  - {from: a@shop.test, to: ["quitdelay30s+x@ontime.test"]}
  - {from: a@shop.test, to: ["quithang+y@ontime.test"], at: 10m}
expect:
  recipients: [{match: "*", status: delivered, attempts: 1}]
`), 0o644)
	sc, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// Bounds a hang only: the replay itself takes milliseconds.
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
}
