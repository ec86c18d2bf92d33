package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreSyncWeakerSaidWhereSet: store.sync normal or off gives up the
// flush before each 250; relaylab config says so (on stderr and beside
// the key it prints; on stderr at its file, line and key), and so does
// the log of a sink that runs with it.
// Both were silent, though the README promises an fsync before the 250.
func TestStoreSyncWeakerSaidWhereSet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, sync := range []string{"off", "normal"} {
		cfg := filepath.Join(dir, sync+".yaml")
		if err := os.WriteFile(cfg, []byte("store:\n  sync: "+sync+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		want := "store.sync: " + sync + ": a message acknowledged with 250 survives a kill of relaylab (kill -9), but not a power cut"
		code, out, errOut := runIn(t, context.Background(), "config", "--config", cfg)
		// On stderr at its file, line and key, as the other warnings.
		warned := "warning: " + cfg + ":2:9: " + want
		if code != 0 || !strings.Contains(errOut, warned) || !strings.Contains(out, "# "+want) {
			t.Errorf("config with sync %s: exit %d\nstdout %s\nstderr %s\nwant exit 0 and %q on both", sync, code, out, errOut, want)
		}
		ctx, cancel := context.WithCancel(context.Background())
		_, errb, done := startDaemon(t, ctx, "sink", "--config", cfg, "--db", filepath.Join(dir, sync+".db"), "--listen", "127.0.0.1:0")
		cancel()
		<-done
		// In the log at its file, line and key too, as relaylab config
		// says it: it said the key alone, unlike every other line about
		// the file.
		if !strings.Contains(errb.String(), cfg+":2:9: "+want) {
			t.Errorf("sink with sync %s logs\n%s\nwant %q", sync, errb.String(), cfg+":2:9: "+want)
		}
	}
	code, _, errOut := runIn(t, context.Background(), "config")
	if code != 0 || strings.Contains(errOut, "store.sync") {
		t.Errorf("config of the defaults: exit %d, stderr %q; want no word on store.sync", code, errOut)
	}
}
