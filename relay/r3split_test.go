package relay

import (
	"fmt"
	"slices"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestR3SplitReproducible: a weighted split sends each recipient the same
// way in two runs with the same seed, each in a fresh store (as `relaylab
// replay --seed` runs), where it drew from the queue id, random on every
// run. HeldBack routes the recipient as the relay did.
func TestR3SplitReproducible(t *testing.T) {
	t.Parallel()
	run := func() []string {
		a, b := startMTA(t, nil), startMTA(t, nil)
		cfg := testConfig(a.addr)
		cfg.Paths = []PathConfig{{Name: "a", Host: a.addr, TLS: "none"}, {Name: "b", Host: b.addr, TLS: "none"}}
		cfg.Routes = []RouteConfig{{Name: "split", Split: []WeightedPath{{Path: "a", Weight: 1}, {Path: "b", Weight: 1}}}}
		h := newHarness(t, cfg, Options{Seed: 42})
		var ids []string
		for i := range 24 {
			ids = append(ids, h.enqueue("s@s.test", fmt.Sprintf("r%d@r.test", i)))
		}
		h.runUntil("every delivery", h.allDone(ids))
		var paths []string
		for i, id := range ids {
			ev := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered}})
			if len(ev) != 1 {
				t.Fatalf("message %d: %d deliveries", i, len(ev))
			}
			paths = append(paths, ev[0].Path)
			// HeldBack's routing (which a rest of the path would hold
			// back) picks the arm the relay took.
			_, ps := h.r.route(id, fmt.Sprintf("r%d@r.test", i), "s@s.test", 2)
			if ps[0].cfg.Name != ev[0].Path {
				t.Errorf("message %d went over %s, but route gives %s first", i, ev[0].Path, ps[0].cfg.Name)
			}
		}
		return paths
	}
	first, second := run(), run()
	if !slices.Equal(first, second) {
		t.Errorf("two runs with seed 42 split differently:\n%v\n%v", first, second)
	}
	if !slices.Contains(first, "a") || !slices.Contains(first, "b") {
		t.Errorf("a 1:1 split sent all 24 one way: %v", first)
	}
}
