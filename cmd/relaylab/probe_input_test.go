package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProbeZonesValueErrorHasLine: a bad value in a --zones file is exit 2
// with the file, line, column and key, like an unknown key.
func TestProbeZonesValueErrorHasLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "z.yaml")
	if err := os.WriteFile(path, []byte("- zone: a.bl.test\n  kind: ip\n- zone: b.bl.test\n  kind: ipp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	closed := closedAddr(t, "udp")
	code, out, errOut := runIn(t, context.Background(), "probe", "--ip", "192.0.2.1", "--zones", path, "--resolver", closed, "--timeout", "1s")
	want := path + `:4:9: [1].kind: kind "ipp" is not one of ip, domain, uri`
	if code != 2 || !strings.Contains(errOut, want) {
		t.Errorf("exit %d (want 2), stderr %q, want it to hold %q\nstdout:\n%s", code, errOut, want, out)
	}
}

// TestProbeRefusesBadFlags: a flag value without a clear meaning (a timeout
// of 0, which the resolver silently read as its own default) or a flag that
// would be ignored is exit 2 naming the flag, before any query is sent.
func TestProbeRefusesBadFlags(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"clean.auth.test", "--timeout", "0s"}, "--timeout 0s"},
		{[]string{"clean.auth.test", "--timeout", "0"}, "--timeout 0s"},
		{[]string{"clean.auth.test", "--timeout", "-1s"}, "--timeout -1s"},
		{[]string{"clean.auth.test", "--timeout", "2h"}, "--timeout 2h0m0s"},
		{[]string{"clean.auth.test", "--ip", "192.0.2.50", "--helo", "a b"}, "--helo"},
		{[]string{"clean.auth.test", "--ip", "192.0.2.50", "--helo", "sender..test"}, "--helo"},
		{[]string{"clean.auth.test", "--helo", "sender.auth.test"}, "--helo needs at least one --ip"},
		{[]string{"--ip", "192.0.2.50", "--selector", "s1"}, "--selector needs a DOMAIN"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			dns := listenUDP(t)
			args := append([]string{"probe", "--no-blocklists", "--resolver", dns.LocalAddr().String()}, tt.args...)
			// Cancelled already: refusing needs no context, and a probe
			// that went ahead (with --timeout 2h) ends at once instead of
			// waiting on a server that never answers.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			code, out, errOut := runIn(t, ctx, args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d (want 2), stderr %q, want it to hold %q\nstdout:\n%s", code, errOut, tt.want, out)
			}
			if n := queued(dns); n > 0 {
				t.Errorf("a %d-byte DNS query was sent before the flag was refused", n)
			}
		})
	}
}

// listenUDP is a loopback socket that stands for a DNS server and never
// answers.
func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// queued returns the size of a datagram already waiting on c, or 0. The
// command has returned by the time it is called, so any query it sent is
// already queued on the loopback socket.
func queued(c net.PacketConn) int {
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)) //nolint:errcheck
	n, _, err := c.ReadFrom(make([]byte, 512))
	if err != nil {
		return 0
	}
	return n
}
