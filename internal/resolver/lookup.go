package resolver

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// maxChain bounds the CNAME chain followed inside one reply.
const maxChain = 8

// lookup asks name/qtype and returns the records of qtype at the end of the
// reply's CNAME chain. A reply whose answer holds only records of other
// types or other names is malformed: a server that answers the wrong
// question must never look like "no records".
func (c *Client) lookup(ctx context.Context, name string, qtype uint16) (Source, []dns.RR, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	r, err := c.Exchange(ctx, q)
	if err != nil {
		return Source{}, nil, err
	}
	rrs, aerr := answers(r.Msg, qtype)
	if aerr != nil {
		aerr.Server = r.Server
		return r.Source, nil, aerr
	}
	return r.Source, rrs, nil
}

func answers(m *dns.Msg, qtype uint16) ([]dns.RR, *Error) {
	q := m.Question[0]
	target := strings.ToLower(q.Name)
	for i := 0; i < maxChain; i++ {
		moved := false
		for _, rr := range m.Answer {
			if cn, ok := rr.(*dns.CNAME); ok && qtype != dns.TypeCNAME && strings.EqualFold(cn.Hdr.Name, target) {
				target, moved = strings.ToLower(cn.Target), true
				break
			}
		}
		if !moved {
			break
		}
	}
	var out []dns.RR
	stray := 0
	for _, rr := range m.Answer {
		h := rr.Header()
		switch {
		case h.Rrtype == qtype && strings.EqualFold(h.Name, target):
			out = append(out, rr)
		case h.Rrtype == dns.TypeCNAME || h.Rrtype == dns.TypeRRSIG || h.Rrtype == dns.TypeDNAME:
		default:
			stray++
		}
	}
	if len(out) == 0 && stray > 0 {
		return nil, &Error{Name: q.Name, Qtype: qtype, Kind: ErrMalformed,
			Detail: fmt.Sprintf("the answer holds %d records that are not %s records of %s", stray, dns.TypeToString[qtype], target)}
	}
	return out, nil
}

// LookupTXT implements Resolver.
func (c *Client) LookupTXT(ctx context.Context, name string) (TXT, error) {
	src, rrs, err := c.lookup(ctx, name, dns.TypeTXT)
	t := TXT{Source: src}
	for _, rr := range rrs {
		strs := make([]string, len(rr.(*dns.TXT).Txt))
		for i, s := range rr.(*dns.TXT).Txt {
			strs[i] = unescapeTXT(s)
		}
		t.Records = append(t.Records, strs)
	}
	return t, err
}

// unescapeTXT turns a character-string from the zone-file form in which
// miekg/dns hands it over (RFC 1035 5.1: \DDD for a byte, \X for X) back
// into its bytes, so that checks see a record's quotes, backslashes and
// tabs as they are and count its length in bytes.
func unescapeTXT(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] != '\\' || i+1 == len(s):
			b.WriteByte(s[i])
		case i+3 < len(s) && isDDD(s[i+1:i+4]):
			n, _ := strconv.Atoi(s[i+1 : i+4])
			b.WriteByte(byte(n))
			i += 3
		default:
			b.WriteByte(s[i+1])
			i++
		}
	}
	return b.String()
}

// isDDD reports whether s is three decimal digits of a byte's value.
func isDDD(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && len(s) == 3 && strings.Trim(s, "0123456789") == "" && n <= 255
}

// LookupMX implements Resolver. A null MX (RFC 7505) has Host "".
func (c *Client) LookupMX(ctx context.Context, name string) (MXs, error) {
	src, rrs, err := c.lookup(ctx, name, dns.TypeMX)
	m := MXs{Source: src}
	for _, rr := range rrs {
		mx := rr.(*dns.MX)
		m.MX = append(m.MX, MX{Host: trimDot(mx.Mx), Pref: mx.Preference})
	}
	return m, err
}

// LookupIP implements Resolver.
func (c *Client) LookupIP(ctx context.Context, name string, qtype uint16) (IPs, error) {
	if qtype != dns.TypeA && qtype != dns.TypeAAAA {
		return IPs{}, &Error{Name: dns.Fqdn(name), Qtype: qtype, Kind: ErrMalformed, Detail: "LookupIP takes A or AAAA"}
	}
	src, rrs, err := c.lookup(ctx, name, qtype)
	ips := IPs{Source: src}
	for _, rr := range rrs {
		var a netip.Addr
		switch v := rr.(type) {
		case *dns.A:
			a, _ = netip.AddrFromSlice(v.A.To4())
		case *dns.AAAA:
			a, _ = netip.AddrFromSlice(v.AAAA.To16())
		}
		if a.IsValid() {
			ips.IPs = append(ips.IPs, a)
		}
	}
	return ips, err
}

// LookupPTR implements Resolver.
func (c *Client) LookupPTR(ctx context.Context, addr netip.Addr) (Names, error) {
	src, rrs, err := c.lookup(ctx, ReverseName(addr), dns.TypePTR)
	n := Names{Source: src}
	for _, rr := range rrs {
		n.Names = append(n.Names, trimDot(rr.(*dns.PTR).Ptr))
	}
	return n, err
}

// LookupCNAME implements Resolver.
func (c *Client) LookupCNAME(ctx context.Context, name string) (CNAME, error) {
	src, rrs, err := c.lookup(ctx, name, dns.TypeCNAME)
	cn := CNAME{Source: src}
	if len(rrs) > 0 {
		cn.Target = trimDot(rrs[0].(*dns.CNAME).Target)
	}
	return cn, err
}
