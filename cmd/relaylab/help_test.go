package main

import (
	"context"
	"strings"
	"testing"
)

// TestHelpGoesToStdout: help asked for (-h, --help, relaylab help CMD) is
// printed on stdout with exit 0, so that "relaylab serve --help | less"
// shows it, and says what the exit statuses mean; a bad flag is a usage
// error said in a line or two on stderr, exit 2, and no command at all
// the usage on stderr, exit 2.
func TestHelpGoesToStdout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range commands() {
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}} {
			code, out, errOut := runIn(t, ctx, args...)
			if code != 0 || !strings.HasPrefix(out, "usage: relaylab "+c.name) || errOut != "" {
				t.Errorf("%v: exit %d (want 0), stdout %q (want the usage), stderr %q (want nothing)", args, code, out, errOut)
			}
			if c.name != "version" && !strings.Contains(out, "Exit status") {
				t.Errorf("%v says nothing of the exit status:\n%s", args, out)
			}
		}
		code, out, errOut := runIn(t, ctx, c.name, "--no-such-flag")
		if code != 2 || out != "" || !strings.Contains(errOut, "no flag --no-such-flag") || !strings.Contains(errOut, "see relaylab "+c.name+" --help") ||
			strings.Contains(errOut, "usage:") {
			t.Errorf("%s --no-such-flag: exit %d (want 2), stdout %q (want nothing), stderr %q (want the error and where the flags are, not the whole usage)", c.name, code, out, errOut)
		}
	}
	if code, out, errOut := runIn(t, ctx); code != 2 || out != "" || !strings.Contains(errOut, "usage: relaylab COMMAND") {
		t.Errorf("no command: exit %d (want 2), stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, _ := runIn(t, ctx, "--help"); code != 0 || !strings.Contains(out, "usage: relaylab COMMAND") {
		t.Errorf("--help: exit %d, stdout %q", code, out)
	}
}
