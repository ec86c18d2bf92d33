package dnstest

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// A file that holds records of a second zone without its SOA, such as the
// reverse records of a forward zone, serves them; the names of no zone
// are still refused; a real SOA loaded later takes the implied zone over.
func TestRecordsOutsideTheSOAAreServed(t *testing.T) {
	t.Parallel()
	s := New()
	err := s.Load(strings.NewReader(`$TTL 300
$ORIGIN walk.test.
@    IN SOA ns.walk.test. hm.walk.test. 1 3600 600 86400 60
mail IN A 192.0.2.78
$ORIGIN 2.0.192.in-addr.arpa.
77   IN PTR mail.walk.test.
loose.other.test. IN TXT "no SOA, no $ORIGIN"
`), "walk.zone")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ask := func(name string, qtype uint16) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		r, err := dns.Exchange(m, s.Addr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return r
	}
	tests := []struct {
		name  string
		qtype uint16
		rcode int
		n     int
		soa   string // the owner of the SOA of a negative answer
	}{
		{"77.2.0.192.in-addr.arpa.", dns.TypePTR, dns.RcodeSuccess, 1, ""},
		{"78.2.0.192.in-addr.arpa.", dns.TypePTR, dns.RcodeNameError, 0, "2.0.192.in-addr.arpa."},
		{"77.2.0.192.in-addr.arpa.", dns.TypeTXT, dns.RcodeSuccess, 0, "2.0.192.in-addr.arpa."},
		{"mail.walk.test.", dns.TypeA, dns.RcodeSuccess, 1, ""},
		{"loose.other.test.", dns.TypeTXT, dns.RcodeSuccess, 1, ""},
		{"x.other.test.", dns.TypeTXT, dns.RcodeNameError, 0, "other.test."},
		{"77.3.0.192.in-addr.arpa.", dns.TypePTR, dns.RcodeRefused, 0, ""},
		{"elsewhere.test.", dns.TypeA, dns.RcodeRefused, 0, ""},
	}
	for _, tt := range tests {
		r := ask(tt.name, tt.qtype)
		if r.Rcode != tt.rcode || len(r.Answer) != tt.n {
			t.Errorf("%s %s: rcode %s with %d answers, want %s with %d", tt.name, dns.TypeToString[tt.qtype],
				dns.RcodeToString[r.Rcode], len(r.Answer), dns.RcodeToString[tt.rcode], tt.n)
		}
		if tt.soa != "" && (len(r.Ns) != 1 || r.Ns[0].Header().Name != tt.soa) {
			t.Errorf("%s: authority %v, want the SOA of %s", tt.name, r.Ns, tt.soa)
		}
	}
	// The zones served include the implied ones, so that a refusal names them.
	r := ask(ZonesName, dns.TypeTXT)
	var zones []string
	for _, rr := range r.Answer {
		zones = append(zones, rr.(*dns.TXT).Txt...)
	}
	if got, want := strings.Join(zones, " "), "2.0.192.in-addr.arpa other.test walk.test"; got != want {
		t.Errorf("zones served: %s, want %s", got, want)
	}

	// A real SOA above an implied apex replaces it.
	if err := s.AddString("0.192.in-addr.arpa. 60 IN SOA ns.walk.test. hm.walk.test. 2 3600 600 86400 30"); err != nil {
		t.Fatal(err)
	}
	if r := ask("78.2.0.192.in-addr.arpa.", dns.TypePTR); r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 || r.Ns[0].Header().Name != "0.192.in-addr.arpa." {
		t.Errorf("after the real SOA: %s with authority %v, want NXDOMAIN with the SOA of 0.192.in-addr.arpa", dns.RcodeToString[r.Rcode], r.Ns)
	}
	if r := ask("77.2.0.192.in-addr.arpa.", dns.TypePTR); len(r.Answer) != 1 {
		t.Errorf("after the real SOA the PTR is gone: %v", r)
	}
}
