package probe

import (
	"context"
	"strings"
	"testing"
)

// TestDMARCMoreThanTwoURIs: receivers need send reports only to the first
// two URIs of rua and of ruf (RFC 7489 6.2), so the third and later may
// get none.
func TestDMARCMoreThanTwoURIs(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString("uris.test. 60 IN SOA ns.uris.test. h.uris.test. 1 60 60 60 60",
		"uris.test. 60 IN MX 10 mx.uris.test.",
		"mx.uris.test. 60 IN A 127.0.0.25",
		`_dmarc.three.uris.test. 60 IN TXT "v=DMARC1; p=reject; rua=mailto:a@uris.test,mailto:b@uris.test,mailto:c@uris.test"`,
		`_dmarc.two.uris.test. 60 IN TXT "v=DMARC1; p=reject; rua=mailto:a@uris.test,mailto:b@uris.test; ruf=mailto:f@uris.test"`,
	); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rep := CheckDMARC(ctx, r, discard(), "three.uris.test")
	var got []string
	for _, f := range rep.Findings {
		if f.Code == "dmarc.uri-count" {
			got = append(got, f.Message)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "mailto:c@uris.test") || codes(rep.Findings)["dmarc.uri-count"] != SevWarning {
		t.Errorf("three rua URIs: dmarc.uri-count %q, want one warning naming mailto:c@uris.test", got)
	}
	if c := codes(CheckDMARC(ctx, r, discard(), "two.uris.test").Findings); c["dmarc.uri-count"] != "" {
		t.Errorf("two rua URIs: findings %v, want no dmarc.uri-count", c)
	}
}
