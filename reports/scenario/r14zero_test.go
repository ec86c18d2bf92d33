package scenario

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestR14ZeroInAReplay: max_concurrent_per_destination: 0 and
// time_to_delivery_p99: 0s each give a verdict, at their lines (they gave
// none: no JUnit case, and a green run). A delivery at the first try
// takes no virtual time, so 0s holds; one connection is over 0, which
// the failure says is no connection at all, not "no limit".
func TestR14ZeroInAReplay(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(path, []byte(`name: zero
messages:
  - {from: a@shop.test, to: [a@x.test]}
expect:
  aggregate:
    time_to_delivery_p99: 0s
    max_concurrent_per_destination: 0
`), 0o644); err != nil {
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
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range out.Results {
		got[r.Name] = r.Line
		switch r.Name {
		case "aggregate time_to_delivery_p99":
			if !r.Pass {
				t.Errorf("%s: %s", r.Name, r.Message)
			}
		case "aggregate max_concurrent_per_destination":
			if r.Pass || !strings.Contains(r.Message, "had 1 connection open at once (0 allows no connection at all; leave max_concurrent_per_destination out for no limit)") {
				t.Errorf("%s: pass %v, %s", r.Name, r.Pass, r.Message)
			}
		}
		if !strings.HasSuffix(r.File, "scenario.yaml") {
			t.Errorf("%s: file %q, want the scenario's", r.Name, r.File)
		}
	}
	if got["aggregate time_to_delivery_p99"] != 6 || got["aggregate max_concurrent_per_destination"] != 7 || len(got) != 2 {
		t.Errorf("results at %v, want time_to_delivery_p99 at line 6 and max_concurrent_per_destination at 7", got)
	}
}
