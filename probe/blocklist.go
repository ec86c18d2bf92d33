package probe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"

	"github.com/relaylab/relaylab/internal/resolver"
)

// ListingStatus is the tri-state result of one blocklist query.
type ListingStatus string

// Listing states. Unknown is never clean.
const (
	Listed    ListingStatus = "listed"
	NotListed ListingStatus = "not-listed"
	Unknown   ListingStatus = "unknown"
)

// Listing is what one zone says about one IP or domain.
type Listing struct {
	Zone    string        `json:"zone"`
	Subject string        `json:"subject"` // the IP or domain checked
	Query   string        `json:"query"`   // the name asked
	Status  ListingStatus `json:"status"`
	Codes   []string      `json:"codes"`            // returned addresses ([] when none)
	Meaning []string      `json:"meaning"`          // what the codes mean ([] when none)
	Reason  string        `json:"reason,omitempty"` // the list's TXT record
	// DelistURL is where to ask for delisting, when listed: the zone's
	// delist, or the first URL of Reason.
	DelistURL string `json:"delist_url,omitempty"`
	Server    string `json:"server,omitempty"` // the DNS server that answered
	Error     string `json:"error,omitempty"`  // why the status is unknown
}

// ZoneHealth is the RFC 5782 section 5 test of a zone.
type ZoneHealth struct {
	Zone    string `json:"zone"`
	Healthy bool   `json:"healthy"`
	Detail  string `json:"detail,omitempty"`
	// IPv6Detail, for a zone that answers IPv6 queries, says which of
	// its IPv6 test points failed (::ffff:127.0.0.2 listed,
	// ::ffff:127.0.0.1 not); "" when they passed or were not tested. Its
	// answers for IPv6 addresses are then unknown, those for IPv4 ones
	// still count.
	IPv6Detail string `json:"ipv6_detail,omitempty"`
}

// Health maps zone names to their health; a zone missing from it is
// considered healthy (not tested).
type Health map[string]ZoneHealth

