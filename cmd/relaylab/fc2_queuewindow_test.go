package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
)

// TestFC2QueueRetryDBAloneSeesWindow: queue retry with --db alone, of a
// message a route's sending window holds (as a relay run with that
// route recorded it), says the recipient stays held until the window
// opens and that a retry cannot open it; it said the recipient was due
// now and sent within 2s, while the relay held it again. With --config
// it says the same, from the configuration.
func TestFC2QueueRetryDBAloneSeesWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	// A one-hour window that opens two hours from now: closed now.
	open := time.Now().UTC().Add(2 * time.Hour).Truncate(time.Hour)
	window := fmt.Sprintf("%02d:00-%02d:00", open.Hour(), open.Hour()+1) // 23:00-24:00 at the latest
	cfgFile := filepath.Join(dir, "relay.yaml")
	// The path is never dialled: the window holds the recipient first.
	yaml := fmt.Sprintf(`store: {path: %s}
relay:
  listen: ""
  paths:
    - {name: plain, host: "127.0.0.1:9"}
  routes:
    - {name: r_win, recipients: [win.test], paths: [plain], windows: [%q]}
    - {name: default, paths: [plain]}
`, db, window)
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	fc, err := loadConfig(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	rcfg, err := relayConfig(fc)
	if err != nil {
		t.Fatal(err)
	}
	id := windowHeldMessage(t, db, rcfg)
	hold := "outside the sending windows of route r_win; the next opens at " + open.Format(time.RFC3339)

	code, out, errOut := runIn(t, ctx, "queue", "retry", id, "--db", db)
	if want := "w@win.test held until " + open.Format(time.RFC3339) + ": shaping: " + hold + "\n"; code != 0 || strings.Contains(out, "due now") ||
		!strings.Contains(out, want) || !strings.Contains(out, "A retry cannot open a sending window") {
		t.Errorf("queue retry --db of a window's hold: exit %d, want %q, that a retry cannot open a window, and no \"due now\"\nstdout %s\nstderr %s", code, want, out, errOut)
	}
	// With the relay's file, the configuration's window says it.
	code, out, errOut = runIn(t, ctx, "queue", "retry", id, "--config", cfgFile)
	if want := "w@win.test held until " + open.Format(time.RFC3339); code != 0 || strings.Contains(out, "due now") ||
		!strings.Contains(out, want) || strings.Contains(out, "without --config") {
		t.Errorf("queue retry --config of a window's hold: exit %d, want %q and no note on --config\nstdout %s\nstderr %s", code, want, out, errOut)
	}
}

// windowHeldMessage queues a message for w@win.test on a relay with cfg
// on the store at db, runs the relay until the recipient's route's
// sending window holds it, and stops it: the store then holds what a
// relay records for such a recipient.
func windowHeldMessage(t *testing.T, db string, cfg relay.Config) string {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: db, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rl, err := relay.New(cfg, relay.Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := rl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer rl.Shutdown(ctx)
	id, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"), Recipients: []relay.Recipient{{Address: "w@win.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Not a timing assertion: a bound on a wait for the relay's first
	// pass, which takes milliseconds.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		m, err := rl.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if rc := m.Recipients[0]; rc.State == relay.StateDeferred && rc.Hold != nil {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("the relay did not hold the recipient: %+v", m.Recipients[0])
		}
	}
}
