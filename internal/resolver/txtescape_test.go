package resolver_test

import (
	"context"
	"testing"

	"github.com/relaylab/relaylab/internal/dnstest"
)

// TestLookupTXTGivesTheBytes: a TXT record's character-strings come back
// as the bytes the server sent, not in the zone-file form miekg/dns keeps
// them in (\" \\ \009 \255 \;), so that checks see a record's quotes and
// tabs as they are, and its length in bytes.
func TestLookupTXTGivesTheBytes(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/resolver.zone")
	got, err := newClient(t, srv.Addr).LookupTXT(context.Background(), "escaped.resolver.test")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"v=spf1 \"quoted\" back\\slash\ttab\xff", "semi;colon"}
	if len(got.Records) != 1 || len(got.Records[0]) != 2 || got.Records[0][0] != want[0] || got.Records[0][1] != want[1] {
		t.Errorf("records %q, want one of %q", got.Records, want)
	}
}
