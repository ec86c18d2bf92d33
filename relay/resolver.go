package relay

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/netip"
	"sort"
	"strings"

	"github.com/miekg/dns"
)

// MX is one mail exchanger of a domain.
type MX struct {
	Host string
	Pref uint16
}

// Resolver is the DNS the relay needs for direct MX delivery.
type Resolver interface {
	// LookupMX returns the domain's MX records; an empty list with a nil
	// error means the domain has none (use its A/AAAA, RFC 5321 5.1). An
	// error wrapping ErrNoSuchDomain means the domain does not exist
	// (NXDOMAIN), which is permanent; any other error is temporary.
	LookupMX(ctx context.Context, domain string) ([]MX, error)
	// LookupIP returns the host's addresses; an empty list with a nil
	// error means it has none, an error wrapping ErrNoSuchDomain that it
	// does not exist.
	LookupIP(ctx context.Context, host string) ([]netip.Addr, error)
}

// ErrNoSuchDomain is returned for NXDOMAIN.
var ErrNoSuchDomain = errors.New("no such domain (NXDOMAIN)")

// DNSResolver asks configured servers with miekg/dns.
type DNSResolver struct {
	// Servers are host:port; default: the nameservers of /etc/resolv.conf.
	Servers []string
	// Net is "udp" (default, falling back to TCP on truncation) or "tcp".
	Net string
}

var _ Resolver = (*DNSResolver)(nil)

// NewDNSResolver returns a resolver asking servers, or the system's when
// servers is empty.
func NewDNSResolver(servers ...string) (*DNSResolver, error) {
	if len(servers) == 0 {
		cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil {
			return nil, fmt.Errorf("relay: no DNS servers configured and /etc/resolv.conf unreadable: %w", err)
		}
		for _, s := range cc.Servers {
			servers = append(servers, net.JoinHostPort(s, cc.Port))
		}
	}
	return &DNSResolver{Servers: servers}, nil
}

func (r *DNSResolver) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetEdns0(4096, false)
	var lastErr error
	for _, s := range r.Servers {
		c := &dns.Client{Net: r.Net}
		in, _, err := c.ExchangeContext(ctx, m, s)
		if err == nil && in.Truncated && r.Net != "tcp" {
			c.Net = "tcp"
			in, _, err = c.ExchangeContext(ctx, m, s)
		}
		if err != nil {
			lastErr = err
			continue
		}
		switch in.Rcode {
		case dns.RcodeSuccess:
			return in, nil
		case dns.RcodeNameError:
			return nil, fmt.Errorf("%s: %w", name, ErrNoSuchDomain)
		default:
			lastErr = fmt.Errorf("%s %s: server %s answered %s", name, dns.TypeToString[qtype], s, dns.RcodeToString[in.Rcode])
		}
	}
	if lastErr == nil {
		lastErr = errors.New("no DNS servers configured")
	}
	return nil, lastErr
}

// LookupMX implements Resolver.
func (r *DNSResolver) LookupMX(ctx context.Context, domain string) ([]MX, error) {
	in, err := r.query(ctx, domain, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	var out []MX
	for _, rr := range in.Answer {
		if mx, ok := rr.(*dns.MX); ok {
			out = append(out, MX{Host: strings.TrimSuffix(mx.Mx, "."), Pref: mx.Preference})
		}
	}
	return out, nil
}

// LookupIP implements Resolver: A and AAAA records. It returns an error
// wrapping ErrNoSuchDomain only when every query answered NXDOMAIN, and
// no addresses with a nil error when the name exists without any.
func (r *DNSResolver) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	var out []netip.Addr
	var errs []error
	nx := 0
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		in, err := r.query(ctx, host, t)
		if err != nil {
			if errors.Is(err, ErrNoSuchDomain) {
				nx++
			}
			errs = append(errs, err)
			continue
		}
		for _, rr := range in.Answer {
			switch rr := rr.(type) {
			case *dns.A:
				if a, ok := netip.AddrFromSlice(rr.A.To4()); ok {
					out = append(out, a)
				}
			case *dns.AAAA:
				if a, ok := netip.AddrFromSlice(rr.AAAA); ok {
					out = append(out, a)
				}
			}
		}
	}
	switch {
	case len(out) > 0 || len(errs) == 0:
		return out, nil
	case nx == len(errs):
		// Only NXDOMAIN (and perhaps no data): the name does not exist.
		return nil, fmt.Errorf("%s: %w", host, ErrNoSuchDomain)
	}
	// A failed query (SERVFAIL, timeout, refused) may hide an address:
	// the answer is temporary, whatever the other query said.
	var temp []error
	for _, err := range errs {
		if !errors.Is(err, ErrNoSuchDomain) {
			temp = append(temp, err)
		}
	}
	return nil, errors.Join(temp...)
}

// mxHosts returns the hosts to try for domain in order: MX by preference,
// hosts of equal preference shuffled by seed (RFC 5321 5.1), or the domain
// itself when it has no MX (implicit is then true). A null MX (RFC 7505 3:
// a single MX "." of preference 0) returns errNullMX; a domain that does
// not exist, an error wrapping ErrNoSuchDomain.
func mxHosts(ctx context.Context, res Resolver, domain string, seed int64) (hosts []string, implicit bool, err error) {
	mxs, err := res.LookupMX(ctx, domain)
	if err != nil {
		return nil, false, err
	}
	if len(mxs) == 0 {
		return []string{domain}, true, nil // implicit MX
	}
	for _, m := range mxs {
		if m.Host == "" || m.Host == "." {
			return nil, false, errNullMX
		}
	}
	sort.SliceStable(mxs, func(i, j int) bool {
		if mxs[i].Pref != mxs[j].Pref {
			return mxs[i].Pref < mxs[j].Pref
		}
		return mxs[i].Host < mxs[j].Host
	})
	// Spread load over equal preferences, the same way on every run.
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", seed, domain)
	rng := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	for i := 0; i < len(mxs); {
		j := i
		for j < len(mxs) && mxs[j].Pref == mxs[i].Pref {
			j++
		}
		group := mxs[i:j]
		rng.Shuffle(len(group), func(a, b int) { group[a], group[b] = group[b], group[a] })
		i = j
	}
	out := make([]string, 0, len(mxs))
	for _, m := range mxs {
		out = append(out, m.Host)
	}
	return out, false, nil
}

var errNullMX = errors.New("the domain publishes a null MX (RFC 7505): it accepts no mail")

// errNoAddress is a host whose A and AAAA queries both found no record.
var errNoAddress = errors.New("no A or AAAA record")
