package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// TestFS24ReadableStoreWarned: walk M1. A store that other users may read
// (restored with cp under umask 022, or made by an older build) was used
// without a word, though it holds every message and transcript: serve,
// sink and relay warn, naming the files, their modes, why, and the chmod
// that mends it. A store for its owner alone is not warned of.
func TestFS24ReadableStoreWarned(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not Unix permissions")
	}
	dir := t.TempDir()
	for _, mode := range []os.FileMode{0o644, 0o640, 0o600} {
		path := filepath.Join(dir, fmt.Sprintf("s%o.db", mode))
		st, err := store.Open(context.Background(), store.Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		_, errb, done := startDaemon(t, ctx, "sink", "--listen", "127.0.0.1:0", "--db", path)
		cancel()
		<-done
		log := errb.String()
		warned := strings.Contains(log, "can be read by users of this machine other than its owner")
		if mode == 0o600 {
			if warned {
				t.Errorf("a store of mode 0600 was warned of:\n%s", log)
			}
			continue
		}
		for _, want := range []string{
			"level=WARN",
			fmt.Sprintf("the store's %s (mode %04o)", path, mode),
			"holds every message's body and the sink's transcripts: chmod 600 " + path + " " + path + "-wal " + path + "-shm",
		} {
			if !strings.Contains(log, want) {
				t.Errorf("a store of mode %04o: the sink's log lacks %q:\n%s", mode, want, log)
			}
		}
	}
}
