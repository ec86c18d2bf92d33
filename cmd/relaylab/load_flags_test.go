package main

import (
	"context"
	"net"
	"strings"
	"testing"
)

// TestLoadRefusesBadFlagsByName: load refuses the addresses send refuses,
// with the same check, and names the one flag at fault with its value,
// before it connects to anything.
func TestLoadRefusesBadFlagsByName(t *testing.T) {
	t.Parallel()
	// A listener that counts connections: none may come.
	target, conns, stop := countingListener(t)
	// Without the checks, each load would try one message and fail fast.
	load := func(args ...string) []string {
		return append([]string{"load", "--target", target, "--messages", "1", "--timeout", "5s", "--quiet"}, args...)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{load("--to", "bad to"), `--to "bad to": give the bare address`},
		{load("--to", "<user{n}@sink.test>"), `--to "<user{n}@sink.test>"`},
		{load("--from", "a b@x.test"), `--from "a b@x.test"`},
		{[]string{"send", "--server", target, "--to", "bad to"}, `--to "bad to": give the bare address`},
		{load("--size", "-5"), `--size "-5": want a whole number of octets, or one and a unit`},
		{load("--size", "10MBs"), `--size "10MBs": unknown unit "MBs"`},
		{load("--size", "3GB"), `--size "3GB": 3GB is over the 2 GiB`},
		{load("--sessions", "0"), "--sessions 0: want 1 or more"},
		{load("--reuse", "-1"), "--reuse -1: want 0 (unlimited) or more"},
		{load("--timeout", "0s"), "--timeout 0s: want a positive time"},
	} {
		code, _, errOut := runIn(t, context.Background(), tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "--messages and") {
			t.Errorf("%v: exit %d (want 2), stderr %q (want %q)", tc.args, code, errOut, tc.want)
		}
	}
	stop()
	if n := len(conns); n != 0 {
		t.Errorf("%d connections were made; bad flags must be refused before connecting", n)
	}
}

// countingListener listens on a free loopback port and counts the
// connections made to it (up to 100), closing each; stop closes it.
func countingListener(t *testing.T) (target string, conns chan struct{}, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	conns = make(chan struct{}, 100)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			select {
			case conns <- struct{}{}:
			default:
			}
			c.Close()
		}
	}()
	return l.Addr().String(), conns, func() { l.Close() }
}
