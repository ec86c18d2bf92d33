package scenario

import (
	"context"
	"net"
	"path/filepath"
	"testing"
)

// TestBounceAddressHeld: the address the sink sends its asynchronous bounces
// to stays bound by the replay from before the sink starts until the end, so
// that nothing else on the machine (another suite in CI) can take it in
// between. Before, the runner picked a port, released it, and had the relay
// bind it later: the "thief" here, which binds it right after the sink
// starts, took it, and the relay failed to start.
func TestBounceAddressHeld(t *testing.T) {
	t.Parallel()
	sc, err := Load(filepath.Join(dir, "async-bounce.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var thief error
	opts := Options{sinkStarted: func(bounceRelay string) {
		l, err := net.Listen("tcp", bounceRelay)
		if err != nil {
			thief = err
			return
		}
		// Held until the test ends, as another process would.
		t.Cleanup(func() { l.Close() })
	}}
	out, err := Run(context.Background(), sc, opts)
	if err != nil {
		t.Fatalf("a replay whose bounce address another listener tried to take: %v", err)
	}
	if thief == nil {
		t.Error("another listener could bind the address the sink sends bounces to, between the sink's start and the relay's")
	}
	for _, r := range out.Results {
		if !r.Pass {
			t.Errorf("%s: %s", r.Name, r.Message)
		}
	}
}
