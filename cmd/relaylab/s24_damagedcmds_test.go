package main

import (
	"context"
	"strings"
	"testing"
)

// TestS24DamagedStoreCommands: sink reset, sink clear and prune that find
// the store damaged while they work on it (not at open) say what to do,
// as report and serve do; they gave SQLite's "database disk image is
// malformed" alone.
func TestS24DamagedStoreCommands(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		table string
		args  []string
	}{
		{"sink_greylist", []string{"sink", "reset"}},
		{"sink_sessions", []string{"sink", "clear"}},
		{"sink_sessions", []string{"prune", "--older-than", "1s"}},
	} {
		path := damagedStore(t, c.table)
		code, _, errOut := runIn(t, context.Background(), append(c.args, "--db", path)...)
		if code == 0 || !strings.Contains(errOut, "the store "+path+" is damaged") || !strings.Contains(errOut, "restore it from a backup: stop relaylab, remove") {
			t.Errorf("%s on a damaged store: exit %d, stderr:\n%s", strings.Join(c.args, " "), code, errOut)
		}
	}
}
