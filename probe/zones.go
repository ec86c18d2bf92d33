package probe

import (
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/miekg/dns"

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
	// IPv4, when false, says the list holds IPv6 addresses only (with
	// IPv6): IPv4 addresses are not asked about (they are not
	// applicable, not "not listed"), and its health check asks the IPv6
	// test points (::ffff:127.0.0.2 listed, ::ffff:127.0.0.1 not, RFC
	// 5782 5) instead of the IPv4 ones. nil: true.
	IPv4 *bool `yaml:"ipv4,omitempty" json:"ipv4,omitempty"`
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
	// Delist is the page where the list takes delisting requests
	// (http or https), told with a listing; without it, the first URL
	// of the list's TXT record for the address is told, when it has one.
	Delist string `yaml:"delist,omitempty" json:"delist,omitempty"`
	// File, in the zones key of the configuration, is a zones file that
	// this entry stands for: Config.Validate replaces the entry with the
	// file's zones. A name that is not absolute is taken as given (the
	// configuration's reader may make it relative to its own directory).
	File string `yaml:"-" json:"-"`
	// given is File as the configuration wrote it, before its reader
	// made it relative to its own directory: what an error quotes.
	given string

	errs []netip.Prefix
}

// Zones is a list of blocklists: the whole of a zones file (relaylab probe
// --zones), or the zones key of the probe section.
type Zones []Zone

// ZoneList is the zones key of the probe section: a list of zones, each
// written out or given as the name of a zones file (what relaylab probe
// --zones takes), or the name of one zones file alone.
type ZoneList []Zone

// UnmarshalYAML reads a file name, or a list of zones and file names.
func (zl *ZoneList) UnmarshalYAML(unmarshal func(any) error) error {
	var file string
	if unmarshal(&file) == nil {
		*zl = nil
		if file = strings.TrimSpace(file); file != "" {
			*zl = ZoneList{{File: file, given: file}}
		}
		return nil
	}
	var entries []zoneEntry
	if err := unmarshal(&entries); err != nil {
		return err
	}
	*zl = make(ZoneList, len(entries))
	for i, e := range entries {
		(*zl)[i] = Zone(e)
	}
	return nil
}

// zoneEntry is one entry of a ZoneList: a zone, or a zones file's name.
type zoneEntry Zone

func (e *zoneEntry) UnmarshalYAML(unmarshal func(any) error) error {
	var file string
	if unmarshal(&file) == nil {
		file = strings.TrimSpace(file)
		*e = zoneEntry{File: file, given: file}
		return nil
	}
	type plain Zone // without this method
	return unmarshal((*plain)(e))
}

// load checks the zones written out and replaces each file's entry with
// the file's zones, in place; prefix is the key path of the list
// ("probe.zones"), so that a problem is reported at its line.
func (zl *ZoneList) load(prefix string) error {
	for i := range *zl {
		if z := &(*zl)[i]; z.File == "" {
			if err := z.Validate(fmt.Sprintf("%s[%d].", prefix, i)); err != nil {
				return err
			}
		}
	}
	var out ZoneList
	for i, z := range *zl {
		if z.File == "" {
			out = append(out, z)
			continue
		}
		key := fmt.Sprintf("%s[%d]", prefix, i)
		if len(*zl) == 1 {
			key = prefix // perhaps "zones: FILE", with no list
		}
		zs, err := loadZonesFile(z.File)
		var ce *config.Error
		switch {
		case errors.As(err, &ce):
			return config.Errorf(key, "in the zones file: %v", err)
		case err != nil:
			return config.Errorf(key, "%s", zonesFileError(err, prefix, z))
		}
		out = append(out, zs...)
	}
	*zl = out
	return nil
}

// DefaultZones returns the zones of the embedded data file.
func DefaultZones() []Zone {
	var zs Zones
	if err := config.Decode("zones.yaml", defaultZonesYAML, &zs); err != nil {
		panic("probe: embedded zones.yaml: " + err.Error()) // caught by tests
	}
	return zs
}

// LoadZones reads a zones file: a YAML list of zones (relaylab probe
// --zones). A bad value is an error naming the file, line, column and
// key, as config.Load reports it; a missing file is one that says what
// the file should be.
func LoadZones(name string) (Zones, error) {
	zs, err := loadZonesFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no zones file there; give the name of a YAML list of blocklists, each such as {zone: zen.spamhaus.org, kind: ip}, or leave --zones out for the built-in lists", err)
	}
	return zs, err
}

func loadZonesFile(name string) (Zones, error) {
	var zs Zones
	if err := config.Load(name, &zs); err != nil {
		return nil, err
	}
	return zs, nil
}

