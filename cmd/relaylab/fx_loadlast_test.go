package main

import (
	"context"
	"net"
	"strings"
	"testing"
)

// TestFXLoadGiveUpAtTheLastMessage: a run against a dead target whose
// give-up comes at its last message (10 sessions give up after 20 failed
// dials; 20 messages) tried every message: the summary says so, with the
// last failures, not "stopped early (--give-up)" or "the run gave up
// early".
func TestFXLoadGiveUpAtTheLastMessage(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := l.Addr().String()
	l.Close()
	code, out, errOut := runIn(t, context.Background(), "load", "--target", target, "--messages", "20", "--sessions", "10", "--quiet")
	if code != 1 || strings.Contains(out, "stopped early") || strings.Contains(errOut, "gave up early") ||
		!strings.Contains(out, "every message was tried; the last failures: none of the first 20 connections to "+target) ||
		!strings.Contains(out, "  last failure: ") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
