package resolver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

// TestNamesWithSpecialCharacters: a name holding characters that the zone
// file form escapes (an SPF macro's postmaster@..., a record's
// "<script>alert(1)</script>") is asked for as it is, and miekg/dns hands
// the reply's question back escaped ("postmaster\@", "\(1\)"). The two are
// one name on the wire, so the reply answers the question asked, whether
// the caller gives the name escaped or not; a reply to another name is
// still refused, and plain names are unaffected.
func TestNamesWithSpecialCharacters(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t)
	if err := srv.AddString(
		`names.test. 60 IN SOA ns.names.test. hm.names.test. 1 3600 600 86400 60`,
		`postmaster\@macro.names.test. 60 IN A 127.0.0.2`,
		`<script>alert\(1\)</script>.names.test. 60 IN TXT "v=spf1 -all"`,
		`semi\;quote\"sp\ ace.names.test. 60 IN A 127.0.0.3`,
		`mx.names.test. 60 IN A 192.0.2.1`,
		`names.test. 60 IN MX 10 mx.names.test.`,
		`other.names.test. 60 IN A 127.0.0.4`,
	); err != nil {
		t.Fatal(err)
	}
	srv.Set("wrong.names.test", dnstest.OtherQuestion)
	c := newClient(t, srv.Addr)
	ctx := context.Background()
	for _, name := range []string{"postmaster@macro.names.test", `postmaster\@macro.names.test.`, "POSTMASTER@Macro.Names.Test"} {
		ips, err := c.LookupIP(ctx, name, dns.TypeA)
		if err != nil || len(ips.IPs) != 1 || ips.IPs[0].String() != "127.0.0.2" {
			t.Errorf("A %s: %v, %v; want 127.0.0.2", name, ips.IPs, err)
		}
	}
	if txt, err := c.LookupTXT(ctx, "<script>alert(1)</script>.names.test"); err != nil || len(txt.Records) != 1 {
		t.Errorf("TXT <script>alert(1)</script>.names.test: %v, %v; want one record", txt.Records, err)
	}
	if ips, err := c.LookupIP(ctx, `semi;quote"sp ace.names.test`, dns.TypeA); err != nil || len(ips.IPs) != 1 {
		t.Errorf(`A semi;quote"sp ace.names.test: %v, %v; want 127.0.0.3`, ips.IPs, err)
	}
	// The relay's MX and A lookups: plain names, any case.
	if mx, err := c.LookupMX(ctx, "Names.Test"); err != nil || len(mx.MX) != 1 || mx.MX[0].Host != "mx.names.test" {
		t.Errorf("MX names.test: %v, %v", mx.MX, err)
	}
	if ips, err := c.LookupIP(ctx, "MX.names.test.", dns.TypeA); err != nil || len(ips.IPs) != 1 {
		t.Errorf("A mx.names.test: %v, %v", ips.IPs, err)
	}
	// A reply that answers another name is still malformed.
	if _, err := c.LookupIP(ctx, "wrong.names.test", dns.TypeA); !errors.Is(err, resolver.ErrMalformed) {
		t.Errorf("A wrong.names.test: %v, want %v", err, resolver.ErrMalformed)
	}
}

func TestSameName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"postmaster@x.test.", `postmaster\@x.test.`, true},
		{"a(b).test", `A\(B\).TEST.`, true},
		{`a\046b.test.`, `a\.b.test.`, true},
		{"a.b.test.", `a\.b.test.`, false}, // three labels, not two
		{"x.test.", "y.test.", false},
		{"x.test.", "x.test.other.", false},
	}
	for _, tt := range tests {
		if got := resolver.SameName(tt.a, tt.b); got != tt.want {
			t.Errorf("SameName(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
