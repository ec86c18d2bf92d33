package relay

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"

	"github.com/miekg/dns"
	"github.com/relaylab/relaylab/internal/resolver"
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

// ErrNoSuchDomain is returned for NXDOMAIN: the shared resolver's
// sentinel, so that errors.Is works on what either returns.
var ErrNoSuchDomain = resolver.ErrNXDomain

// DNSResolver is the relay's view of the shared DNS client
// (internal/resolver: timeouts, retries over servers, TCP on truncation,
// CNAME chains, a TTL cache, replies that answer another question refused).
type DNSResolver struct {
	c *resolver.Client
}

var _ Resolver = (*DNSResolver)(nil)

// NewDNSResolver returns a resolver asking servers (host:port), or the
// nameservers of /etc/resolv.conf when servers is empty.
func NewDNSResolver(servers ...string) (*DNSResolver, error) {
	c, err := resolver.New(resolver.Options{Servers: servers})
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	return &DNSResolver{c: c}, nil
}

// LookupMX implements Resolver. A null MX comes back as one MX with an
// empty host, which mxHosts recognises.
func (r *DNSResolver) LookupMX(ctx context.Context, domain string) ([]MX, error) {
	mxs, err := r.c.LookupMX(ctx, domain)
	if err != nil {
		return nil, err
	}
	var out []MX
	for _, m := range mxs.MX {
		out = append(out, MX{Host: m.Host, Pref: m.Pref})
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
		ips, err := r.c.LookupIP(ctx, host, t)
		if err != nil {
			if errors.Is(err, ErrNoSuchDomain) {
				nx++
			}
			errs = append(errs, err)
			continue
		}
		out = append(out, ips.IPs...)
	}
	switch {
	case len(out) > 0 || len(errs) == 0:
		return out, nil
	case nx == len(errs):
		// Only NXDOMAIN (and perhaps no data): the name does not exist.
		return nil, errs[0]
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

// mxHosts is mxHostsFor with nothing of an attempt to draw from: the
// order of equal preferences depends on the seed and domain alone.
func mxHosts(ctx context.Context, res Resolver, domain string, seed int64) (hosts []string, implicit bool, err error) {
	return mxHostsFor(ctx, res, domain, seed, "")
}

// mxHostsFor returns the hosts to try for domain in order: MX by
// preference, hosts of equal preference shuffled (RFC 5321 5.1: "MUST be
// tried in randomized order") by seed, domain and draw, which names the
// attempt (mxDraw), so that the messages to a domain spread over its
// equal hosts, as Postfix's smtp_randomize_addresses does, and the same
// seed and attempt give the same order; or the domain itself when it has
// no MX (implicit is then true). A null MX (RFC 7505 3: a single MX "."
// of preference 0) returns errNullMX; a domain that does not exist, an
// error wrapping ErrNoSuchDomain.
func mxHostsFor(ctx context.Context, res Resolver, domain string, seed int64, draw string) (hosts []string, implicit bool, err error) {
	// RFC 5890 2.3.2.1: the DNS knows an IDN by its A-labels; a U-label
	// query ("bücher.test" in UTF-8) finds nothing.
	domain = aLabels(domain)
	mxs, err := res.LookupMX(ctx, domain)
	if err != nil {
		return nil, false, err
	}
	if len(mxs) == 0 {
		return []string{domain}, true, nil // implicit MX
	}
	// RFC 7505 3: a null MX is the single MX record with the host ".".
	// Beside other MX records a "." record names no host to deliver to,
	// and the others stand: it is left out, as Postfix does.
	// Sorted and shuffled in a copy: a resolver may hand every caller the
	// same cached answer, and jobs to one domain run at once.
	mxs = slices.DeleteFunc(slices.Clone(mxs), func(m MX) bool { return m.Host == "" || m.Host == "." })
	if len(mxs) == 0 {
		return nil, false, errNullMX
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
	if draw != "" {
		fmt.Fprintf(h, "/%s", draw)
	}
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
