package relay

import (
	"reflect"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestNumericMXNotDialled: RFC 5321 5.1: an MX record names a host. One
// that names an IP address (dotmx.test. MX 10 127.0.0.2.) was dialled as
// an address literal with no A query; it is now refused with a reason
// naming the RFC, and the domain's other MX hosts take the mail.
func TestNumericMXNotDialled(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h, d, _ := mxHarnessRecords(t, map[string]*fakeMTA{"192.0.2.1": mta}, []string{
		"dotmx.mx.test. 300 IN MX 10 127.0.0.2.",
		"dotmx2.mx.test. 300 IN MX 10 127.0.0.2.",
		"dotmx2.mx.test. 300 IN MX 20 mx1.mx.test.",
	})
	alone := h.enqueue("s@s.test", "ok@dotmx.mx.test")
	h.runUntil("the deferral", h.deferrals(alone, 1))
	other := h.enqueue("s@s.test", "ok@dotmx2.mx.test")
	h.runUntil("the delivery", h.done(other, 1))
	if got := h.terminal(other)["ok@dotmx2.mx.test"]; !reflect.DeepEqual(got, []string{events.RelayDelivered}) {
		t.Errorf("beside a host name: terminal %v, want delivered", got)
	}
	for _, a := range d.dialled() {
		if strings.HasPrefix(a, "127.0.0.2") {
			t.Errorf("dialled %v: the numeric MX target was dialled", d.dialled())
		}
	}
	p := payload(t, h.events(events.Filter{Message: alone, Kinds: []string{events.RelayDeferred}})[0])
	reason, _ := p["reason"].(string)
	advice, _ := p["advice"].(string)
	if !strings.Contains(reason, "names an IP address instead of a host name (RFC 5321 5.1") || !strings.Contains(advice, "host name") {
		t.Errorf("deferral reason %q advice %q: want the numeric MX named with RFC 5321 5.1", reason, advice)
	}
}

// TestMXCapInReason: when max_mx_addresses stops the walk with hosts
// untried, the deferral's reason says so and its advice is to raise the
// cap; it said only the last host's "check the host and port".
func TestMXCapInReason(t *testing.T) {
	t.Parallel()
	h, _ := mxHarness(t, nil, func(c *Config) { c.Paths[0].MaxMXAddresses = ptr(3) })
	id := h.enqueue("s@s.test", "u@wide.mx.test")
	h.runUntil("the deferral", h.deferrals(id, 1))
	p := payload(t, h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})[0])
	reason, _ := p["reason"].(string)
	advice, _ := p["advice"].(string)
	if !strings.Contains(reason, "stopped at the path's max_mx_addresses (3) with 1 MX host untried (wide2.mx.test") ||
		!strings.HasPrefix(advice, "raise the path's max_mx_addresses (3)") {
		t.Errorf("deferral reason %q advice %q: want the cap and the untried host named, and advice to raise it", reason, advice)
	}
}
