package resolver

import (
	"testing"

	"github.com/miekg/dns"
)

// FuzzAnswers feeds arbitrary replies to the code that picks records out
// of an answer: bad input must give records or an error, never a panic.
func FuzzAnswers(f *testing.F) {
	for _, rrs := range [][]string{
		{`a.example. 60 IN TXT "v=spf1 -all"`},
		{"a.example. 60 IN CNAME b.example.", "b.example. 60 IN A 192.0.2.1"},
		{"a.example. 60 IN CNAME a.example."},
		{"x.example. 60 IN A 192.0.2.1"},
	} {
		m := new(dns.Msg)
		m.SetQuestion("a.example.", dns.TypeA)
		for _, s := range rrs {
			rr, _ := dns.NewRR(s)
			m.Answer = append(m.Answer, rr)
		}
		b, _ := m.Pack()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := new(dns.Msg)
		if m.Unpack(b) != nil || len(m.Question) != 1 {
			return
		}
		for _, qt := range []uint16{dns.TypeA, dns.TypeTXT, dns.TypeMX, dns.TypeCNAME} {
			rrs, err := answers(m, qt)
			if err != nil && len(rrs) > 0 {
				t.Fatalf("records and an error")
			}
			for _, rr := range rrs {
				if rr.Header().Rrtype != qt {
					t.Fatalf("a %s record returned for a %s question", dns.TypeToString[rr.Header().Rrtype], dns.TypeToString[qt])
				}
			}
		}
	})
}
