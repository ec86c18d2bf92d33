package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// holdStoreEnv names the store TestHoldStoreHelper keeps open.
const holdStoreEnv = "RELAYLAB_TEST_HOLD_STORE"

// TestHoldStoreHelper is not a test: run as a child process with
// holdStoreEnv set, it opens that store, says "ready", and keeps it open
// until its stdin closes, as a running relaylab serve would.
func TestHoldStoreHelper(t *testing.T) {
	path := os.Getenv(holdStoreEnv)
	if path == "" {
		return
	}
	st, err := store.Open(context.Background(), store.Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	st.Close()
	os.Exit(0)
}

// TestReplayDBInUse: replay --db refuses a store another process has open
// (a live serve would show the replay's virtual-time mail among its own),
// and warns, naming the way out, when the store already holds events.
func TestReplayDBInUse(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("openElsewhere tells only on linux and darwin")
	}
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "live.db")
	st, err := store.Open(ctx, store.Options{Path: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	appendEvents := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := st.Append(ctx, events.Event{Kind: events.RelayQueued, Message: fmt.Sprint("live-", i), Recipient: "a@example.test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendEvents(3)
	st.Close()

	child := exec.Command(os.Args[0], "-test.run=^TestHoldStoreHelper$")
	child.Env = append(os.Environ(), holdStoreEnv+"="+db)
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		stdin.Close()
		child.Wait()
		t.Fatalf("the helper holding the store said %q", line)
	}
	scenario := "../../testdata/scenarios/greylisting.yaml"
	code, out, errOut := runIn(t, ctx, "replay", "--quiet", "--db", db, scenario)
	stdin.Close()
	child.Wait()
	if code != 2 || !strings.Contains(errOut, fmt.Sprintf("is open in another process (pid %d", child.Process.Pid)) || !strings.Contains(errOut, "a file that does not exist yet") {
		t.Errorf("a store open elsewhere: exit %d (want 2), stderr:\n%s", code, errOut)
	}
	// Standard output says the file was not judged, pointing at stderr,
	// as expect's does (it said nothing).
	if !strings.Contains(out, "relaylab replay stopped before replaying any file: the reason, and what to do, is on standard error") {
		t.Errorf("a store open elsewhere: stdout says nothing of the file:\n%s", out)
	}

	// Closed, it is used, with a warning that says what happens.
	code, _, errOut = runIn(t, ctx, "replay", "--quiet", "--db", db, scenario)
	if code != 0 || !strings.Contains(errOut, "warning: --db "+db+" already holds 3 events") || !strings.Contains(errOut, "virtual clock") {
		t.Errorf("a store with events: exit %d (want 0), stderr:\n%s", code, errOut)
	}
	// A new file gets no warning.
	fresh := filepath.Join(t.TempDir(), "new.db")
	if code, _, errOut = runIn(t, ctx, "replay", "--quiet", "--db", fresh, scenario); code != 0 || strings.Contains(errOut, "warning") {
		t.Errorf("a new store: exit %d, stderr:\n%s", code, errOut)
	}
}
