package main

import (
	"context"
	"net"
	"strings"
	"testing"
)

// TestLoadStopsAtADeadTarget: against a port where nothing listens, load
// stops after its first failed connections and says why, instead of
// trying every message; --give-up 0 tries them all.
func TestLoadStopsAtADeadTarget(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := l.Addr().String()
	l.Close()
	code, out, _ := runIn(t, context.Background(), "load", "--target", target, "--messages", "3000", "--quiet")
	if code != 1 || !strings.Contains(out, "stopped early (--give-up): none of the first") || strings.Contains(out, "tried 3000 messages") {
		t.Errorf("exit %d, stdout:\n%s", code, out)
	}
	code, out, _ = runIn(t, context.Background(), "load", "--target", target, "--messages", "30", "--give-up", "0", "--quiet")
	if code != 1 || strings.Contains(out, "stopped early") || !strings.Contains(out, "tried 30 messages") {
		t.Errorf("--give-up 0: exit %d, stdout:\n%s", code, out)
	}
	if code, _, errOut := runIn(t, context.Background(), "load", "--give-up", "-1s"); code != 2 || !strings.Contains(errOut, "--give-up") {
		t.Errorf("--give-up -1s: exit %d, stderr %q", code, errOut)
	}
}
