package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dnstest"
)

func TestDNSName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		underscore bool
		ok         bool
	}{
		{"example.com", false, true},
		{"a-b.c9.test", false, true},
		{"s2026", true, true},
		{"s_1.brisbane", true, true},
		{"s_1", false, false},
		{"a b", true, false},
		{"shop..test", false, false},
		{".test", false, false},
		{"", false, false},
		{"-a.test", false, false},
		{"a-.test", false, false},
		{"a/b.test", false, false},
		{strings.Repeat("a", 64) + ".test", false, false},
		{strings.Repeat("a.", 127) + "test", false, false},
	} {
		err := dnsName(tt.name, tt.underscore)
		if (err == nil) != tt.ok {
			t.Errorf("dnsName(%q, %v) = %v, want ok %v", tt.name, tt.underscore, err, tt.ok)
		}
	}
}

// TestProbeRejectsBadNamesBeforeAsking: a bad domain or selector is exit 2,
// and no query reaches the resolver.
func TestProbeRejectsBadNamesBeforeAsking(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"example.com", "--selector", "a b"},
		{"example.com", "--selector", "a..b"},
		{"shop..test"},
		{"exa mple.com"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			dns, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer dns.Close()
			all := append(args, "--resolver", dns.LocalAddr().String(), "--no-blocklists", "--timeout", "1s")
			code, out, errOut := runIn(t, context.Background(), append([]string{"probe"}, all...)...)
			if code != 2 || !strings.Contains(errOut, "is not a") {
				t.Errorf("exit %d (want 2), stderr %q\nstdout:\n%s", code, errOut, out)
			}
			// The command has returned: any query it sent is already queued
			// on this loopback socket.
			dns.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if n, _, err := dns.ReadFrom(make([]byte, 512)); err == nil {
				t.Errorf("a %d-byte DNS query was sent before the name was rejected", n)
			}
		})
	}
}

// TestProbeUncheckedExit3: with no DNS server answering, nothing could be
// checked, and that must not look clean.
func TestProbeUncheckedExit3(t *testing.T) {
	t.Parallel()
	closed := closedAddr(t, "udp")
	code, out, errOut := runIn(t, context.Background(), "probe", "clean.auth.test", "--no-blocklists", "--resolver", closed, "--timeout", "1s")
	if code != 3 || !strings.Contains(errOut, "could not complete") || !strings.Contains(out, "unknown") {
		t.Errorf("closed resolver: exit %d (want 3)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// Absent records are findings, not "could not check".
	srv := dnstest.Start(t, "../../testdata/dns")
	code, out, errOut = runIn(t, context.Background(), "probe", "absent.auth.test", "--no-blocklists", "--resolver", srv.Addr, "--timeout", "1s")
	if code == 3 || code == 0 || strings.Contains(errOut, "could not complete") {
		t.Errorf("absent records: exit %d (want 1)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestProbeHelpDocumentsExit3(t *testing.T) {
	t.Parallel()
	_, help, _ := runIn(t, context.Background(), "probe", "--help")
	if !strings.Contains(help, "3 when nothing") {
		t.Errorf("probe --help lacks exit 3:\n%s", help)
	}
	schema, err := os.ReadFile("../../probe/SCHEMA.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(schema), "3 when no finding is at error level") {
		t.Error("probe/SCHEMA.md does not document exit 3")
	}
}

func TestDKIMKeygenRejectsBadNames(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ domain, selector, want string }{
		{"shop..test", "s1", "--domain"},
		{"shop", "s1", "--domain"},
		{"shop.test", "a b", "--selector"},
		{"shop.test", "s..1", "--selector"},
		{"shop_x.test", "s1", "--domain"},
	} {
		out := filepath.Join(t.TempDir(), "k.pem")
		code, stdout, stderr := runIn(t, context.Background(), "dkim", "keygen", "--domain", tt.domain, "--selector", tt.selector, "--type", "ed25519", "--out", out)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("--domain %q --selector %q: exit %d (want 2), stderr %q", tt.domain, tt.selector, code, stderr)
		}
		if stdout != "" {
			t.Errorf("--domain %q --selector %q printed a record: %q", tt.domain, tt.selector, stdout)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("--domain %q --selector %q wrote a key", tt.domain, tt.selector)
		}
	}
}
