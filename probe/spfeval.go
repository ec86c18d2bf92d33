package probe

import (
	"context"
	"errors"
	"fmt"
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
//
// LookupTXT also parses the one SPF record of each name the evaluation
// asks for (see spfSyntaxError) and keeps it in records, when set, so that
// EvalSPF can tell a loop from a policy that is merely too big.
type netResolver struct {
	r       resolver.Resolver
	ipv4    bool
	records map[string]string
	// none, when set, is the last name asked that had no SPF record,
	// said as EvalSPF says it: the evaluation stops at such a name (RFC
	// 7208 4.5, 5.2), so the last is the one to name.
	none *string
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

// spfQueryName is name, an SPF domain-spec or its expansion, in the zone-file
// form the resolver takes. In SPF a backslash is a character of the name
// (RFC 7208 7.1 knows no escapes; a macro may expand to a local-part that
// holds one), where the zone-file form reads it as an escape; every other
// character, '@' and '(' included, goes on the wire as it is.
func spfQueryName(name string) string { return strings.ReplaceAll(name, `\`, `\\`) }

func (n netResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	t, err := n.r.LookupTXT(ctx, spfQueryName(name))
	txts := t.Joined()
	if err != nil {
		if resolver.IsNotFound(err) && n.none != nil {
			*n.none = fmt.Sprintf("no SPF record at %s, a name that does not exist: NXDOMAIN", strings.TrimSuffix(name, "."))
		}
		return txts, dnsError(name, err)
	}
	var spfs []string
	for _, s := range txts {
		if IsSPF(s) {
			spfs = append(spfs, s)
		}
	}
	if len(spfs) == 0 && n.none != nil {
		*n.none = "no SPF record at " + strings.TrimSuffix(name, ".")
	}
	if len(spfs) != 1 {
		// None, or several: the library's own permerror (RFC 7208 4.5).
		return txts, nil
	}
	domain := strings.TrimSuffix(strings.ToLower(name), ".")
	if n.records != nil {
		n.records[domain] = spfs[0]
	}
	if _, perr := ParseSPF(spfs[0]); perr != nil {
		return nil, &spfSyntaxError{domain: domain, err: perr}
	}
	return txts, nil
}

// spfSyntaxError is what LookupTXT returns for a name whose SPF record
// does not parse. RFC 7208 4.6: a record with a syntax error gives
// permerror before any of its terms is evaluated, wherever the error is;
// blitiri.com.ar/go/spf evaluates term by term and stops at the first
// match, so "ip4:x foo:bar -all" would pass for x. An error that is not a
// *net.DNSError makes the library return permerror at once for that
// record, and so for every include or redirect that reaches it (RFC 7208
// 5.2, 6.1); a record that evaluation never reaches is never asked for.
type spfSyntaxError struct {
	domain string
	err    error
}

func (e *spfSyntaxError) Error() string {
	return fmt.Sprintf("%v, in the record of %s", e.err, e.domain)
}

func (e *spfSyntaxError) Unwrap() error { return e.err }

func (n netResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	m, err := n.r.LookupMX(ctx, spfQueryName(name))
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
		ips, err := n.r.LookupIP(ctx, spfQueryName(host), qt)
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
	// Record is the SPF record of the identity's domain, when it has one.
	Record string `json:"record,omitempty"`
	// heloAddrs are, for the HELO identity, the addresses of the HELO
	// name (nil when it has none, or they could not be asked), for the
	// advice on what to publish.
	heloAddrs []netip.Addr
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
	nr := netResolver{r: r, ipv4: ip.Unmap().Is4(), records: map[string]string{}, none: new(string)}
	res, err := spf.CheckHostWithSender(ip.Unmap().AsSlice(), helo, sender,
		spf.WithContext(ctx), spf.WithResolver(nr))
	out := SPFResult{Identity: identity, IP: ip.String(), Helo: helo, Sender: sender, Result: res,
		Record: nr.records[strings.TrimSuffix(strings.ToLower(domainOf(sender)), ".")]}
	if err != nil && res != spf.Pass && res != spf.Fail && res != spf.SoftFail && res != spf.Neutral {
		out.Error = err.Error()
		if errors.Is(err, spf.ErrNoResult) && *nr.none != "" {
			// The library's "no DNS record found" reads as if the name
			// did not exist, when most often it exists without SPF.
			out.Error = *nr.none
		}
	}
	if res == spf.PermError && errors.Is(err, spf.ErrLookupLimitReached) {
		// A loop is stopped only by the lookup limit (RFC 7208 4.6.4):
		// say it is a loop, as the SPF findings do.
		if loop := spfLoop(nr.records, domainOf(sender)); loop != nil {
			out.Error = fmt.Sprintf("the include/redirect chain loops (%s), so the lookup limit is reached", strings.Join(loop, " -> "))
		}
	}
	return out
}

// spfLoop returns the first include/redirect chain from root that comes
// back to a name already on it, following only the records that the
// evaluation fetched (records, by name), in the order of their terms; nil
// when there is none.
func spfLoop(records map[string]string, root string) []string {
	var path []string
	done := map[string]bool{}
	var visit func(d string) []string
	visit = func(d string) []string {
		for _, p := range path {
			if p == d {
				return append(append([]string(nil), path...), d)
			}
		}
		rec, ok := records[d]
		if !ok || done[d] {
			return nil
		}
		parsed, err := ParseSPF(rec)
		if err != nil {
			return nil
		}
		path = append(path, d)
		defer func() { path, done[d] = path[:len(path)-1], true }()
		hasAll := hasAllTerm(parsed)
		for _, t := range parsed.Terms {
			follow := !t.Modifier && t.Name == "include" || t.Modifier && t.Name == "redirect" && !hasAll
			if !follow || strings.Contains(t.Value, "%") {
				continue
			}
			if loop := visit(strings.TrimSuffix(strings.ToLower(t.Value), ".")); loop != nil {
				return loop
			}
		}
		return nil
	}
	return visit(strings.TrimSuffix(strings.ToLower(root), "."))
}
