package config

import (
	"strings"
	"testing"
)

// TestFO22DedentedKeyIsTheLineToIndent: walk M3. With hostname dedented
// to column 0 in the middle of relay, the parser stops at the next key
// (paths), and the hint said to indent paths as hostname: following it
// moved the rest of relay out too. The line to change is hostname's:
// shallower than the keys of its section around it, or than those after
// the section's own key. A key that is itself too deep keeps its hint.
func TestFO22DedentedKeyIsTheLineToIndent(t *testing.T) {
	t.Parallel()
	type relay struct {
		Listen   string   `yaml:"listen"`
		Hostname string   `yaml:"hostname"`
		Paths    []string `yaml:"paths"`
		Routes   []string `yaml:"routes"`
	}
	type file struct {
		Store struct {
			Path string `yaml:"path"`
		} `yaml:"store"`
		Relay relay `yaml:"relay"`
	}
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"in the middle of a section",
			"store:\n  path: x.db\nrelay:\n  listen: 127.0.0.1:2525\nhostname: relay.test\n  paths:\n    - a\n  routes: [b]\n",
			"f:5:1: line 5 (hostname) is indented 0 spaces, 2 fewer than the keys of relay around it (lines 4 and 6), so YAML reads it as a key outside relay, and line 6 (paths) as more of its value: indent line 5 by 2 spaces, as the other keys of relay"},
		{"the first key of a section",
			"relay:\nhostname: relay.test\n  paths: [a]\n",
			"f:2:1: line 2 (hostname) is indented 0 spaces, 2 fewer than the keys of relay after it (line 3), so YAML reads it as a key outside relay, and line 3 (paths) as more of its value: indent line 2 by 2 spaces, as the other keys of relay"},
		{"a comment between",
			"relay:\n    listen: x\n  # the name\n  hostname: relay.test\n\n    paths: [a]\n",
			"f:4:3: line 4 (hostname) is indented 2 spaces, 2 fewer than the keys of relay around it (lines 2 and 6)"},
		// The deeper line is the mistake: its keys above and after are at
		// the line before's depth.
		{"a key too deep",
			"relay:\n  listen: x\n  hostname: relay.test\n    paths: [a]\n",
			"f:4:5: line 4 (paths) is indented 4 spaces, 2 more than relay.hostname on line 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := DecodeRoot("f", "", []byte(tc.yaml), &file{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error\n%v\nwant %q in it", err, tc.want)
			}
		})
	}
}
