package dnstest

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestDuplicateRecordsServedOnce: an RRset holds no duplicates (RFC 2181
// 5), so a record given twice, even with another TTL, is served once.
func TestDuplicateRecordsServedOnce(t *testing.T) {
	t.Parallel()
	s := New()
	err := s.Load(strings.NewReader(`$ORIGIN dup.test.
@ 60 IN SOA ns hm 1 60 60 60 30
@ 60 IN MX 10 real
@ 60 IN MX 10 real
@ 300 IN MX 10 REAL
@ 60 IN MX 20 other
`), "inline")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddString("dup.test. 60 IN MX 10 real.dup.test."); err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := new(dns.Msg)
	m.SetQuestion("dup.test.", dns.TypeMX)
	r, err := dns.Exchange(m, s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Answer) != 2 {
		t.Errorf("answers %v, want the two distinct MX records", r.Answer)
	}
}
