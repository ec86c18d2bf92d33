package probe

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// The address ranges an SPF policy authorises with its ip4 and ip6 terms
// (RFC 7208 5.6): ranges that together cover every address are a pass for
// everyone, as "+all" is; a single range wider than any one network is a
// mistake or a copy of a test record; a private range authorises nothing
// on the internet.

// Terms wider than these prefix lengths are flagged: wider than the blocks
// IANA allocates to a whole regional internet registry (a /8 of IPv4, a
// /12 of IPv6), which no single sender's network spans. The largest mail
// providers publish ranges of /14 to /16 for IPv4 and /32 or longer for
// IPv6.
const (
	spfWidest4 = 8
	spfWidest6 = 12
)

// spfAddrTerms says how a record lists its senders' addresses.
const spfAddrTerms = "(ip4:ADDRESS, or ip4:NETWORK/LENGTH for a block of them, and ip6: likewise)"

// spfRange is an ip4 or ip6 term that gives pass, and where it is.
type spfRange struct {
	prefix netip.Prefix
	term   string // as written
	in     string // the domain whose record has it
	// own: in the domain's own record, or one its redirects lead to,
	// rather than in a record it includes; top, when not own, is the
	// include of those records that leads to it.
	own bool
	top string
}

// where says in which record r is: "" for the record checked itself.
func (r spfRange) where(root string) string {
	if r.in == root {
		return ""
	}
	return " (in the record of " + r.in + ")"
}

// passRanges collects the ip4 and ip6 terms that give pass in the policy
// from n: those of its record before its "all", those of the records its
// "+include" terms name (an include matches when its record gives pass),
// and those of the record its redirect leads to when it has no "all".
func passRanges(n *SPFNode, top string, depth int, seen map[*SPFNode]bool) []spfRange {
	if n == nil || n.Record == "" || depth > spfMaxDepth || seen[n] {
		return nil
	}
	seen[n] = true
	pass, _, redirect, ok := passTerms(n)
	if !ok {
		return nil
	}
	var out []spfRange
	for _, t := range pass {
		switch t.Name {
		case "ip4", "ip6":
			if p, ok := termPrefix(t); ok {
				out = append(out, spfRange{prefix: p, term: t.String(), in: n.Domain, own: top == "", top: top})
			}
		case "include":
			via := top
			if via == "" {
				via = t.String()
			}
			out = append(out, passRanges(childFor(n, "include", t.Value), via, depth+1, seen)...)
		}
	}
	if redirect != "" {
		out = append(out, passRanges(childFor(n, "redirect", redirect), top, depth+1, seen)...)
	}
	return out
}

// termPrefix is the range an ip4 or ip6 term matches: its address with
// its prefix length, the whole address without one.
func termPrefix(t SPFTerm) (netip.Prefix, bool) {
	a, err := netip.ParseAddr(t.Value)
	if err != nil {
		return netip.Prefix{}, false
	}
	bits := t.CIDR4
	if t.Name == "ip6" {
		bits = t.CIDR6
	}
	if bits < 0 {
		bits = a.BitLen()
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}

// coverAll returns the ranges of one family (4 or 6) when together they
// cover every address of it, nil otherwise.
func coverAll(rs []spfRange, family int) []spfRange {
	var mine []spfRange
	for _, r := range rs {
		if r.prefix.Addr().Is4() == (family == 4) {
			mine = append(mine, r)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	sorted := slices.Clone(mine)
	slices.SortFunc(sorted, func(a, b spfRange) int { return a.prefix.Addr().Compare(b.prefix.Addr()) })
	next := netip.IPv4Unspecified()
	if family == 6 {
		next = netip.IPv6Unspecified()
	}
	for _, r := range sorted {
		if r.prefix.Addr().Compare(next) > 0 {
			return nil // a gap before this range
		}
		last := lastAddr(r.prefix)
		if !last.Next().IsValid() {
			return mine // reaches the last address of the family
		}
		if last.Compare(next) >= 0 {
			next = last.Next()
		}
	}
	return nil
}

// lastAddr is the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// privateRanges are the ranges of private use (RFC 1918 for IPv4, unique
// local addresses of RFC 4193 for IPv6), which are not routed on the
// internet.
var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
}

// privateRange is the private range that holds p, if any.
func privateRange(p netip.Prefix) (netip.Prefix, bool) {
	for _, r := range privateRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return r, true
		}
	}
	return netip.Prefix{}, false
}

