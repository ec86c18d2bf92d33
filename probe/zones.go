package probe

import (
	_ "embed"
	"fmt"
	"net/netip"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
)

//go:embed zones.yaml
var defaultZonesYAML []byte

// ZoneKind is what a blocklist lists.
type ZoneKind string

// Kinds of blocklist.
const (
	ZoneIP     ZoneKind = "ip"     // IP addresses (DNSBL, RFC 5782 2.1 and 2.4)
	ZoneDomain ZoneKind = "domain" // domain names (RHSBL, RFC 5782 2.3)
	ZoneURI    ZoneKind = "uri"    // domains found in message bodies
)

// Zone is one blocklist.
type Zone struct {
	Zone string   `yaml:"zone" json:"zone"`
	Kind ZoneKind `yaml:"kind" json:"kind"`
	// IPv6 says the list answers nibble-form IPv6 queries (RFC 5782 2.4).
	IPv6 bool `yaml:"ipv6,omitempty" json:"ipv6,omitempty"`
	// Codes maps return addresses to what they mean.
	Codes map[string]string `yaml:"codes,omitempty" json:"codes,omitempty"`
	// Errors are addresses or prefixes the list returns to signal its own
	// failure (a refused query, an over-limit resolver): never listings.
	Errors []string `yaml:"errors,omitempty" json:"errors,omitempty"`
	// TestListed and TestUnlisted override the health-check names: by
	// default 127.0.0.2 and 127.0.0.1 for IP lists, TEST and INVALID for
	// domain lists (RFC 5782 5).
	TestListed   string `yaml:"test_listed,omitempty" json:"test_listed,omitempty"`
	TestUnlisted string `yaml:"test_unlisted,omitempty" json:"test_unlisted,omitempty"`

	errs []netip.Prefix
}

// DefaultZones returns the zones of the embedded data file.
func DefaultZones() []Zone {
	var zs []Zone
	if err := config.Decode("zones.yaml", defaultZonesYAML, &zs); err != nil {
		panic("probe: embedded zones.yaml: " + err.Error()) // caught by tests
	}
	for i := range zs {
		if err := zs[i].Validate(""); err != nil {
			panic("probe: embedded zones.yaml: " + err.Error())
		}
	}
	return zs
}

// Validate checks the zone and prepares its error prefixes.
func (z *Zone) Validate(prefix string) error {
	z.Zone = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(z.Zone)), ".")
	if z.Zone == "" || !strings.Contains(z.Zone, ".") {
		return config.Errorf(prefix+"zone", "%q is not a blocklist zone name (such as zen.spamhaus.org)", z.Zone)
	}
	switch z.Kind {
	case ZoneIP, ZoneDomain, ZoneURI:
	case "":
		z.Kind = ZoneIP
	default:
		return config.Errorf(prefix+"kind", "kind %q is not one of ip, domain, uri", z.Kind)
	}
	for code := range z.Codes {
		if a, err := netip.ParseAddr(code); err != nil || !a.Is4() {
			return config.Errorf(prefix+"codes", "code %q is not an IPv4 address such as 127.0.0.2", code)
		}
	}
	z.errs = z.errs[:0]
	for _, e := range z.Errors {
		p, err := parsePrefix(e)
		if err != nil {
			return config.Errorf(prefix+"errors", "%q is not an address or prefix such as 127.255.255.0/24", e)
		}
		z.errs = append(z.errs, p)
	}
	return nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// isError reports whether a returned address is one of the zone's error
// signals, or outside 127/8 (RFC 5782 2.3: answers are in 127.0.0.0/8; any
// other address means a resolver rewrote NXDOMAIN, or the list is broken).
func (z *Zone) isError(a netip.Addr) (bool, string) {
	if !a.Is4() || !netip.MustParsePrefix("127.0.0.0/8").Contains(a) {
		return true, fmt.Sprintf("answer %s is outside 127.0.0.0/8, so it is not a listing (a resolver may rewrite NXDOMAIN answers)", a)
	}
	for _, p := range z.errs {
		if p.Contains(a) {
			return true, fmt.Sprintf("answer %s is the list's error signal (often: queries from public or over-limit resolvers are refused)", a)
		}
	}
	return false, ""
}

func (z *Zone) meaning(a netip.Addr) string {
	if m, ok := z.Codes[a.String()]; ok {
		return m
	}
	return "listed (code " + a.String() + ")"
}