// zonesFileError says why the zones file that z, an entry of the list at
// prefix, names could not be read (err), and what to do. A name like a
// blocklist's (zen.spamhaus.org) is a zone written where a mapping was
// meant; any other names a file that is missing or unreadable.
func zonesFileError(err error, prefix string, z Zone) string {
	const what = "a string in %s names a zones file, a YAML list of blocklists such as relaylab probe --zones takes"
	name := cmp.Or(z.given, z.File)
	if looksLikeZone(name) {
		return fmt.Sprintf("%v ("+what+"; write a blocklist itself as a mapping, such as {zone: %s, kind: ip})", err, prefix, name)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("%v: no zones file there ("+what+", relative to the configuration file's directory unless absolute); fix the name, or remove it from %s (with no zones at all, the built-in lists are used)", err, prefix, prefix)
	}
	return fmt.Sprintf("%v ("+what+"); check the name and the file's permissions, or remove it from %s", err, prefix, prefix)
}

// looksLikeZone reports whether name, a string of probe.zones, reads as
// a blocklist's zone rather than a file's name: a domain name, with no
// directory and no extension a YAML file has.
func looksLikeZone(name string) bool {
	if strings.ContainsAny(name, `/\`) {
		return false
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json", ".txt":
		return false
	}
	_, ok := dns.IsDomainName(name)
	return ok && strings.Contains(name, ".")
}

// Validate checks every zone; prefix is the key path of the list itself
// ("" for a zones file, "probe.zones" in the configuration file), so that
// config.Load can turn a problem into a file, line and column.
func (zs Zones) Validate(prefix string) error {
	for i := range zs {
		if err := zs[i].Validate(fmt.Sprintf("%s[%d].", prefix, i)); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the zone and prepares its error prefixes; prefix is the
// key path of the zone with a final dot ("[2].").
func (z *Zone) Validate(prefix string) error {
	z.Zone = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(z.Zone)), ".")
	if _, ok := dns.IsDomainName(z.Zone); !ok || z.Zone == "" || !strings.Contains(z.Zone, ".") || strings.ContainsAny(z.Zone, " /:@") {
		return config.Errorf(prefix+"zone", "%q is not a blocklist zone name (such as zen.spamhaus.org)", z.Zone)
	}
	switch z.Kind {
	case ZoneIP, ZoneDomain, ZoneURI:
	case "":
		z.Kind = ZoneIP
	default:
		return config.Errorf(prefix+"kind", "kind %q is not one of ip, domain, uri", z.Kind)
	}
	if !z.TakesIPv4() {
		switch {
		case z.Kind != ZoneIP:
			return config.Errorf(prefix+"ipv4", "ipv4: false applies to lists of IP addresses (kind: ip), and this list is kind %s: remove it", z.Kind)
		case !z.IPv6:
			return config.Errorf(prefix+"ipv4", "ipv4: false without ipv6: true leaves the list no address to check: add ipv6: true for a list of IPv6 addresses only, or remove ipv4: false")
		}
	}
	if z.Delist != "" {
		if u, err := url.Parse(z.Delist); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return config.Errorf(prefix+"delist", "%q is not an http or https URL (the page where the list takes delisting requests)", z.Delist)
		}
	}
	codes := make([]string, 0, len(z.Codes))
	for code := range z.Codes {
		codes = append(codes, code)
	}
	sort.Strings(codes) // a map has no order: the same file gives the same error
	for _, code := range codes {
		if a, err := netip.ParseAddr(code); err != nil || !a.Is4() {
			return config.Errorf(fmt.Sprintf("%scodes.'%s'", prefix, code), "code %q is not an IPv4 address such as 127.0.0.2", code)
		}
	}
	z.errs = z.errs[:0]
	for i, e := range z.Errors {
		p, err := parsePrefix(e)
		if err != nil {
			return config.Errorf(fmt.Sprintf("%serrors[%d]", prefix, i), "%q is not an address or prefix such as 127.255.255.0/24", e)
		}
		z.errs = append(z.errs, p)
	}
	for _, t := range []struct{ key, value string }{{"test_listed", z.TestListed}, {"test_unlisted", z.TestUnlisted}} {
		if t.value == "" {
			continue
		}
		if err := z.testPoint(t.value); err != nil {
			return config.Errorf(prefix+t.key, "%v", err)
		}
	}
	return nil
}

// TakesIPv4 reports whether the list is asked about IPv4 addresses: all
// but an IPv6-only list (ipv4: false).
func (z *Zone) TakesIPv4() bool { return z.IPv4 == nil || *z.IPv4 }

// testPoint checks a health-check name: an IP address for an IP list (an
// IPv6 one for a list of IPv6 addresses only), a domain name otherwise
// (RFC 5782 5).
func (z *Zone) testPoint(s string) error {
	if z.Kind == ZoneIP {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("%q is not an IP address such as 127.0.0.2, which an IP list's test point must be", s)
		}
		if a.Is4() && !z.TakesIPv4() {
			return fmt.Errorf("%q is an IPv4 address, and the list is not asked about IPv4 addresses (ipv4: false): give an IPv6 test point, such as ::ffff:127.0.0.2 (listed) or ::ffff:127.0.0.1 (not listed)", s)
		}
		return nil
	}
	if _, ok := dns.IsDomainName(s); !ok || strings.ContainsAny(s, " /:@") {
		return fmt.Errorf("%q is not a domain name such as test, which a domain list's test point must be", s)
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
