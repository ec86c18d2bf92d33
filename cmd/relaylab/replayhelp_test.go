package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayHelpExample: the scenario that replay --help gives to start
// from replays and passes as written.
func TestReplayHelpExample(t *testing.T) {
	t.Parallel()
	var lines []string
	for _, l := range strings.Split(replaySynopsis, "\n") {
		if rest, ok := strings.CutPrefix(l, "    "); ok {
			lines = append(lines, rest)
		}
	}
	if len(lines) < 5 {
		t.Fatalf("no example scenario in replay's help:\n%s", replaySynopsis)
	}
	path := filepath.Join(t.TempDir(), "start.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", path)
	if code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
		t.Errorf("the help's scenario: exit %d\n%s%s", code, out, errOut)
	}
}
