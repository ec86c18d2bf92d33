package dnstest

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/miekg/dns"
)

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m) //nolint:errcheck
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	_, isTCP := w.RemoteAddr().(*net.TCPAddr)

	s.mu.RLock()
	b := s.behaviourLocked(name)
	m := s.answerLocked(req, name, q.Qtype)
	s.mu.RUnlock()

	switch b {
	case Timeout:
		return
	case Malformed:
		w.Write([]byte{byte(req.Id >> 8), byte(req.Id), 0x81, 0x80, 0, 1, 0, 9, 0xff, 0xff, 0xde, 0xad}) //nolint:errcheck
		return
	case ServFail:
		m = new(dns.Msg)
		m.SetRcode(req, dns.RcodeServerFailure)
	case Refused:
		m = new(dns.Msg)
		m.SetRcode(req, dns.RcodeRefused)
	case Truncate, TruncateAlways:
		if !isTCP || b == TruncateAlways {
			m.Answer, m.Ns, m.Extra = nil, nil, nil
			m.Truncated = true
		}
	case WrongType:
		m.Rcode = dns.RcodeSuccess
		if q.Qtype == dns.TypeA {
			m.Answer = []dns.RR{&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: []string{"not an address"}}}
		} else {
			m.Answer = []dns.RR{&dns.A{Hdr: hdr(name, dns.TypeA), A: net.IPv4(127, 0, 0, 2)}}
		}
	case WrongName:
		for _, rr := range m.Answer {
			rr.Header().Name = "elsewhere.invalid."
		}
	case OtherQuestion:
		m.Question = []dns.Question{{Name: "elsewhere.invalid.", Qtype: q.Qtype, Qclass: dns.ClassINET}}
	case Validated:
		// RFC 6840 5.8: AD only for a requester that showed it
		// understands it, by DO or by AD in the query.
		m.AuthenticatedData = (m.Rcode == dns.RcodeSuccess || m.Rcode == dns.RcodeNameError) && (dnssecOK(req) || req.AuthenticatedData)
	}
	if !isTCP {
		size := dns.MinMsgSize
		if o := req.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size) // RFC 6891 7: keep within the client's buffer
	}
	w.WriteMsg(m) //nolint:errcheck
}

func hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: 60}
}

// behaviourLocked returns the behaviour set on name or its nearest ancestor.
func (s *Server) behaviourLocked(name string) Behaviour {
	for n := name; ; {
		if b, ok := s.behave[n]; ok {
			return b
		}
		i, end := dns.NextLabel(n, 0)
		if end || n == "." {
			return Normal
		}
		n = n[i:]
	}
}

// zoneLocked returns the apex of the zone holding name, or "".
func (s *Server) zoneLocked(name string) string {
	for n := name; ; {
		if _, ok := s.zones[n]; ok {
			return n
		}
		i, end := dns.NextLabel(n, 0)
		if end || n == "." {
			return ""
		}
		n = n[i:]
	}
}

// answerLocked builds an authoritative reply from the records.
func (s *Server) answerLocked(req *dns.Msg, name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	do := dnssecOK(req)
	if o := req.IsEdns0(); o != nil {
		m.SetEdns0(o.UDPSize(), do) // RFC 3225 3: DO is copied into the reply
	}
	zone := s.zoneLocked(name)
	if zone == "" {
		return s.outsideLocked(m, name, qtype)
	}
	owner := name
	for hops := 0; hops < 8; hops++ {
		byType, found := s.lookupLocked(owner, zone)
		if !found {
			if owner == name {
				m.Rcode = dns.RcodeNameError
			}
			break
		}
		if rrs := byType[qtype]; len(rrs) > 0 {
			m.Answer = append(m.Answer, rename(rrs, owner)...)
			if do && qtype != dns.TypeRRSIG {
				m.Answer = append(m.Answer, rename(covering(byType[dns.TypeRRSIG], qtype), owner)...)
			}
			return m
		}
		cn := byType[dns.TypeCNAME]
		if len(cn) == 0 || qtype == dns.TypeCNAME {
			break
		}
		m.Answer = append(m.Answer, rename(cn, owner)...)
		owner = strings.ToLower(cn[0].(*dns.CNAME).Target)
		if z := s.zoneLocked(owner); z != "" {
			zone = z
		} else {
			return m
		}
	}
	if len(m.Answer) == 0 {
		// RFC 2308 3: a negative answer carries the zone's SOA.
		soa := dns.Copy(s.zones[zone]).(*dns.SOA)
		if soa.Minttl < soa.Hdr.Ttl {
			soa.Hdr.Ttl = soa.Minttl
		}
		m.Ns = []dns.RR{soa}
	}
	return m
}

