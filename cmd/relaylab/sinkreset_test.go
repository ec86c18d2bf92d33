package main

import (
	"context"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rcptCode says RCPT TO:<to> to the sink at addr in a session of its own
// and returns the reply's code.
func rcptCode(t *testing.T, addr, to string) int {
	t.Helper()
	c, err := textproto.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, step := range []struct {
		cmd  string
		want int
	}{{"", 220}, {"EHLO ci.test", 250}, {"MAIL FROM:<app@ci.test>", 250}} {
		if step.cmd != "" {
			c.PrintfLine("%s", step.cmd)
		}
		if _, _, err := c.ReadResponse(step.want); err != nil {
			t.Fatalf("%q: %v", step.cmd, err)
		}
	}
	c.PrintfLine("RCPT TO:<%s>", to)
	code, _, _ := c.ReadResponse(0)
	c.PrintfLine("QUIT")
	return code
}

// relaylab sink reset makes a sink that runs on the store (here, as in
// another process, through a store of its own) count "defer2" from the
// start again, says what it forgot, and refuses a store that is not there.
func TestSinkResetCommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path, _, addr := sinkOnStore(t, ctx)
	for i, want := range []int{451, 451, 250, 250} {
		if got := rcptCode(t, addr, "defer2+run1@example.test"); got != want {
			t.Fatalf("first run, attempt %d: %d, want %d", i+1, got, want)
		}
	}
	code, out, errOut := runIn(t, ctx, "sink", "reset", "--db", path)
	if code != 0 || !strings.Contains(out, "attempt counters of 1 (sender, recipient) pair and 0 Message-IDs, and 0 greylist entries") {
		t.Fatalf("sink reset: exit %d\n%s%s", code, out, errOut)
	}
	for i, want := range []int{451, 451, 250} {
		if got := rcptCode(t, addr, "defer2+run1@example.test"); got != want {
			t.Fatalf("after sink reset, attempt %d: %d, want %d", i+1, got, want)
		}
	}
	code, out, _ = runIn(t, ctx, "sink", "reset", "--db", path, "--json")
	if code != 0 || !strings.Contains(out, `"pairs": 1`) {
		t.Errorf("sink reset --json: exit %d\n%s", code, out)
	}
	code, _, errOut = runIn(t, ctx, "sink", "reset", "--db", filepath.Join(t.TempDir(), "none.db"))
	if code != 2 || !strings.Contains(errOut, "no store at") {
		t.Errorf("sink reset of no store: exit %d, %q", code, errOut)
	}
	code, _, errOut = runIn(t, ctx, "sink", "reset", "now")
	if code != 2 || !strings.Contains(errOut, "takes no arguments") {
		t.Errorf("sink reset now: exit %d, %q", code, errOut)
	}
}
