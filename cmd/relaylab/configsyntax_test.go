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
		// The line to indent is schedule's, between two keys of retry
		// (walk M3: the hint named max_age, and following it moved the
		// rest of retry out too).
		{"key out of its section", "relay:\n  retry:\n    kind: list\n  schedule: [1m]\n    max_age: 1h\n",
			":4:3: line 4 (schedule) is indented 2 spaces, 2 fewer than the keys of relay.retry around it (lines 3 and 5), so YAML reads it as a key outside relay.retry, and line 5 (max_age) as more of its value: indent line 4 by 4 spaces, as the other keys of relay.retry"},
		{"in a list item", "sink:\n  listeners:\n  - name: a\n    listen: 127.0.0.1:1\n  - name: b\n    hostname: b.test\n     listen: x\n",
			":7:6: line 7 (listen) is indented 5 spaces, 1 more than sink.listeners[1].hostname on line 6"},
		{"too little in a list item", "sink:\n  listeners:\n  - name: a\n   listen: x\n",
			"check the indentation of line 4 and the lines around it; the key before it is sink.listeners[0].name;"},
		// The parser's words for these were "found character that cannot
		// start any token", "tab character cannot use as a map key
		// directly" and "mapping key "relay" already defined at [1:1]".
		{"tab", "sink:\n\tlisteners: []\n", ":2:1: line 2 has a tab character (column 1): YAML indents with spaces only; replace the tab with spaces (the key before it is sink)"},
		{"tab after a dash", "sink:\n  listeners:\n  - \tname: a\n", "line 3 has a tab character (column 5): YAML indents with spaces only"},
		{"section twice", "relay:\n  listen: 127.0.0.1:0\nrelay:\n  tls_listen: 127.0.0.1:0\n",
			":3:1: relay: given twice, at line 1 and at line 3: a key appears once in its section (or at the top of the file); merge the two into one"},
		{"key twice in a list item", "sink:\n  listeners:\n    - name: a\n      listen: 127.0.0.1:0\n      listen: 127.0.0.1:1\n",
			":5:7: sink.listeners[0].listen: given twice, at line 4 and at line 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(cfg, []byte(tc.yaml), 0o644)
			code, _, errs := runCmd(t, "", "config", "--config", cfg)
			if code != 2 || !strings.Contains(errs, tc.want) || strings.Contains(errs, "already defined") || strings.Contains(errs, "cannot") {
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
