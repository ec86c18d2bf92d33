package probe

import (
	"context"
	"strings"
	"testing"
)

// TestMXUnroutable: an MX host whose address senders on the internet
// cannot reach (here loopback, as test zones use) is a warning that says
// why, not ok; the probe still lists the hosts.
func TestMXUnroutable(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString(
		"lo.test. 60 IN SOA ns.lo.test. h.lo.test. 1 3600 600 86400 60",
		"lo.test. 60 IN MX 10 mx4.lo.test.",
		"lo.test. 60 IN MX 20 mx6.lo.test.",
		"mx4.lo.test. 60 IN A 127.0.0.25",
		"mx6.lo.test. 60 IN AAAA ::1",
	); err != nil {
		t.Fatal(err)
	}
	rep := CheckMX(context.Background(), r, discard(), "lo.test")
	if rep.Status != StatusWarning {
		t.Errorf("status %s, want warning (%+v)", rep.Status, rep.Findings)
	}
	for _, want := range []string{
		"MX mx4.lo.test resolves to 127.0.0.25, a loopback address (this machine's own), so senders on the internet cannot deliver to it",
		"MX mx6.lo.test resolves to ::1, a loopback address",
	} {
		if msgs, ok := findingWith(rep.Findings, "mx.unroutable", want); !ok {
			t.Errorf("mx.unroutable messages %q lack %q", msgs, want)
		}
	}
	if msgs, ok := findingWith(rep.Findings, "mx.hosts", "10 mx4.lo.test (127.0.0.25)"); !ok || !strings.Contains(msgs[0], "20 mx6.lo.test (::1)") {
		t.Errorf("mx.hosts %q", msgs)
	}
}
