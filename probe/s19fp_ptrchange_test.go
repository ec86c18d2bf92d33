package probe

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dnstest"
)

// TestMonitorPTRChange: the reverse DNS of a watched IP is compared
// between runs like the other records: a PTR that stops resolving back
// is a record-changed after two runs, with a note saying what it means;
// a failed lookup between them is neither a change nor a reset; a PTR
// removed is a record-removed. Before, observe had no PTR key and no
// change was ever reported.
func TestMonitorPTRChange(t *testing.T) {
	t.Parallel()
	r, srv := spfWorld(t, []string{
		"fwd.b.test. 60 IN A 192.0.2.20",
		"2.0.192.in-addr.arpa. 60 IN SOA ns.b.test. hm.b.test. 1 60 60 60 30",
		"20.2.0.192.in-addr.arpa. 60 IN PTR fwd.b.test.",
	})
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.IPs = IPs("192.0.2.20")
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	run := func(step string) []Change {
		t.Helper()
		ch, err := m.cycle(context.Background(), true, false)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		vc.Advance(time.Hour)
		return ch
	}
	if ch := run("baseline"); len(ch) != 0 {
		t.Fatalf("baseline: %+v", ch)
	}
	srv.Remove("20.2.0.192.in-addr.arpa.", dns.TypePTR)
	if err := srv.AddString("20.2.0.192.in-addr.arpa. 60 IN PTR gone.b.test."); err != nil {
		t.Fatal(err)
	}
	if ch := run("first sight"); len(ch) != 0 {
		t.Fatalf("a change seen once: %+v", ch)
	}
	srv.Set("20.2.0.192.in-addr.arpa.", dnstest.ServFail)
	if ch := run("failure"); len(ch) != 0 {
		t.Fatalf("a failed lookup: %+v", ch)
	}
	srv.Set("20.2.0.192.in-addr.arpa.", dnstest.Normal)
	ch := run("second sight")
	if len(ch) != 1 || ch[0].Key != "ip 192.0.2.20 ptr" || ch[0].Kind != ChangeRecordChanged ||
		ch[0].Old != "fwd.b.test (forward-confirmed)" || ch[0].New != "gone.b.test (not forward-confirmed)" ||
		!strings.Contains(ch[0].Note, "no longer resolves back") {
		t.Fatalf("changes %+v, want the PTR changed to a name that does not resolve back, with a note", ch)
	}
	srv.Remove("20.2.0.192.in-addr.arpa.", dns.TypePTR)
	run("removed once")
	if ch := run("removed twice"); len(ch) != 1 || ch[0].Kind != ChangeRecordRemoved || ch[0].New != "" {
		t.Fatalf("changes %+v, want the PTR removed", ch)
	}
}