// ZonesName is the name, in no zone, whose TXT records list the apex of
// every zone served, one per record (without the final dot), in order:
// a client that is refused a name can ask it to tell "the name is in none
// of the zone files" from a resolver that refuses. It is under .invalid
// (RFC 6761 6.4), so no other server has it.
const ZonesName = "zones.dnstest.invalid."

// maxZonesNamed bounds the zones the extended error of a refusal names,
// so that the reply stays small.
const maxZonesNamed = 20

// outsideLocked answers a name in no zone: ZonesName, or REFUSED with an
// extended error (RFC 8914 4.21, Not Authoritative) naming the zones
// served, for a client that sent EDNS0.
func (s *Server) outsideLocked(m *dns.Msg, name string, qtype uint16) *dns.Msg {
	zones := s.zonesLocked()
	if name == ZonesName {
		if qtype == dns.TypeTXT {
			for _, z := range zones {
				m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: []string{z}})
			}
		}
		return m
	}
	m.Rcode = dns.RcodeRefused
	if o := m.IsEdns0(); o != nil {
		text := strings.Join(zones, ", ")
		if len(zones) > maxZonesNamed {
			text = fmt.Sprintf("%s and %d more", strings.Join(zones[:maxZonesNamed], ", "), len(zones)-maxZonesNamed)
		}
		o.Option = append(o.Option, &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeNotAuthoritative, ExtraText: "in none of the zones served: " + text})
	}
	return m
}

// zonesLocked returns the apex of every zone, without the final dot, sorted.
func (s *Server) zonesLocked() []string {
	out := make([]string, 0, len(s.zones))
	for z := range s.zones {
		out = append(out, strings.TrimSuffix(z, "."))
	}
	sort.Strings(out)
	return out
}

// lookupLocked finds the records of owner, through a wildcard when owner
// does not exist (RFC 4592, simplified to the nearest "*." ancestor).
func (s *Server) lookupLocked(owner, zone string) (map[uint16][]dns.RR, bool) {
	if s.names[owner] {
		return s.rrs[owner], true
	}
	for n := owner; n != zone; {
		i, end := dns.NextLabel(n, 0)
		if end {
			break
		}
		n = n[i:]
		if s.names[n] {
			if byType, ok := s.rrs["*."+n]; ok {
				return byType, true
			}
			break
		}
		if byType, ok := s.rrs["*."+n]; ok {
			return byType, true
		}
	}
	return nil, false
}

// dnssecOK reports whether req has the DO bit set (RFC 3225).
func dnssecOK(req *dns.Msg) bool {
	o := req.IsEdns0()
	return o != nil && o.Do()
}

// covering returns the signatures that cover records of type t.
func covering(sigs []dns.RR, t uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range sigs {
		if s, ok := rr.(*dns.RRSIG); ok && s.TypeCovered == t {
			out = append(out, rr)
		}
	}
	return out
}

// rename copies records to answer for owner (wildcards are synthesised).
func rename(rrs []dns.RR, owner string) []dns.RR {
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
		out[i].Header().Name = owner
	}
	return out
}
