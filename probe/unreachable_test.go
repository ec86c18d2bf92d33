package probe

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/resolver"
)

// With the resolver down, a check says that nothing answers and to start
// it, not that the server refused or that the domain's servers failed.
func TestResolverDownFinding(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	r, err := resolver.New(resolver.Options{Servers: []string{addr}, Timeout: time.Second, Attempts: 1, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	rep := CheckPTR(context.Background(), r, discard(), netip.MustParseAddr("192.0.2.77"), "")
	if rep.Status != StatusUnknown || len(rep.Findings) != 1 {
		t.Fatalf("status %s, findings %+v: want unknown with one finding", rep.Status, rep.Findings)
	}
	msg := rep.Findings[0].Message
	for _, want := range []string{"nothing answers at " + addr + " (connection refused): is the resolver running?", "Start the resolver"} {
		if !strings.Contains(msg, want) {
			t.Errorf("finding %q lacks %q", msg, want)
		}
	}
	for _, not := range []string{"read udp", ": refused:", "name servers"} {
		if strings.Contains(msg, not) {
			t.Errorf("finding %q says %q", msg, not)
		}
	}
}
