package scenario

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/miekg/dns"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/relay"
)

// DNSConfig is the DNS of a replay: what its mx paths ask. A replay with
// an mx path never asks the system's resolvers and never connects past the
// sink: the zone is served by a DNS server on 127.0.0.1, and connections go
// to the sink listeners that Addresses names.
type DNSConfig struct {
	// Zone is records in zone-file syntax (RFC 1035 master format: use
	// $ORIGIN or names ending in a dot). It is the whole DNS the replay
	// sees: a name it does not hold does not exist (NXDOMAIN), and a
	// domain that is there without MX and address records has neither.
	// Comment lines ";@dnstest BEHAVIOUR NAME" make a name and the names
	// below it misbehave: servfail, refused, timeout (no reply; each
	// lookup then costs the resolver's wall-clock timeouts, about 4s),
	// malformed, truncate, truncate-always, wrongtype, wrongname,
	// otherquestion.
	Zone string `yaml:"zone"`
	// Addresses says which sink listener answers at an address the zone
	// gives an MX host: "192.0.2.10: sink" (the first listener) or
	// "192.0.2.11: sink:NAME", whatever port the path dials. A connection
	// to any other address is refused, as a host that is down would.
	Addresses map[string]string `yaml:"addresses"`
}

// soaFor is the SOA record that makes the replay's DNS server authoritative
// for a top-level domain, so that a name under it that the zone does not
// hold is NXDOMAIN rather than REFUSED.
func soaFor(tld string) string {
	return tld + " 3600 IN SOA ns.replay.invalid. hostmaster.replay.invalid. 1 3600 600 86400 60"
}

// mxPath returns the index of the scenario's first mx path, or -1.
func (sc *Scenario) mxPath() int {
	for i, p := range sc.Relay.Paths {
		if p.Type == "mx" {
			return i
		}
	}
	return -1
}

// validateDNS checks the dns section against the relay's paths, the sink's
// listeners and sink.verify: the two that ask the DNS.
func (sc *Scenario) validateDNS() error {
	if len(sc.Relay.Resolvers) > 0 {
		return config.Errorf("relay.resolvers", "a replay's relay asks the scenario's dns.zone and nothing else, served on 127.0.0.1 for it: remove resolvers, and put the MX records its mx paths need in dns.zone")
	}
	if err := sc.validateVerify(); err != nil {
		return err
	}
	mx := sc.mxPath()
	if mx < 0 {
		switch {
		case !sc.Sink.Verify.Enabled && (sc.DNS.Zone != "" || len(sc.DNS.Addresses) > 0):
			return config.Errorf("dns", "only a relay path of type mx asks the DNS, or the sink with sink.verify.enabled: true, and this scenario has neither (add one to relay.paths with type: mx)")
		case len(sc.DNS.Addresses) > 0:
			return config.Errorf("dns.addresses", "only a relay path of type mx connects to the addresses the zone gives, and this scenario has none (the sink's checks need only dns.zone)")
		}
	} else if strings.TrimSpace(sc.DNS.Zone) == "" {
		return config.Errorf(fmt.Sprintf("relay.paths[%d]", mx),
			"an mx path asks the DNS, and a replay asks only its own: add dns.zone with the MX and address records of the recipients' domains")
	}
	if sc.DNS.Zone == "" {
		return nil
	}
	if _, err := newZoneServer(sc.DNS.Zone, sc.domains()...); err != nil {
		return config.Errorf("dns.zone", "%v", err)
	}
	for _, a := range sortedKeys(sc.DNS.Addresses) {
		if _, err := netip.ParseAddr(a); err != nil {
			return config.Errorf("dns.addresses", "%q is not an IP address such as 192.0.2.10 or 2001:db8::10", a)
		}
		to := sc.DNS.Addresses[a]
		name, ok := relay.SinkHost(to)
		if !ok {
			return config.Errorf("dns.addresses", "%s: %q: want sink (the first listener) or sink:NAME; a replay connects to nothing but its sink", a, to)
		}
		if name != "" && !sc.hasListener(name) {
			return config.Errorf("dns.addresses", "%s: no sink listener named %q", a, name)
		}
	}
	return nil
}

// validateVerify checks sink.verify: in a replay the sink asks the
// scenario's zone, as the mx paths do, and never a resolver of the
// machine's or of the file's.
func (sc *Scenario) validateVerify() error {
	v := sc.Sink.Verify
	if !v.Enabled {
		return nil
	}
	if len(v.Resolvers) > 0 {
		return config.Errorf("sink.verify.resolvers", "a replay's sink asks the scenario's dns.zone and nothing else, served on 127.0.0.1 for it: remove resolvers, and put the records the checks need in dns.zone")
	}
	if strings.TrimSpace(sc.DNS.Zone) == "" {
		return config.Errorf("sink.verify.enabled", "a replay's sink checks SPF, DKIM and DMARC against the scenario's own DNS, and this scenario has none: add dns.zone with the SPF, DKIM and DMARC records of the senders' domains (a replay never asks the system's resolvers)")
	}
	return nil
}

