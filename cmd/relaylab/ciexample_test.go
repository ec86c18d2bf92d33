package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCIExampleConfig: the configuration the GitHub Actions example
// writes (its relaylab.yaml heredoc) loads, and lowers the local sink's
// backoff, so that the 421 tests it advises are delivered within its
// --wait 2m.
func TestCIExampleConfig(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../.ci/examples/github-actions.yml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)cat > relaylab\.yaml <<'YAML'\n(.*?)\n *YAML\n`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no relaylab.yaml heredoc in the example")
	}
	var lines []string
	for _, l := range strings.Split(string(m[1]), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "          "))
	}
	path := filepath.Join(t.TempDir(), "relaylab.yaml")
	os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatalf("the example's configuration: %v", err)
	}
	if len(cfg.Relay.Paths) != 1 || cfg.Relay.Paths[0].Host != "sink" || cfg.Relay.Paths[0].Backoff.D().Seconds() > 30 {
		t.Errorf("paths %+v: want the local sink alone, with a backoff of at most 30 s", cfg.Relay.Paths)
	}
}
