package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestS24ConfigPrintsStoreAbsolute: relaylab config prints the store's
// file by its absolute name, as serve's banner and --ready-file give it
// (a relative store.path is taken from the working directory), so that
// a reader knows which file it is; it printed "path: relaylab.db".
func TestS24ConfigPrintsStoreAbsolute(t *testing.T) {
	t.Parallel()
	code, out, errOut := runIn(t, context.Background(), "config")
	abs, _ := filepath.Abs("relaylab.db")
	if code != 0 || !strings.Contains(out, "path: "+abs+"\n") {
		t.Errorf("exit %d\nstdout %s\nstderr %s\nwant path: %s", code, out, errOut, abs)
	}
}
