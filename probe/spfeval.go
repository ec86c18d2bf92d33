package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/resolver"
)

// netResolver adapts our Resolver to spf.DNSResolver, whose error handling
// expects *net.DNSError with IsNotFound or IsTemporary set.
//
// For an IPv4 sender (ipv4) LookupIPAddr asks A records only: RFC 7208 5
// has every mechanism that compares addresses (a, mx, ptr) ask the type of
// the sender's address, and exists asks A whatever the sender, so that the
// library counts an "a" term whose name has only AAAA records as the void
// lookup it is (RFC 7208 4.6.4). For an IPv6 sender it asks both: exists
// goes through the same call and needs the A records.
type netResolver struct {
	r    resolver.Resolver
	ipv4 bool
}

var _ spf.DNSResolver = netResolver{}

func dnsError(name string, err error) error {
	if err == nil {
		return nil
	}
	de := &net.DNSError{Err: err.Error(), Name: name}
	var re *resolver.Error
	if errors.As(err, &re) {
		de.Server = re.Server
		de.IsTimeout = errors.Is(err, resolver.ErrTimeout)
	}
	if resolver.IsNotFound(err) {
		de.IsNotFound = true
	} else {
		de.IsTemporary = true
	}
	return de
}

func (n netResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	t, err := n.r.LookupTXT(ctx, name)
	return t.Joined(), dnsError(name, err)
}

func (n netResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	m, err := n.r.LookupMX(ctx, name)
	out := make([]*net.MX, 0, len(m.MX))
	for _, mx := range m.MX {
		out = append(out, &net.MX{Host: dns.Fqdn(mx.Host), Pref: mx.Pref})
	}
	return out, dnsError(name, err)
}

func (n netResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	var out []net.IPAddr
	var firstErr error
	found := 0
	qtypes := []uint16{dns.TypeA, dns.TypeAAAA}
	if n.ipv4 {
		qtypes = qtypes[:1]
	}
	for _, qt := range qtypes {
		ips, err := n.r.LookupIP(ctx, host, qt)
		if err != nil {
			if !resolver.IsNotFound(err) || firstErr == nil {
				firstErr = err
			}
			continue
		}
		found++
		for _, a := range ips.IPs {
			out = append(out, net.IPAddr{IP: a.AsSlice()})
		}
	}
	if found > 0 {
		return out, nil
	}
	return nil, dnsError(host, firstErr)
}

func (n netResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: "not an IP address", Name: addr, IsNotFound: true}
	}
	names, err := n.r.LookupPTR(ctx, a)
	out := make([]string, len(names.Names))
	for i, s := range names.Names {
		out[i] = dns.Fqdn(s)
	}
	return out, dnsError(addr, err)
}

// SPFResult is the evaluation of check_host for one IP.
type SPFResult struct {
	// Identity is "mailfrom" or "helo" (RFC 7208 2.3, 2.4).
	Identity string     `json:"identity"`
	IP       string     `json:"ip"`
	Helo     string     `json:"helo,omitempty"`
	Sender   string     `json:"sender,omitempty"`
	Result   spf.Result `json:"result"` // none, neutral, pass, fail, softfail, temperror, permerror
	Error    string     `json:"error,omitempty"`
}

// EvalSPF runs check_host (RFC 7208 4) for a connection from ip that said
// helo and gave sender as MAIL FROM (empty: the HELO identity is checked,
// as postmaster@helo, RFC 7208 2.4), using blitiri.com.ar/go/spf over r.
func EvalSPF(ctx context.Context, r resolver.Resolver, ip netip.Addr, helo, sender string) SPFResult {
	identity := "mailfrom"
	if sender == "" || !strings.Contains(sender, "@") {
		// RFC 7208 2.3: the HELO identity is checked as postmaster@helo.
		identity, sender = "helo", "postmaster@"+helo
	}
	res, err := spf.CheckHostWithSender(ip.Unmap().AsSlice(), helo, sender,
		spf.WithContext(ctx), spf.WithResolver(netResolver{r: r, ipv4: ip.Unmap().Is4()}))
	out := SPFResult{Identity: identity, IP: ip.String(), Helo: helo, Sender: sender, Result: res}
	if err != nil && res != spf.Pass && res != spf.Fail && res != spf.SoftFail && res != spf.Neutral {
		out.Error = err.Error()
	}
	return out
}