// newZoneServer loads zone into a DNS server that is not yet listening,
// authoritative for the top-level domains of the zone's names and of
// names (the scenario's domains). Records without a TTL get 300 seconds.
func newZoneServer(zone string, names ...string) (*dnstest.Server, error) {
	zone = "$TTL 300\n" + zone
	s := dnstest.New()
	if err := s.Load(strings.NewReader(zone), "zone"); err != nil {
		return nil, zoneError(err)
	}
	tlds := map[string]bool{}
	zp := dns.NewZoneParser(strings.NewReader(zone), "", "zone")
	zp.SetIncludeAllowed(false)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if rr.Header().Rrtype == dns.TypeSOA && dns.CountLabel(rr.Header().Name) <= 1 {
			// The zone has its own SOA for this top-level domain.
			tlds[strings.ToLower(dns.Fqdn(rr.Header().Name))] = false
			continue
		}
		names = append(names, rr.Header().Name)
	}
	for _, n := range names {
		labels := dns.SplitDomainName(n)
		if len(labels) == 0 {
			continue
		}
		tld := strings.ToLower(dns.Fqdn(labels[len(labels)-1]))
		if _, seen := tlds[tld]; !seen {
			tlds[tld] = true
		}
	}
	for tld, add := range tlds {
		if add {
			if err := s.AddString(soaFor(tld)); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// The line numbers in the zone parser's errors ("at line: 3:17") and in
// dnstest's ("zone:3:"), which count the $TTL line newZoneServer adds.
var (
	parserLine    = regexp.MustCompile(`at line: (\d+):(\d+)`)
	directiveLine = regexp.MustCompile(`^zone:(\d+):`)
)

// zoneError restates a zone error with the line in the zone as written:
// `dns: bad A A: "x" at line 3:17 of the zone`, or `line 2 of the zone:
// want ";@dnstest BEHAVIOUR NAME" ...`.
func zoneError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "dnstest: ")
	for strings.HasPrefix(msg, "zone: ") {
		msg = strings.TrimPrefix(msg, "zone: ")
	}
	line := func(s string) int { n, _ := strconv.Atoi(s); return n - 1 }
	msg = parserLine.ReplaceAllStringFunc(msg, func(m string) string {
		sub := parserLine.FindStringSubmatch(m)
		return fmt.Sprintf("at line %d:%s of the zone", line(sub[1]), sub[2])
	})
	msg = directiveLine.ReplaceAllStringFunc(msg, func(m string) string {
		return fmt.Sprintf("line %d of the zone:", line(directiveLine.FindStringSubmatch(m)[1]))
	})
	return errors.New(msg)
}

// serveZone serves the scenario's zone on 127.0.0.1; the caller closes
// the server.
func (sc *Scenario) serveZone() (*dnstest.Server, error) {
	s, err := newZoneServer(sc.DNS.Zone, sc.domains()...)
	if err != nil {
		return nil, err
	}
	if err := s.Listen(); err != nil {
		return nil, err
	}
	return s, nil
}

// mxDNS returns the resolver and dialer of the relay's mx paths: the
// zone served at zoneAddr, and the sink listeners at the addresses
// dns.addresses maps; hostPorts are the listeners' addresses by name,
// first the name a bare "sink" means.
func (sc *Scenario) mxDNS(zoneAddr string, hostPorts map[string]string, first string) (relay.Resolver, relay.Dialer, error) {
	res, err := relay.NewDNSResolver(zoneAddr)
	if err != nil {
		return nil, nil, err
	}
	d := newSinkDialer(hostPorts)
	for a, to := range sc.DNS.Addresses {
		ip, _ := netip.ParseAddr(a) // checked by Validate
		name, _ := relay.SinkHost(to)
		if name == "" {
			name = first
		}
		d.to[ip.Unmap()] = hostPorts[name]
	}
	return res, d, nil
}

// sinkDialer connects what the zone's addresses stand for to the sink
// listeners dns.addresses names, and the sink's own addresses (paths to
// "sink") to themselves; it refuses everything else, so that a replay
// reaches nothing past its own loopback listeners.
type sinkDialer struct {
	to  map[netip.Addr]string // address in the zone -> listener host:port
	own map[string]bool       // the listeners' host:port
	d   net.Dialer
}

var _ relay.Dialer = (*sinkDialer)(nil)

// newSinkDialer reaches the listeners at hostPorts (name -> host:port).
func newSinkDialer(hostPorts map[string]string) *sinkDialer {
	d := &sinkDialer{to: map[netip.Addr]string{}, own: map[string]bool{}}
	for _, hp := range hostPorts {
		d.own[hp] = true
	}
	return d
}

func (d *sinkDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.own[addr] {
		return d.d.DialContext(ctx, network, addr)
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if ip, err := netip.ParseAddr(host); err == nil {
			if to, ok := d.to[ip.Unmap()]; ok {
				return d.d.DialContext(ctx, network, to)
			}
		}
	}
	return nil, fmt.Errorf("dial %s: connection refused (the scenario's dns.addresses puts no sink listener there, and a replay connects nowhere else)", addr)
}

// domains are the domains of the scenario's senders and recipients.
func (sc *Scenario) domains() []string {
	var out []string
	for _, m := range sc.Messages {
		for _, a := range append([]string{m.From}, m.To...) {
			if i := strings.LastIndexByte(a, '@'); i >= 0 {
				out = append(out, a[i+1:])
			}
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
