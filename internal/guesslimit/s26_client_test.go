package guesslimit

import (
	"net/netip"
	"testing"
	"time"
)

// TestIPv6CountsByItsSlash64: the addresses of one IPv6 /64 share one
// allowance, as one host may use any of them: counted one by one, a host
// got Burst tries from each address it drew, and filled the table so
// that every new client shared one allowance. Another /64, and IPv4
// addresses, keep their own.
func TestIPv6CountsByItsSlash64(t *testing.T) {
	t.Parallel()
	p := Policy{Burst: 3, Every: time.Minute, MaxAddrs: 100}
	tb := Table{}
	now := time.Unix(1_700_000_000, 0)
	for i := range 3 {
		a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, byte(i + 1)})
		if w := tb.Take(p, a, now); w != 0 {
			t.Fatalf("try %d refused early", i+1)
		}
		tb.Settle(p, a, now, false)
	}
	other := netip.MustParseAddr("2001:db8:0:1::ffff")
	if w := tb.Take(p, other, now); w == 0 {
		t.Errorf("a fourth address of the same /64 got a try: its tries are the /64's, all spent")
	}
	if w := tb.Take(p, netip.MustParseAddr("2001:db8:0:2::1"), now); w != 0 {
		t.Errorf("another /64 was refused: it has tries of its own")
	}
	if w := tb.Take(p, netip.MustParseAddr("::ffff:192.0.2.7"), now); w != 0 {
		t.Errorf("an IPv4-mapped address was refused")
	}
	if got := Client(netip.MustParseAddr("::ffff:192.0.2.7")); got != netip.MustParseAddr("192.0.2.7") {
		t.Errorf("Client(IPv4-mapped) = %v, want the IPv4 address", got)
	}
	if len(tb) != 3 {
		t.Errorf("%d entries, want 3 (the /64, the other /64, the IPv4 address)", len(tb))
	}
}
