package main

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// silentListener accepts connections on loopback and never writes a byte,
// as a wedged server does. The connections close when the test ends.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// TestExpectURLTimeout: a server that accepts and never answers gives no
// verdict (exit 3) once --timeout passes, instead of hanging.
func TestExpectURLTimeout(t *testing.T) {
	t.Parallel()
	file := writeExpect(t, "  recipients:\n    - {match: \"*\", status: delivered}\n")
	addr := silentListener(t)
	// The deadline only stops a regression from hanging the suite.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, out, errOut := runIn(t, ctx, "expect", "--url", "http://"+addr, "--timeout", "100ms", file)
	if code != 3 || !strings.Contains(errOut, "did not answer") || !strings.Contains(errOut, "--timeout") {
		t.Errorf("exit %d (want 3), stderr %q (want it to say the server did not answer within --timeout)\nstdout:\n%s", code, errOut, out)
	}

	code, _, errOut = runIn(t, ctx, "expect", "--url", "http://"+addr, "--timeout", "0s", file)
	if code != 2 || !strings.Contains(errOut, "--timeout 0s") {
		t.Errorf("--timeout 0s: exit %d (want 2), stderr %q", code, errOut)
	}
}

// TestExpectFileRefused: an expect file that expects nothing, or that uses
// a check only a replay can make, is bad input (exit 2) naming the file
// and key, not a verdict.
func TestExpectFileRefused(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "a@example.test")
	for _, tt := range []struct {
		name, body, want string
	}{
		{"no expect section", "", ":2:9: expect: no expectations"},
		{"empty expect section", "  recipients: []\n", ":3:13: expect: no expectations"},
		{"replay only", "  aggregate: {max_concurrent_per_destination: 2}\n", ":3:47: expect.aggregate.max_concurrent_per_destination: applies to replays only"},
		{"bad category", "  recipients:\n    - {match: \"*\", category: nonsense}\n", `:4:30: expect.recipients[0].category: "nonsense" is not a category`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := writeExpect(t, tt.body)
			code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, file)
			if code != 2 || !strings.Contains(errOut, file+tt.want) {
				t.Errorf("exit %d (want 2), stderr %q (want %q)\nstdout:\n%s", code, errOut, file+tt.want, out)
			}
		})
	}
}
