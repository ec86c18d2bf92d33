package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

// NotServedError is a lookup refused by a server that serves zone files
// (relaylab probe --zone, or a test's dnstest server) because the name is
// in none of them: no fault of a resolver, but a zone missing from the
// files. It wraps the resolver's error, so the lookup still counts as
// failed and the check as incomplete.
type NotServedError struct {
	Name  string   // the name asked, without the final dot
	Zones []string // the zones the server serves, sorted
	Err   error    // the resolver's error: REFUSED
}

// notServedPhrase is in the text of every NotServedError, which reaches
// a blocklist's answer only as text (Listing.Error).
const notServedPhrase = "is in none of the zone files served"

// maxZonesListed bounds the zones a finding names.
const maxZonesListed = 12

func (e *NotServedError) Error() string {
	return fmt.Sprintf("%v: %s %s (%s)", e.Err, e.Name, notServedPhrase, e.zoneList())
}

func (e *NotServedError) Unwrap() error { return e.Err }

func (e *NotServedError) zoneList() string {
	if len(e.Zones) > maxZonesListed {
		return fmt.Sprintf("%s and %d more", strings.Join(e.Zones[:maxZonesListed], ", "), len(e.Zones)-maxZonesListed)
	}
	return strings.Join(e.Zones, ", ")
}

// zoneFor is the zone to add for name: its /24 reverse zone for an IPv4
// reverse name, else its organisational domain.
func zoneFor(name string) string {
	if strings.HasSuffix(name, ".in-addr.arpa") && strings.Count(name, ".") == 5 {
		return name[strings.Index(name, ".")+1:]
	}
	return OrgDomain(name)
}

// servedZones is the resolver of a run, which tells a refusal by a
// zone-file server for a name outside its zones from any other failure:
// on a refusal it asks the server, once, for the zones it serves
// (dnstest.ZonesName). It asks only when every server it uses is on
// loopback, so the question never leaves the machine.
type servedZones struct {
	resolver.Resolver
	once  sync.Once
	zones []string // nil: not a zone-file server
}

var _ resolver.Resolver = (*servedZones)(nil)

// newServedZones wraps r, or returns it as it is when it may ask servers
// beyond loopback.
func newServedZones(r resolver.Resolver) resolver.Resolver {
	c, ok := r.(interface{ Servers() []string })
	if !ok || len(c.Servers()) == 0 {
		return r
	}
	for _, s := range c.Servers() {
		ap, err := netip.ParseAddrPort(s)
		if err != nil || !ap.Addr().IsLoopback() {
			return r
		}
	}
	return &servedZones{Resolver: r}
}

// explain turns a refusal of a name outside the zones served into a
// *NotServedError.
func (s *servedZones) explain(ctx context.Context, err error) error {
	var re *resolver.Error
	if !errors.As(err, &re) || !errors.Is(err, resolver.ErrRefused) {
		return err
	}
	s.once.Do(func() {
		t, qerr := s.Resolver.LookupTXT(ctx, dnstest.ZonesName)
		if qerr != nil {
			return
		}
		for _, z := range t.Joined() {
			s.zones = append(s.zones, strings.ToLower(z))
		}
	})
	name := strings.TrimSuffix(strings.ToLower(re.Name), ".")
	if len(s.zones) == 0 || name == "" {
		return err
	}
	for _, z := range s.zones {
		if dns.IsSubDomain(z+".", name+".") {
			return err // refused inside a zone: a misbehaving name
		}
	}
	return &NotServedError{Name: name, Zones: s.zones, Err: err}
}

func (s *servedZones) LookupTXT(ctx context.Context, name string) (resolver.TXT, error) {
	t, err := s.Resolver.LookupTXT(ctx, name)
	return t, s.explain(ctx, err)
}

func (s *servedZones) LookupMX(ctx context.Context, name string) (resolver.MXs, error) {
	m, err := s.Resolver.LookupMX(ctx, name)
	return m, s.explain(ctx, err)
}

func (s *servedZones) LookupIP(ctx context.Context, name string, qtype uint16) (resolver.IPs, error) {
	ips, err := s.Resolver.LookupIP(ctx, name, qtype)
	return ips, s.explain(ctx, err)
}

func (s *servedZones) LookupPTR(ctx context.Context, addr netip.Addr) (resolver.Names, error) {
	n, err := s.Resolver.LookupPTR(ctx, addr)
	return n, s.explain(ctx, err)
}

func (s *servedZones) LookupCNAME(ctx context.Context, name string) (resolver.CNAME, error) {
	c, err := s.Resolver.LookupCNAME(ctx, name)
	return c, s.explain(ctx, err)
}

func (s *servedZones) Exchange(ctx context.Context, q *dns.Msg) (resolver.Reply, error) {
	rep, err := s.Resolver.Exchange(ctx, q)
	return rep, s.explain(ctx, err)
}
