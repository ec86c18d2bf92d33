package dnstest

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestServesRecordsWildcardsAndNegatives(t *testing.T) {
	t.Parallel()
	s := New()
	err := s.Load(strings.NewReader(`$ORIGIN bl.test.
@ 60 IN SOA ns hm 1 60 60 60 30
*.0.0.127 60 IN A 127.0.0.2
2.0.0.127 60 IN TXT "listed for testing"
a.b.c 60 IN A 127.0.0.3
;@dnstest servfail broken.bl.test.
`), "inline")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct {
		name  string
		qtype uint16
		rcode int
		n     int
	}{
		{"2.0.0.127.bl.test.", dns.TypeA, dns.RcodeSuccess, 0}, // exists: no wildcard (RFC 4592 2.2.1)
		{"2.0.0.127.bl.test.", dns.TypeTXT, dns.RcodeSuccess, 1},
		{"9.0.0.127.bl.test.", dns.TypeA, dns.RcodeSuccess, 1},
		{"0.0.127.bl.test.", dns.TypeA, dns.RcodeSuccess, 0},
		{"1.0.127.bl.test.", dns.TypeA, dns.RcodeNameError, 0},
		{"b.c.bl.test.", dns.TypeA, dns.RcodeSuccess, 0}, // empty non-terminal
		{"x.b.c.bl.test.", dns.TypeA, dns.RcodeNameError, 0},
		{"x.broken.bl.test.", dns.TypeA, dns.RcodeServerFailure, 0},
		{"other.test.", dns.TypeA, dns.RcodeRefused, 0},
	}
	for _, tt := range tests {
		m := new(dns.Msg)
		m.SetQuestion(tt.name, tt.qtype)
		r, err := dns.Exchange(m, s.Addr)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if r.Rcode != tt.rcode || len(r.Answer) != tt.n {
			t.Errorf("%s %s: rcode %s with %d answers, want %s with %d", tt.name, dns.TypeToString[tt.qtype],
				dns.RcodeToString[r.Rcode], len(r.Answer), dns.RcodeToString[tt.rcode], tt.n)
		}
	}
}

func TestBadDirective(t *testing.T) {
	t.Parallel()
	err := New().Load(strings.NewReader("$ORIGIN x.test.\n;@dnstest explode x.test.\n"), "bad.zone")
	if err == nil || !strings.Contains(err.Error(), "bad.zone:2") {
		t.Fatalf("err = %v, want one naming bad.zone:2", err)
	}
}

// A query with DO gets the signatures over the answer, and the DO bit back;
// one without gets neither. A name set to "validated" answers with AD only
// to a query that asks with DO or AD (RFC 6840 5.7, 5.8).
func TestDNSSECRecordsAndAD(t *testing.T) {
	t.Parallel()
	s := Start(t, "../../testdata/dns/dnssec.zone")
	ask := func(name string, do, ad bool) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeDNSKEY)
		m.AuthenticatedData = ad
		if do {
			m.SetEdns0(1232, true)
		}
		r, err := dns.Exchange(m, s.Addr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return r
	}
	r := ask("signed.test.", true, false)
	var key *dns.DNSKEY
	var sig *dns.RRSIG
	for _, rr := range r.Answer {
		switch x := rr.(type) {
		case *dns.DNSKEY:
			key = x
		case *dns.RRSIG:
			sig = x
		}
	}
	if key == nil || sig == nil {
		t.Fatalf("DO query: answer %v lacks the DNSKEY or its RRSIG", r.Answer)
	}
	if err := sig.Verify(key, []dns.RR{key}); err != nil {
		t.Errorf("the served RRSIG does not verify with the served key: %v", err)
	}
	if o := r.IsEdns0(); o == nil || !o.Do() || !r.AuthenticatedData {
		t.Errorf("DO query to a validated name: OPT %v, AD %v; want DO echoed and AD set", o, r.AuthenticatedData)
	}
	for _, tt := range []struct {
		name       string
		do, ad     bool
		sigs, want bool // RRSIG in the answer, AD in the reply
	}{
		{"signed.test.", false, false, false, false},
		{"signed.test.", false, true, false, true},
		{"insecure.test.", true, false, true, false},
		{"insecure.test.", false, true, false, false},
	} {
		r := ask(tt.name, tt.do, tt.ad)
		sigs := false
		for _, rr := range r.Answer {
			sigs = sigs || rr.Header().Rrtype == dns.TypeRRSIG
		}
		if sigs != tt.sigs || r.AuthenticatedData != tt.want {
			t.Errorf("%s DO=%v AD=%v: RRSIG %v, AD %v; want %v, %v", tt.name, tt.do, tt.ad, sigs, r.AuthenticatedData, tt.sigs, tt.want)
		}
	}
}

// A name in no zone is refused with an extended error that lists the
// zones served (RFC 8914 4.21, Not Authoritative), and a TXT query for
// ZonesName gets that list, so that a client can tell "in none of the
// zone files" from a resolver that refuses.
func TestSaysWhichZonesItServes(t *testing.T) {
	t.Parallel()
	s := New()
	if err := s.AddString("b.test. 60 IN SOA ns hm 1 60 60 60 30", "a.test. 60 IN SOA ns hm 1 60 60 60 30", "x.a.test. 60 IN A 192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	m := new(dns.Msg)
	m.SetQuestion("host.other.test.", dns.TypeA)
	m.SetEdns0(1232, false)
	r, err := dns.Exchange(m, s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	var ede *dns.EDNS0_EDE
	if o := r.IsEdns0(); o != nil {
		for _, opt := range o.Option {
			if e, ok := opt.(*dns.EDNS0_EDE); ok {
				ede = e
			}
		}
	}
	if r.Rcode != dns.RcodeRefused || ede == nil || ede.InfoCode != dns.ExtendedErrorCodeNotAuthoritative || ede.ExtraText != "in none of the zones served: a.test, b.test" {
		t.Errorf("out of zone: rcode %s, EDE %v; want REFUSED with EDE 20 naming a.test, b.test", dns.RcodeToString[r.Rcode], ede)
	}

	m = new(dns.Msg)
	m.SetQuestion(ZonesName, dns.TypeTXT)
	r, err = dns.Exchange(m, s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rr := range r.Answer {
		got = append(got, rr.(*dns.TXT).Txt...)
	}
	if r.Rcode != dns.RcodeSuccess || strings.Join(got, " ") != "a.test b.test" {
		t.Errorf("TXT %s: rcode %s, %q; want NOERROR, [a.test b.test]", ZonesName, dns.RcodeToString[r.Rcode], got)
	}
}