// publicDomain reports whether domain is under a public suffix, so that
// mail from it crosses the internet: not a name of a special-use or
// private TLD (.test, .internal, .lan), which only internal DNS answers.
func publicDomain(domain string) bool {
	suffix, icann := publicsuffix.PublicSuffix(strings.TrimSuffix(strings.ToLower(domain), "."))
	return icann || strings.Contains(suffix, ".")
}

// checkRanges reports the ip4 and ip6 terms of the policy of root that
// give pass to too many addresses: together every address of a family
// (spf.pass-all, as "+all"), or one term wider than spfWidest4 or
// spfWidest6 (spf.wide-range); and, for a public domain, the private
// ranges of its own records (spf.private-range). It reports whether it
// found a pass for everyone.
func (w *spfWalker) checkRanges(root *SPFNode) bool {
	rs := passRanges(root, "", 0, map[*SPFNode]bool{})
	for _, fam := range []int{4, 6} {
		all := coverAll(rs, fam)
		if all == nil {
			continue
		}
		terms := make([]string, len(all))
		for i, r := range all {
			terms[i] = r.term + r.where(root.Domain)
		}
		w.f.add(SevError, "pass-all", root.Domain, root.Record, "RFC 7208 5.1",
			"the policy gives pass to every host on the internet: its terms %s together cover every IPv%d address, so anyone can send mail as %s and pass SPF, as with \"+all\": %s",
			strings.Join(terms, ", "), fam, root.Domain, rangeFix(all, root.Domain))
		return true
	}
	for _, r := range rs {
		widest := spfWidest4
		if !r.prefix.Addr().Is4() {
			widest = spfWidest6
		}
		if r.prefix.Bits() < widest {
			w.f.add(SevError, "wide-range", r.in, root.Record, "RFC 7208 5.6",
				"%s%s gives pass to %s, wider than the /%d that IANA allocates to a whole regional internet registry, which no single sender's network spans: every host in it can send mail as %s and pass SPF; %s",
				r.term, r.where(root.Domain), share(r.prefix), widest, root.Domain, rangeFix([]spfRange{r}, root.Domain))
		}
	}
	if !publicDomain(root.Domain) {
		return false
	}
	for _, r := range rs {
		priv, ok := privateRange(r.prefix)
		if !ok || !r.own {
			continue
		}
		w.f.add(SevWarning, "private-range", r.in, root.Record, "RFC 7208 5.6",
			"%s%s is in the private range %s, which is not routed on the internet, so no mail that receivers get comes from it and the term authorises nothing (it is usually copied from an internal server's configuration): remove it, and list the public addresses your mail leaves from",
			r.term, r.where(root.Domain), priv)
	}
	return false
}

// share says how much of its family p covers: "half of all IPv4
// addresses", "1/64 of all IPv4 addresses (67108864 addresses)".
func share(p netip.Prefix) string {
	fam := "IPv4"
	if !p.Addr().Is4() {
		fam = "IPv6"
	}
	switch p.Bits() {
	case 0:
		return "every " + fam + " address"
	case 1:
		return "half of all " + fam + " addresses"
	}
	s := fmt.Sprintf("1/%d of all %s addresses", uint64(1)<<p.Bits(), fam)
	if p.Addr().Is4() {
		s += fmt.Sprintf(" (%d addresses)", uint64(1)<<(32-p.Bits()))
	}
	return s
}

// rangeFix says what to do about the ranges rs of the policy of domain:
// replace a term of its own records with the addresses that send; ask
// the owner of an included record to, or drop the include.
func rangeFix(rs []spfRange, domain string) string {
	var own, other []string
	for _, r := range rs {
		if r.own {
			own = append(own, r.term)
		} else if !slices.Contains(other, r.top) {
			other = append(other, r.top)
		}
	}
	var fix []string
	if len(own) > 0 {
		fix = append(fix, fmt.Sprintf("replace %s with the addresses of the servers that send as %s %s", strings.Join(own, " and "), domain, spfAddrTerms))
	}
	if len(other) > 0 {
		fix = append(fix, fmt.Sprintf("remove %s, or have the owner of the record it leads to list only its senders' addresses", strings.Join(other, " and ")))
	}
	return strings.Join(fix, "; ")
}