// CheckHealth tests every zone, concurrently: an IP list must list
// 127.0.0.2 and must not list 127.0.0.1; a domain list must list TEST and
// must not list INVALID (RFC 5782 5).
func CheckHealth(ctx context.Context, r resolver.Resolver, log *slog.Logger, zones []Zone) Health {
	h := Health{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range zones {
		wg.Add(1)
		go func(z *Zone) {
			defer wg.Done()
			zh := checkZoneHealth(ctx, r, z)
			if !zh.Healthy {
				log.Warn("blocklist zone failed its health check", "zone", z.Zone, "detail", zh.Detail)
			} else if zh.IPv6Detail != "" {
				log.Warn("blocklist zone failed its health check for IPv6 addresses", "zone", z.Zone, "detail", zh.IPv6Detail)
			}
			mu.Lock()
			h[z.Zone] = zh
			mu.Unlock()
		}(&zones[i])
	}
	wg.Wait()
	return h
}

// zonesFor returns the zones of a run that are asked about anything,
// so that only those are health-checked: an IP list that takes an
// address of one of ips, domain and URI lists when a domain is checked.
func zonesFor(zones []Zone, ips []netip.Addr, domain bool) []Zone {
	var out []Zone
	for i := range zones {
		z := &zones[i]
		use := domain && (z.Kind == ZoneDomain || z.Kind == ZoneURI)
		for _, ip := range ips {
			use = use || z.asksAbout(ip.Unmap())
		}
		if use {
			out = append(out, *z)
		}
	}
	return out
}

func checkZoneHealth(ctx context.Context, r resolver.Resolver, z *Zone) ZoneHealth {
	listed, unlisted := z.TestListed, z.TestUnlisted
	switch {
	case z.Kind == ZoneIP && !z.TakesIPv4():
		// RFC 5782 5: an IPv6 list's test points, asked in nibble form.
		if listed == "" {
			listed = "::ffff:127.0.0.2"
		}
		if unlisted == "" {
			unlisted = "::ffff:127.0.0.1"
		}
	case z.Kind == ZoneIP:
		if listed == "" {
			listed = "127.0.0.2"
		}
		if unlisted == "" {
			unlisted = "127.0.0.1"
		}
	default:
		if listed == "" {
			listed = "test"
		}
		if unlisted == "" {
			unlisted = "invalid"
		}
	}
	l := z.query(ctx, r, listed, false)
	if l.Status != Listed {
		return ZoneHealth{Zone: z.Zone, Detail: fmt.Sprintf("test point %s should be listed but %s", l.Query, l.state())}
	}
	u := z.query(ctx, r, unlisted, false)
	if u.Status != NotListed {
		return ZoneHealth{Zone: z.Zone, Detail: fmt.Sprintf("test point %s should not be listed but %s", u.Query, u.state())}
	}
	zh := ZoneHealth{Zone: z.Zone, Healthy: true}
	if z.Kind == ZoneIP && z.IPv6 && isIPv4(listed) && isIPv4(unlisted) {
		// RFC 5782 5: an IPv6 list has test points of its own, asked
		// in nibble form; a list that does not answer IPv6 queries
		// would otherwise call every IPv6 address clean.
		zh.IPv6Detail = testPoints(ctx, r, z, "::ffff:"+listed, "::ffff:"+unlisted)
	}
	return zh
}

// testPoints asks z about a name it must list and one it must not, and
// says which failed; "" when both passed.
func testPoints(ctx context.Context, r resolver.Resolver, z *Zone, listed, unlisted string) string {
	if l := z.query(ctx, r, listed, false); l.Status != Listed {
		return fmt.Sprintf("test point %s (%s) should be listed but %s", l.Query, listed, l.state())
	}
	if u := z.query(ctx, r, unlisted, false); u.Status != NotListed {
		return fmt.Sprintf("test point %s (%s) should not be listed but %s", u.Query, unlisted, u.state())
	}
	return ""
}

func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

// state says in words what a query found: "is listed (127.0.0.2)", "is
// not listed", "could not be checked: WHY".
func (l Listing) state() string {
	switch l.Status {
	case Listed:
		return "is listed (" + strings.Join(l.Codes, ", ") + ")"
	case NotListed:
		return "is not listed"
	}
	if l.Error == "" {
		return "could not be checked"
	}
	return "could not be checked: " + l.Error
}

// queryName returns the name to ask zone about subject: reversed octets for
// IPv4, reversed nibbles for IPv6 (RFC 5782 2.1, 2.4), the name itself for
// domains (RFC 5782 2.3).
func (z *Zone) queryName(subject string) (string, error) {
	if z.Kind != ZoneIP {
		d := strings.TrimSuffix(strings.ToLower(subject), ".")
		if _, ok := dns.IsDomainName(d); !ok || d == "" {
			return "", fmt.Errorf("%q is not a domain name", subject)
		}
		return d + "." + z.Zone + ".", nil
	}
	a, err := netip.ParseAddr(subject)
	if err != nil {
		return "", fmt.Errorf("%q is not an IP address", subject)
	}
	if a.Is6() && !z.IPv6 {
		return "", errNoIPv6
	}
	return reverseLabels(a) + z.Zone + ".", nil
}

// reverseLabels returns "2.0.0.127." for 127.0.0.2 (RFC 5782 2.1) and the
// 32 reversed nibbles for an IPv6 address (RFC 5782 2.4), including an
// IPv4-mapped one such as ::ffff:127.0.0.2, the IPv6 test point.
func reverseLabels(a netip.Addr) string {
	var b strings.Builder
	if a.Is4() {
		v := a.As4()
		fmt.Fprintf(&b, "%d.%d.%d.%d.", v[3], v[2], v[1], v[0])
		return b.String()
	}
	v := a.As16()
	const hex = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[v[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[v[i]>>4])
		b.WriteByte('.')
	}
	return b.String()
}

var errNoIPv6 = errors.New("the zone does not list IPv6 addresses")

// query asks the zone about subject. unhealthy makes every answer unknown.
func (z *Zone) query(ctx context.Context, r resolver.Resolver, subject string, withReason bool) Listing {
	l := Listing{Zone: z.Zone, Subject: subject}
	name, err := z.queryName(subject)
	if err != nil {
		l.Status, l.Error = Unknown, err.Error()
		return l
	}
	l.Query = name
	ips, err := r.LookupIP(ctx, name, dns.TypeA)
	l.Server = ips.Server
	switch {
	case resolver.IsNotFound(err):
		l.Status = NotListed
		return l
	case err != nil:
		l.Status, l.Error = Unknown, err.Error()
		return l
	case len(ips.IPs) == 0:
		// NOERROR without an address: the name exists (perhaps a TXT
		// only) but is not listed.
		l.Status = NotListed
		return l
	}
	addrs := append([]netip.Addr(nil), ips.IPs...)
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
	for _, a := range addrs {
		l.Codes = append(l.Codes, a.String())
		if bad, why := z.isError(a); bad {
			l.Status, l.Error = Unknown, why
			continue
		}
		l.Meaning = append(l.Meaning, z.meaning(a))
	}
	if l.Status == Unknown {
		l.Meaning = nil
		return l
	}
	l.Status = Listed
	if withReason {
		if t, err := r.LookupTXT(ctx, name); err == nil {
			l.Reason = strings.Join(t.Joined(), " ")
		}
		l.DelistURL = cmp.Or(z.Delist, firstURL(l.Reason))
	}
	return l
}

// urlInText finds an http or https URL in a list's TXT record, up to a
// space or a quote.
var urlInText = regexp.MustCompile(`https?://[^\s"'<>]+`)

// firstURL returns the first http or https URL of s without the
// punctuation that ends a sentence, or "".
func firstURL(s string) string {
	return strings.TrimRight(urlInText.FindString(s), ".,;:)]")
}

// CheckIP asks every IP zone (and IPv6-capable ones for IPv6 addresses)
// about ip, concurrently. Zones unhealthy in h give Unknown.
func CheckIP(ctx context.Context, r resolver.Resolver, log *slog.Logger, zones []Zone, h Health, ip netip.Addr) []Listing {
	return checkAll(ctx, r, log, zones, h, ip.Unmap().String(), func(z *Zone) bool { return z.asksAbout(ip) })
}

// asksAbout reports whether z is an IP list that is asked about ip: an
// IPv4 address unless the list holds IPv6 addresses only (ipv4: false),
// an IPv6 address when it answers IPv6 queries (ipv6: true).
func (z *Zone) asksAbout(ip netip.Addr) bool {
	if z.Kind != ZoneIP {
		return false
	}
	if ip.Unmap().Is4() {
		return z.TakesIPv4()
	}
	return z.IPv6
}

// CheckDomain asks every domain and URI zone about domain. URI lists are
// asked about the registered domain (example.co.uk for www.example.co.uk).
func CheckDomain(ctx context.Context, r resolver.Resolver, log *slog.Logger, zones []Zone, h Health, domain string) []Listing {
	out := checkAll(ctx, r, log, zones, h, domain, func(z *Zone) bool { return z.Kind == ZoneDomain })
	org := domain
	if o, err := publicsuffix.EffectiveTLDPlusOne(strings.TrimSuffix(domain, ".")); err == nil {
		org = o
	}
	return append(out, checkAll(ctx, r, log, zones, h, org, func(z *Zone) bool { return z.Kind == ZoneURI })...)
}

func checkAll(ctx context.Context, r resolver.Resolver, log *slog.Logger, zones []Zone, h Health, subject string, use func(*Zone) bool) []Listing {
	var picked []*Zone
	for i := range zones {
		if use(&zones[i]) {
			picked = append(picked, &zones[i])
		}
	}
	out := make([]Listing, len(picked))
	var wg sync.WaitGroup
	for i, z := range picked {
		if zh, ok := h[z.Zone]; ok && !zh.Healthy {
			out[i] = Listing{Zone: z.Zone, Subject: subject, Status: Unknown,
				Error: "the zone failed its RFC 5782 health check: " + zh.Detail}
			continue
		}
		if zh, ok := h[z.Zone]; ok && zh.IPv6Detail != "" && z.Kind == ZoneIP && !isIPv4(subject) {
			out[i] = Listing{Zone: z.Zone, Subject: subject, Status: Unknown,
				Error: "the zone failed its RFC 5782 health check for IPv6 addresses, so its IPv6 answers cannot be trusted (it may not list IPv6 addresses at all; if so, set ipv6: false for it): " + zh.IPv6Detail}
			continue
		}
		wg.Add(1)
		go func(i int, z *Zone) {
			defer wg.Done()
			out[i] = z.query(ctx, r, subject, true)
			log.Debug("blocklist", "zone", z.Zone, "subject", subject, "status", out[i].Status)
		}(i, z)
	}
	wg.Wait()
	return out
}

// listingRFC is the section that defines a list of subject's kind: IPv4
// addresses (RFC 5782 2.1), IPv6 addresses (2.4), domain names (2.3).
func listingRFC(subject string) string {
	switch a, err := netip.ParseAddr(subject); {
	case err != nil:
		return "RFC 5782 2.3"
	case a.Is4():
		return "RFC 5782 2.1"
	}
	return "RFC 5782 2.4"
}

// ListingFindings turns listings into report findings. The blocklists
// that a server of zone files refused, since none of its files holds
// them (relaylab probe --zone with the built-in lists), are one finding,
// not one per list.
func ListingFindings(ls []Listing) ([]Finding, Status) {
	f := &findings{check: "blocklist"}
	var refused []Listing
	for _, l := range ls {
		if l.Status == Unknown && strings.Contains(l.Error, notServedPhrase) {
			refused = append(refused, l)
		}
	}
	if len(refused) < 2 {
		refused = nil
	}
	for _, l := range ls {
		if len(refused) > 0 && l.Status == Unknown && strings.Contains(l.Error, notServedPhrase) {
			continue
		}
		switch l.Status {
		case Listed:
			msg := fmt.Sprintf("%s is listed on %s: %s", l.Subject, l.Zone, strings.Join(l.Meaning, "; "))
			if l.Reason != "" {
				msg += " (" + l.Reason + ")"
			}
			delist := "follow the list's delisting procedure"
			if l.DelistURL != "" {
				delist = "ask for delisting at " + l.DelistURL
			}
			f.add(SevError, "listed", l.Query, strings.Join(l.Codes, ","), listingRFC(l.Subject), "%s; receivers that use this list will refuse or junk the mail: fix the cause, then %s", msg, delist)
		case Unknown:
			f.unknown = true
			// A zone that failed its health check is never queried:
			// then the zone is what the finding concerns.
			at := l.Query
			if at == "" {
				at = l.Zone
			}
			f.add(SevWarning, "unknown", at, strings.Join(l.Codes, ","), "RFC 5782 5", "could not tell whether %s is listed on %s: %s", l.Subject, l.Zone, l.Error)
		}
	}
	if len(refused) > 0 {
		notServed(f, refused)
	}
	return f.list, f.status()
}

// notServed says, once, that the blocklists of ls were refused by a
// server of zone files that holds none of them.
func notServed(f *findings, ls []Listing) {
	f.unknown = true
	var zones, subjects []string
	for _, l := range ls {
		if !slices.Contains(zones, l.Zone) {
			zones = append(zones, l.Zone)
		}
		if !slices.Contains(subjects, l.Subject) {
			subjects = append(subjects, l.Subject)
		}
	}
	served := ""
	if _, after, ok := strings.Cut(ls[0].Error, notServedPhrase); ok {
		served = " " + strings.TrimSpace(after)
	}
	f.add(SevWarning, "unknown", strings.Join(zones, ", "), "", "RFC 5782 5",
		"could not tell whether %s is listed on %d blocklists (%s): they are in none of the zone files served%s, so the server refused every query about them; with zone files (relaylab probe --zone), give blocklist zones they serve with --zones (probe.zones for the watchlist), such as testdata/probe/zones.yaml with testdata/dns, or leave the blocklists out with --no-blocklists",
		strings.Join(subjects, " and "), len(zones), strings.Join(zones, ", "), served)
}
