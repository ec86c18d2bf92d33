package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestR1EqualPreferenceSpreadsOverAttempts: MX hosts of equal preference
// are tried in an order drawn per attempt (RFC 5321 5.1: "MUST be tried
// in randomized order"), not per domain: every message to a domain went
// to the same host. The same seed, domain and attempt give the same
// order, so that a replay is the same on every run.
func TestR1EqualPreferenceSpreadsOverAttempts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	res := staticMX{{"b", 10}, {"a", 10}}
	firsts := map[string]int{}
	for n := 1; n <= 20; n++ {
		draw := fmt.Sprintf("%d/1", n)
		hs, _, err := mxHostsFor(ctx, res, "x.test", 1, draw)
		if err != nil {
			t.Fatal(err)
		}
		again, _, _ := mxHostsFor(ctx, res, "x.test", 1, draw)
		if !reflect.DeepEqual(hs, again) {
			t.Fatalf("draw %s: %v then %v: not reproducible", draw, hs, again)
		}
		firsts[hs[0]]++
	}
	if firsts["a"] == 0 || firsts["b"] == 0 {
		t.Errorf("first host over 20 attempts: %v, want both", firsts)
	}

	// Through the relay: ten messages to eq.test reach both hosts.
	eqa, eqb := startMTA(t, nil), startMTA(t, nil)
	h := r1MXHarness(t, map[string]*fakeMTA{"192.0.2.11": eqa, "192.0.2.12": eqb})
	var ids []string
	for n := range 10 {
		ids = append(ids, h.enqueue("a@s.test", fmt.Sprintf("u%d@eq.test", n)))
	}
	h.runUntil("delivery", h.allDone(ids))
	if a, b := len(eqa.received()), len(eqb.received()); a == 0 || b == 0 || a+b != 10 {
		t.Errorf("eqa took %d messages, eqb %d: want the ten spread over both", a, b)
	}
}

// TestR1DNSTextSameWhenCached: a lookup's error reads the same in a reply
// whether the resolver's cache answered it or a server did: ": cached"
// went into replies and DSNs ("no such domain (NXDOMAIN): cached") or not
// by the order of the lookups.
func TestR1DNSTextSameWhenCached(t *testing.T) {
	t.Parallel()
	r := &Relay{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	j, p := &job{msgID: "m1", domain: "x.test", rcpts: []claimed{{address: "a@x.test"}}}, &path{cfg: PathConfig{Name: "direct"}}
	fresh := &resolver.Error{Name: "mx.x.test.", Qtype: 1, Server: "127.0.0.1:5353", Kind: resolver.ErrNXDomain}
	cached := &resolver.Error{Name: "mx.x.test.", Qtype: 1, Server: "127.0.0.1:5353", Kind: resolver.ErrNXDomain, Detail: "cached"}
	aaaa := &resolver.Error{Name: "mx.x.test.", Qtype: 28, Server: "127.0.0.1:5353", Kind: resolver.ErrNXDomain, Detail: "cached"}
	want := r.dnsText(fresh, j, p, []int{0})
	if strings.Contains(want, "127.0.0.1") {
		t.Errorf("text %q names the DNS server", want)
	}
	for _, err := range []error{cached, fmt.Errorf("lookup: %w", cached)} {
		if got := r.dnsText(err, j, p, []int{0}); !strings.HasSuffix(got, want) || strings.Contains(got, "cached") {
			t.Errorf("cached: %q, want it to read as %q", got, want)
		}
	}
	// A and AAAA joined: neither names the server nor the cache.
	if got := r.dnsText(errors.Join(fresh, aaaa), j, p, []int{0}); strings.Contains(got, "cached") || strings.Contains(got, "127.0.0.1") {
		t.Errorf("joined: %q", got)
	}
}

// TestDNSFailureLoggedOnlyForServers: a lookup that failed at a server
// (SERVFAIL) is logged with the server, for the operator; a definitive
// NXDOMAIN is no failure of the lookup and is not, since the
// recipient's outcome line says it (it was logged on every attempt).
// The line names the message, path, domain and recipients the lookup was
// for (it named none).
func TestDNSFailureLoggedOnlyForServers(t *testing.T) {
	t.Parallel()
	var logs testutil.SyncBuffer
	r := &Relay{log: slog.New(slog.NewTextHandler(&logs, nil))}
	j := &job{msgID: "m1", domain: "broken.x.test", rcpts: []claimed{{address: "a@broken.x.test"}, {address: "b@broken.x.test"}}}
	p := &path{cfg: PathConfig{Name: "direct"}}
	r.dnsText(&resolver.Error{Name: "gone.x.test.", Qtype: 15, Server: "127.0.0.1:5353", Kind: resolver.ErrNXDomain}, j, p, []int{0, 1})
	if strings.Contains(logs.String(), "DNS lookup failed") {
		t.Errorf("NXDOMAIN logged as a failed lookup:\n%s", logs.String())
	}
	r.dnsText(&resolver.Error{Name: "broken.x.test.", Qtype: 15, Server: "127.0.0.1:5353", Kind: resolver.ErrServFail}, j, p, []int{1})
	if !strings.Contains(logs.String(), "DNS lookup failed") || !strings.Contains(logs.String(), "127.0.0.1:5353") {
		t.Errorf("SERVFAIL not logged with its server:\n%s", logs.String())
	}
	for _, want := range []string{"id=m1", "path=direct", "domain=broken.x.test", "to=b@broken.x.test"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the line does not say %s:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "a@broken.x.test") {
		t.Errorf("the line names a recipient the lookup was not for:\n%s", logs.String())
	}
}
