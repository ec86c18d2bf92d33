package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// holdStore starts this test binary as a helper that keeps the store at
// db open until the test ends, with words after its flags that make its
// command line read as the relaylab command given ("serve", "report").
func holdStore(t *testing.T, db string, words ...string) int {
	t.Helper()
	return holdStoreWith(t, os.Args[0], db, words...)
}

// holdStoreWith is holdStore with the test binary at exe.
func holdStoreWith(t *testing.T, exe, db string, words ...string) int {
	t.Helper()
	child := exec.Command(exe, append([]string{"-test.run=^TestHoldStoreHelper$"}, words...)...)
	child.Env = append(os.Environ(), holdStoreEnv+"="+db)
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); child.Wait() })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("the helper holding the store said %q", line)
	}
	return child.Process.Pid
}

// TestSecondRunnerRefused: serve, relay and sink refuse a store on which
// another process runs a relay or a sink already (a second relay queued
// again, as a crash's leftovers, the recipients the first was delivering,
// and each was delivered twice), naming the process; a process that only
// reads the store (report) does not stop them.
func TestSecondRunnerRefused(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("which process runs what on a store is read from /proc")
	}
	ctx := context.Background()
	busy := filepath.Join(t.TempDir(), "live.db")
	pid := holdStore(t, busy, "serve", "--db", busy)
	for _, args := range [][]string{
		{"serve", "--sink-listen", "127.0.0.1:0", "--relay-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0"},
		{"relay", "--listen", "127.0.0.1:0", "--smarthost", "127.0.0.1:9"},
		{"sink", "--listen", "127.0.0.1:0"},
	} {
		// Refused, each returns at once; the deadline only ends one that
		// was not, which then ran until it.
		runCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		code, _, errOut := runIn(t, runCtx, append(args, "--db", busy)...)
		cancel()
		role := map[string]string{"serve": "relay", "relay": "relay", "sink": "sink"}[args[0]]
		if code != 1 || !strings.Contains(errOut, fmt.Sprintf("in use by process %d (", pid)) || !strings.Contains(errOut, "runs a "+role+" on it already") {
			t.Errorf("%s on a store a serve runs on: exit %d (want 1: it cannot run), stderr:\n%s", args[0], code, errOut)
		}
	}
	// Through a symbolic link to it, the store is the same.
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(busy, link); err != nil {
		t.Fatal(err)
	}
	if err := refuseSecondRunner(link, "serve"); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("in use by process %d (", pid)) {
		t.Errorf("a link to a store a serve runs on: %v", err)
	}
	// A relaylab binary by another name runs what it runs; since that
	// cannot be told from another program (a python script), the
	// refusal says it is another program that has the store open, not
	// that it "runs a sink" (walk O12).
	renamed := filepath.Join(t.TempDir(), "rlcopy")
	if err := copyFile(os.Args[0], renamed); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.db")
	opid := holdStoreWith(t, renamed, other)
	if err := refuseSecondRunner(other, "sink"); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("is open in another program, process %d (", opid)) || strings.Contains(err.Error(), "runs a sink on it already") {
		t.Errorf("a store a renamed binary holds: %v", err)
	}

	// A reader does not count: serve starts, and stops when asked.
	read := filepath.Join(t.TempDir(), "read.db")
	holdStore(t, read, "report", "--db", read)
	if err := refuseSecondRunner(read, "serve"); err != nil {
		t.Errorf("a store that a report reads: %v", err)
	}
}

// TestLockHolders reads /proc/locks' lines for the dead-man switch byte
// of one file: every holder but this process, once each, not a waiter,
// not another file or byte.
func TestLockHolders(t *testing.T) {
	t.Parallel()
	dev := linuxDev(0xfe, 0x01)
	locks := `1: POSIX  ADVISORY  READ 100 fe:01:42 128 128
2: POSIX  ADVISORY  READ 101 fe:01:42 120 EOF
3: -> POSIX  ADVISORY  WRITE 102 fe:01:42 128 128
4: POSIX  ADVISORY  READ 103 fe:01:43 128 128
5: POSIX  ADVISORY  READ 104 fe:02:42 128 128
6: POSIX  ADVISORY  READ 105 fe:01:42 0 127
7: POSIX  ADVISORY  READ 100 fe:01:42 128 128
8: POSIX  ADVISORY  READ 7 fe:01:42 128 128
9: FLOCK  ADVISORY  WRITE 106 fe:01:42 0 EOF
`
	got := lockHolders(locks, dev, 42, 7)
	if want := []int{100, 101}; !slices.Equal(got, want) {
		t.Errorf("holders = %v, want %v", got, want)
	}
}

// copyFile copies the file at from to a new executable file at to.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
