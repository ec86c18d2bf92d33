package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// TestSPFLongSaysWhatCarriesTheReply: spf.long says what a reply of its
// size needs: EDNS0 or TCP just over 512 bytes, TCP for most receivers
// over 1232, and TCP alone over 4096, where no UDP reply can carry it.
func TestSPFLongSaysWhatCarriesTheReply(t *testing.T) {
	t.Parallel()
	var strs []string
	for i := 0; i < 24; i++ {
		var terms []string
		for j := 0; j < 14; j++ {
			terms = append(terms, fmt.Sprintf("ip4:10.%d.%d.0/24", i, j))
		}
		strs = append(strs, `"`+strings.Join(terms, " ")+` "`)
	}
	r, _ := testResolver(t, writeZone(t, "long.zone", `$ORIGIN long.test.
@ 300 IN SOA ns.long.test. h.long.test. 1 3600 600 86400 300
@ 300 IN TXT "v=spf1 " `+strings.Join(strs, " ")+` "-all"
`))
	rep := CheckSPF(context.Background(), r, discard(), "long.test")
	msgs, ok := findingWith(rep.Findings, "spf.long", "only TCP carries it")
	if !ok || strings.Contains(strings.Join(msgs, " "), "needs EDNS0 or TCP") {
		t.Errorf("a reply of about %d bytes: spf.long %q, want it to say only TCP carries it", len(rep.Record), msgs)
	}
	for _, tt := range []struct {
		size int
		want string
	}{{600, "needs EDNS0 or TCP"}, {2000, "must ask again over TCP"}, {14000, "only TCP carries it"}} {
		if got := replyNeeds(tt.size); !strings.Contains(got, tt.want) {
			t.Errorf("replyNeeds(%d) = %q, want %q", tt.size, got, tt.want)
		}
	}
}

// TestSPFMXLimitSaysWhatToDo: spf.mx-limit says what to publish instead.
func TestSPFMXLimitSaysWhatToDo(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/spf.zone")
	rep := CheckSPF(context.Background(), r, discard(), "mx-many.spf.test")
	if msgs, ok := findingWith(rep.Findings, "spf.mx-limit", "list the servers that send mail with ip4 and ip6 terms"); !ok {
		t.Errorf("spf.mx-limit %q: no advice", msgs)
	}
}

// TestListingListsNeverNull: as SCHEMA.md says of every list, a listing
// that is not listed has codes and meaning [], not absent; so do a PTR's
// names and confirmed, and dkim.missing.
func TestListingListsNeverNull(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/blocklists.zone", "../testdata/dns/auth.zone")
	rep := Run(context.Background(), Deps{Resolver: r, Logger: discard()}, Request{Domain: "clean.auth.test",
		IPs: []netip.Addr{netip.MustParseAddr("192.0.2.20")}, Zones: []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"status":"not-listed","codes":[],"meaning":[]`, `"missing":[]`, `"records":["v=spf1`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("no %s in %s", want, b)
		}
	}
	if bytes.Contains(b, []byte(":null")) {
		t.Errorf("a null in %s", b)
	}
}
