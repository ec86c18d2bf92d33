package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigReportsEachPartsMistake: a file with a mistake in several
// parts (store, sink, relay, web) gets each at its line in one run; it
// stopped at the first, and the user found the next on the next run.
func TestConfigReportsEachPartsMistake(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "relaylab.yaml")
	os.WriteFile(path, []byte(`store:
  sync: sometimes
sink:
  rules:
    - {stage: rcp, reply: "550 5.1.1 no"}
relay:
  workers: -4
web:
  allowed_origins: ["null"]
`), 0o644)
	code, _, errOut := runIn(t, context.Background(), "config", "--config", path)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr %q", code, errOut)
	}
	for _, want := range []string{
		path + ":2:9: store.sync: ",
		path + ":5:15: sink.rules[0].stage: ",
		path + ":7:12: relay.workers: ",
		path + ":9:21: web.allowed_origins[0]: ",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}
