package probe

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/resolver"
)

// Whether a watched domain's own DNS answers. Each check leaves out what
// it could not establish, so that a temporary error is never a change;
// but a domain whose name servers stop answering (a lame delegation, a
// DNS host that dropped the zone, servers down) then changes nothing at
// all, and a webhook user never hears that every receiver now gets
// SERVFAIL for it: SPF and DMARC temperror, MX lookups that fail, mail
// from and to it deferred. dnsTally counts, for one run over one domain,
// the lookups of names at or under it that got an answer (a record, no
// record, or NXDOMAIN: the servers answered) and those refused or failed
// (SERVFAIL, REFUSED); timeouts count for neither, as they may be the
// monitor's own network. The monitor compares the outcome between runs
// like any record: "answers", or "failing: SERVFAIL" when no lookup got
// an answer.

// DNS health values of the "domain D dns" observation.
const (
	dnsAnswers    = "answers"
	dnsFailingPfx = "failing: "
)

// dnsTally is a resolver that counts the answers for one domain.
type dnsTally struct {
	resolver.Resolver
	domain string // fully qualified, lower case

	mu       sync.Mutex
	answered int
	failed   map[string]int // by rcode's name
}

func newDNSTally(r resolver.Resolver, domain string) *dnsTally {
	return &dnsTally{Resolver: r, domain: dns.Fqdn(strings.ToLower(domain)), failed: map[string]int{}}
}

// Servers passes on the servers of the resolver it wraps, which Run
// records and newServedZones reads.
func (t *dnsTally) Servers() []string {
	if s, ok := t.Resolver.(interface{ Servers() []string }); ok {
		return s.Servers()
	}
	return nil
}

// count notes the outcome of a lookup of name.
func (t *dnsTally) count(name string, err error) {
	if !dns.IsSubDomain(t.domain, dns.Fqdn(strings.ToLower(name))) {
		return // an include's, an MX host's of another domain: not its own
	}
	rcode := ""
	switch {
	case err == nil, errors.Is(err, resolver.ErrNXDomain):
	case errors.Is(err, resolver.ErrServFail):
		rcode = "SERVFAIL"
	case errors.Is(err, resolver.ErrRefused):
		rcode = "REFUSED"
	default:
		return // a timeout, a malformed reply: nothing said of the servers
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if rcode == "" {
		t.answered++
	} else {
		t.failed[rcode]++
	}
}

// health is the observation's value, or "" when nothing can be said: no
// lookup of the domain's own names got an answer or a failure.
func (t *dnsTally) health() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.answered > 0:
		return dnsAnswers
	case len(t.failed) == 0:
		return ""
	}
	codes := make([]string, 0, len(t.failed))
	for c := range t.failed {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return dnsFailingPfx + strings.Join(codes, ", ")
}

func (t *dnsTally) LookupTXT(ctx context.Context, name string) (resolver.TXT, error) {
	v, err := t.Resolver.LookupTXT(ctx, name)
	t.count(name, err)
	return v, err
}

func (t *dnsTally) LookupMX(ctx context.Context, name string) (resolver.MXs, error) {
	v, err := t.Resolver.LookupMX(ctx, name)
	t.count(name, err)
	return v, err
}

func (t *dnsTally) LookupIP(ctx context.Context, name string, qtype uint16) (resolver.IPs, error) {
	v, err := t.Resolver.LookupIP(ctx, name, qtype)
	t.count(name, err)
	return v, err
}

func (t *dnsTally) LookupCNAME(ctx context.Context, name string) (resolver.CNAME, error) {
	v, err := t.Resolver.LookupCNAME(ctx, name)
	t.count(name, err)
	return v, err
}

func (t *dnsTally) LookupPTR(ctx context.Context, addr netip.Addr) (resolver.Names, error) {
	return t.Resolver.LookupPTR(ctx, addr) // a reverse name: never the domain's own
}

func (t *dnsTally) Exchange(ctx context.Context, q *dns.Msg) (resolver.Reply, error) {
	rep, err := t.Resolver.Exchange(ctx, q)
	if len(q.Question) == 1 {
		if err == nil && rep.Msg != nil {
			switch rep.Msg.Rcode {
			case dns.RcodeServerFailure:
				err = &resolver.Error{Kind: resolver.ErrServFail}
			case dns.RcodeRefused:
				err = &resolver.Error{Kind: resolver.ErrRefused}
			}
			t.count(q.Question[0].Name, err)
			return rep, nil
		}
		t.count(q.Question[0].Name, err)
	}
	return rep, err
}

// dnsHealthNote says what a change of a domain's DNS health means.
func dnsHealthNote(domain, old, new string) string {
	if new == dnsAnswers {
		return domain + "'s name servers answer again: receivers can read its records (SPF, DKIM, DMARC, MX) once more"
	}
	rcodes := strings.TrimPrefix(new, dnsFailingPfx)
	check := "check its delegation at the registrar (NS records that name servers which serve the zone) and those servers"
	if org := OrgDomain(domain); org != domain {
		// A subdomain is delegated, if at all, by its parent's zone,
		// which the registrar does not see.
		_, parent, _ := strings.Cut(domain, ".")
		check = "check the NS records for " + domain + " in the zone of " + parent + ", which delegate it to name servers that must serve its zone (without them, " + parent +
			"'s own servers answer for it, and its records belong in " + parent + "'s zone), and those servers"
	}
	note := domain + "'s name servers answered no lookup of its names on two runs in a row (" + rcodes + "): receivers get the same, so SPF and DMARC give temperror for its mail, " +
		"its MX cannot be found and mail to it is deferred, and DKIM keys cannot be read; " + check
	if strings.Contains(rcodes, "REFUSED") {
		note += "; REFUSED from the servers asked usually means they do not serve the zone (a lame delegation), or refuse this resolver"
	}
	return note
}
