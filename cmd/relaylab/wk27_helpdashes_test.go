package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestHelpFlagsDoubleDash: every command's --help, and every sink
// subcommand's, lists its flags as the synopsis and the README write them
// (--db), not as the flag package prints them (-db); a flag's usage lines
// are left as they are.
func TestHelpFlagsDoubleDash(t *testing.T) {
	t.Parallel()
	var cmds [][]string
	for _, c := range commands() {
		cmds = append(cmds, []string{c.name})
	}
	for _, sub := range []string{"clear", "explain", "reset", "sessions"} {
		cmds = append(cmds, []string{"sink", sub})
	}
	single := regexp.MustCompile(`(?m)^  -[^-]`)
	for _, c := range cmds {
		code, out, _ := runIn(t, context.Background(), append(c, "--help")...)
		if code != 0 {
			t.Errorf("%v --help: exit %d", c, code)
			continue
		}
		if m := single.FindString(out); m != "" {
			t.Errorf("%v --help lists a flag with one dash (%q):\n%s", c, m, out)
		}
		if c[0] != "version" && !strings.Contains(out, "\n  --") {
			t.Errorf("%v --help lists no --flag:\n%s", c, out)
		}
	}
	_, out, _ := runIn(t, context.Background(), "queue", "--help")
	for _, want := range []string{"\n  --db string\n", "\n  --limit int\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("queue --help: no %q in\n%s", want, out)
		}
	}
}
