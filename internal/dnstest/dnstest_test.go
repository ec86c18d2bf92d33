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
