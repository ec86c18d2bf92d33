package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigSyntaxHint: a file that does not parse, mostly for a line
// indented wrong, gets an error that says so and names the key before
// the line, not only the parser's words.
func TestConfigSyntaxHint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, want string }{
		{"key out of its section", "relay:\n  retry:\n    kind: list\n  schedule: [1m]\n    max_age: 1h\n",
			":5:5: value is not allowed in this context (YAML that does not parse: check the indentation of line 5 and the lines around it; the key before it is relay.schedule;"},
		{"in a list item", "sink:\n  listeners:\n  - name: a\n    listen: 127.0.0.1:1\n  - name: b\n    hostname: b.test\n     listen: x\n",
			"the key before it is sink.listeners[1].name;"},
		{"tab", "sink:\n\tlisteners: []\n", "check the indentation of line 2 and the lines around it; the key before it is sink;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(cfg, []byte(tc.yaml), 0o644)
			code, _, errs := runCmd(t, "", "config", "--config", cfg)
			if code != 2 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q, want %q in it", code, errs, tc.want)
			}
		})
	}
	// An error with a key keeps its words.
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("relay:\n  retry: {kind: lisst}\n"), 0o644)
	if code, _, errs := runCmd(t, "", "config", "--config", cfg); code != 2 || strings.Contains(errs, "indentation") || !strings.Contains(errs, "relay.retry.kind") {
		t.Errorf("a bad value: exit %d, stderr %q", code, errs)
	}
}
