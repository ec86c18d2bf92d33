package resolver_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

// A resolver that is not running is not a DNS server that answered
// REFUSED: the error says nothing answers, without the socket's text.
func TestNothingAnswersIsNotRefused(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close() // nothing listens there now: the kernel answers port unreachable

	srv := dnstest.Start(t, "../../testdata/dns/resolver.zone")
	tests := []struct {
		server, name string
		kind         error
		want         string
		not          []string
	}{
		{addr, "txt.resolver.test", resolver.ErrUnreachable,
			"dns TXT txt.resolver.test.: nothing answers at " + addr + " (connection refused): is the resolver running?",
			[]string{"read udp", "refused:"}},
		{srv.Addr, "refused.resolver.test", resolver.ErrRefused,
			"dns TXT refused.resolver.test. at " + srv.Addr + ": refused: the server answered with rcode REFUSED",
			[]string{"nothing answers", "connection refused"}},
	}
	for _, tt := range tests {
		c := newClient(t, tt.server)
		_, err := c.LookupTXT(context.Background(), tt.name)
		if !errors.Is(err, tt.kind) {
			t.Errorf("%s at %s: err = %v, want %v", tt.name, tt.server, err, tt.kind)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
		for _, n := range tt.not {
			if strings.Contains(err.Error(), n) {
				t.Errorf("%s: %q says %q", tt.name, err, n)
			}
		}
		if !resolver.IsTemporary(err) {
			t.Errorf("%s: %v is not temporary", tt.name, err)
		}
	}
	// Without a server name (the relay strips it from replay events), the
	// error still reads whole.
	e := &resolver.Error{Name: "x.test.", Qtype: 1, Kind: resolver.ErrUnreachable, Detail: "connection refused"}
	if got, want := e.Error(), "dns A x.test.: nothing answers at the DNS server (connection refused): is the resolver running?"; got != want {
		t.Errorf("without a server:\n got %s\nwant %s", got, want)
	}
}
