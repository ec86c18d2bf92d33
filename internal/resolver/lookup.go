package resolver

import (
	"context"
	"fmt"
	"net/netip"
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
		t.Records = append(t.Records, rr.(*dns.TXT).Txt)
	}
	return t, err
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
