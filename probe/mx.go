package probe

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/resolver"
)

// MXHost is one mail exchanger and its addresses.
type MXHost struct {
	Host  string       `json:"host"`
	Pref  uint16       `json:"pref"`
	CNAME string       `json:"cname,omitempty"`
	IPs   []netip.Addr `json:"ips,omitempty"`
}

// MXReport is the result of CheckMX.
type MXReport struct {
	Domain   string    `json:"domain"`
	Hosts    []MXHost  `json:"hosts"`
	NullMX   bool      `json:"null_mx"`
	Status   Status    `json:"status"`
	Findings []Finding `json:"findings"`
}

// addrs returns the A and AAAA addresses of host; notFound is true when
// neither lookup failed and there are none.
func addrs(ctx context.Context, r resolver.Resolver, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		ips, err := r.LookupIP(ctx, host, qt)
		if err != nil && !resolver.IsNotFound(err) {
			return out, err
		}
		out = append(out, ips.IPs...)
	}
	return out, nil
}

// CheckMX checks the mail exchangers of domain (RFC 5321 5.1, RFC 7505).
func CheckMX(ctx context.Context, r resolver.Resolver, log *slog.Logger, domain string) MXReport {
	f := &findings{check: "mx"}
	rep := MXReport{Domain: domain}
	mx, err := r.LookupMX(ctx, domain)
	switch {
	case resolver.IsNotFound(err):
		f.add(SevError, "nxdomain", domain, "", "RFC 5321 5.1", "%s does not exist in DNS: mail to it bounces and receivers reject mail from it", domain)
	case err != nil:
		f.dnsFailed(domain, err)
	case len(mx.MX) == 0:
		ips, err := addrs(ctx, r, domain)
		switch {
		case err != nil:
			f.dnsFailed(domain, err)
		case len(ips) == 0:
			f.add(SevError, "none", domain, "", "RFC 5321 5.1", "%s has no MX and no address, so it cannot receive mail: bounces and replies to it fail, and receivers may refuse mail that gives it as the sender's domain; publish an MX record naming a server that takes its mail, bounces included; only if %s sends no mail either, publish a null MX (\"0 .\", RFC 7505) with \"v=spf1 -all\" instead (a domain that sends mail must not have a null MX: receivers refuse its mail, RFC 7505 4.2)", domain, domain)
		default:
			f.add(SevWarning, "implicit", domain, "", "RFC 5321 5.1", "%s has no MX, so mail to it goes to its address %s (the implicit MX), which many senders treat as a sign of a misconfigured domain: publish an MX record naming your mail server, or, only if %s neither sends nor receives mail, a null MX (\"0 .\", RFC 7505: receivers refuse mail from a domain that has one)", domain, ips[0], domain)
		}
	default:
		checkMXHosts(ctx, r, f, &rep, mx.MX)
	}
	rep.Findings, rep.Status = f.list, f.status()
	log.Debug("mx checked", "domain", domain, "status", rep.Status)
	return rep
}

func checkMXHosts(ctx context.Context, r resolver.Resolver, f *findings, rep *MXReport, mxs []resolver.MX) {
	slices.SortStableFunc(mxs, func(a, b resolver.MX) int { return int(a.Pref) - int(b.Pref) })
	for _, m := range mxs {
		if m.Host == "" {
			rep.NullMX = true
		}
	}
	if rep.NullMX && checkNullMX(f, rep.Domain, mxs) {
		return
	}
	for _, m := range mxs {
		if m.Host == "" {
			continue
		}
		h := MXHost{Host: m.Host, Pref: m.Pref}
		rec := m.Host
		if isAddrLiteral(m.Host) {
			f.add(SevError, "ip-literal", rep.Domain, rec, "RFC 5321 5.1",
				"MX %s is an IP address, not a host name: senders look it up as a name and fail; point the MX at a name with an A record", m.Host)
			rep.Hosts = append(rep.Hosts, h)
			continue
		}
		if cn, err := r.LookupCNAME(ctx, m.Host); err == nil && cn.Target != "" {
			h.CNAME = cn.Target
			f.add(SevWarning, "cname", m.Host, rec, "RFC 2181 10.3", "MX %s is an alias of %s; MX targets must not be aliases, and some senders refuse them: point the MX at %s directly", m.Host, cn.Target, cn.Target)
		}
		ips, err := addrs(ctx, r, m.Host)
		h.IPs = ips
		switch {
		case err != nil:
			f.dnsFailed(m.Host, err)
		case len(ips) == 0:
			f.add(SevError, "no-address", m.Host, rec, "RFC 5321 5.1", "MX %s has no A or AAAA record, so mail cannot be delivered to it: publish an address for %s, or point the MX at a host that has one", m.Host, m.Host)
		}
		rep.Hosts = append(rep.Hosts, h)
	}
	noIPv4(f, rep)
	unroutableMX(f, rep)
	// Show the order senders try, as a fact worth seeing even when all is
	// well (RFC 5321 5.1: lowest preference first).
	var list []string
	for _, h := range rep.Hosts {
		a := "no address"
		if len(h.IPs) > 0 {
			var ss []string
			for _, ip := range h.IPs {
				ss = append(ss, ip.String())
			}
			a = strings.Join(ss, " ")
		}
		list = append(list, fmt.Sprintf("%d %s (%s)", h.Pref, h.Host, a))
	}
	if len(list) > 0 {
		f.add(SevInfo, "hosts", rep.Domain, "", "RFC 5321 5.1", "mail for %s goes to, in order of preference: %s", rep.Domain, strings.Join(list, ", "))
	}
}

// noIPv4 reports MX hosts that have addresses, none of them IPv4: senders
// that deliver over IPv4 only, still many, find no host to connect to and
// bounce the mail once their retries run out.
func noIPv4(f *findings, rep *MXReport) {
	var hosts []string
	for _, h := range rep.Hosts {
		for _, ip := range h.IPs {
			if ip.Unmap().Is4() {
				return
			}
		}
		if len(h.IPs) > 0 {
			hosts = append(hosts, h.Host)
		}
	}
	if len(hosts) == 0 || f.unknown {
		return
	}
	f.add(SevWarning, "no-ipv4", rep.Domain, "", "RFC 5321 5.1",
		"none of the MX hosts of %s (%s) has an IPv4 address, so senders that deliver over IPv4 only cannot reach them and bounce the mail once their retries run out: publish an A record for at least one MX host", rep.Domain, strings.Join(hosts, ", "))
}

// checkNullMX judges a null MX (RFC 7505 3): the only MX record of the
// domain, with preference 0. It reports whether the null MX is all there
// is, so that no host is left to check.
func checkNullMX(f *findings, domain string, mxs []resolver.MX) bool {
	var all, others []string
	pref := uint16(0)
	for _, m := range mxs {
		if m.Host == "" {
			pref = m.Pref
			all = append(all, fmt.Sprintf("MX %d .", m.Pref))
			continue
		}
		all = append(all, fmt.Sprintf("MX %d %s", m.Pref, m.Host))
		others = append(others, fmt.Sprintf("%d %s", m.Pref, m.Host))
	}
	rec := strings.Join(all, " | ")
	switch {
	case len(mxs) > 1:
		keep := "\"" + strings.Join(others, "\", \"") + "\""
		f.add(SevError, "null-mixed", domain, rec, "RFC 7505 3",
			"%s publishes a null MX (\"%d .\") beside other MX records (%s), but a null MX must be the only MX record of a domain, and senders disagree on what the mix means: some deliver to the other hosts, some bounce at once; to receive mail, remove the null MX and keep %s; to receive none, remove the others and publish only \"0 .\"",
			domain, pref, strings.Join(others, ", "), keep)
		return false
	case pref != 0:
		f.add(SevError, "null-preference", domain, rec, "RFC 7505 3",
			"%s publishes \"%d .\", but a null MX has preference 0: senders that do not take this one for a null MX look for a mail server named \".\" and retry for days before they bounce, instead of refusing the mail at once; publish %q instead (as the only MX record)",
			domain, pref, nullMX)
		f.proposes(domain, "MX", nullMX)
	default:
		f.add(SevInfo, "null", domain, rec, "RFC 7505 3", "%s publishes a null MX: it accepts no mail", domain)
	}
	return true
}

// nullMX is the value of a null MX record (RFC 7505 3): preference 0,
// host ".".
const nullMX = "0 ."

// addrType is the DNS type of ip's address records: A or AAAA.
func addrType(ip netip.Addr) string {
	if ip.Unmap().Is4() {
		return "A"
	}
	return "AAAA"
}

// PTRReport is the reverse DNS of one sending IP.
type PTRReport struct {
	IP        string    `json:"ip"`
	Names     []string  `json:"names"`
	Confirmed []string  `json:"confirmed"` // names that resolve back to IP
	Helo      string    `json:"helo,omitempty"`
	Status    Status    `json:"status"`
	Findings  []Finding `json:"findings"`
}

// CheckPTR checks the reverse DNS of ip, forward-confirms it (iprev, RFC
// 8601 3) and compares it with helo when given.
func CheckPTR(ctx context.Context, r resolver.Resolver, log *slog.Logger, ip netip.Addr, helo string) PTRReport {
	f := &findings{check: "ptr"}
	ip = ip.Unmap()
	rep := PTRReport{IP: ip.String(), Helo: helo}
	rev := resolver.ReverseName(ip)
	names, err := r.LookupPTR(ctx, ip)
	switch {
	case err != nil && !resolver.IsNotFound(err):
		f.dnsFailed(rev, err)
	case len(names.Names) == 0:
		f.add(SevError, "none", rev, "", "RFC 8601 3", "%s has no PTR record: Gmail, Yahoo and many others reject or junk mail from IPs without reverse DNS; ask the IP's owner to set one", ip)
	default:
		rep.Names = names.Names
		// RFC 8601 3: each name's records of the address's own type (A
		// for IPv4, AAAA for IPv6) are compared; the other type plays no
		// part, and its failure leaves the answer known.
		qtype := dns.TypeAAAA
		if ip.Is4() {
			qtype = dns.TypeA
		}
		for _, n := range names.Names {
			ips, err := r.LookupIP(ctx, n, qtype)
			if err != nil && !resolver.IsNotFound(err) {
				f.dnsFailed(n, err)
				continue
			}
			if slices.Contains(ips.IPs, ip) {
				rep.Confirmed = append(rep.Confirmed, n)
			}
		}
		if len(rep.Confirmed) == 0 && !f.unknown {
			f.add(SevError, "not-confirmed", rev, strings.Join(names.Names, " "), "RFC 8601 3",
				"the PTR of %s (%s) does not resolve back to %s: forward-confirmed reverse DNS fails, and receivers that require it (Gmail, Yahoo) reject or junk the mail; publish an %s record of %s for %s, or point the PTR at a name that has one",
				ip, strings.Join(names.Names, ", "), ip, dns.TypeToString[qtype], ip, names.Names[0])
			f.proposes(names.Names[0], dns.TypeToString[qtype], ip.String())
		}
		if len(names.Names) > 1 {
			multiplePTR(f, rev, ip, names.Names, rep.Confirmed, helo)
		}
		if len(rep.Confirmed) > 0 {
			// A fact, so that an ok check still shows what it found.
			f.add(SevInfo, "names", rev, strings.Join(names.Names, " "), "RFC 8601 3", "%s", ptrNames(ip, names.Names, rep.Confirmed))
		}
	}
	if helo != "" && len(rep.Names) > 0 {
		h := strings.ToLower(strings.TrimSuffix(helo, "."))
		match := false
		for _, n := range rep.Names {
			if strings.EqualFold(n, h) {
				match = true
			}
		}
		if !match {
			f.add(SevWarning, "helo-mismatch", rev, strings.Join(rep.Names, " "), "RFC 5321 4.1.4",
				"the HELO name %s is not the PTR name of %s (%s): some receivers score this as spam; say HELO with the PTR name", helo, ip, strings.Join(rep.Names, ", "))
		}
	}
	if helo != "" {
		ips, err := addrs(ctx, r, helo)
		if err == nil && !slices.Contains(ips, ip) {
			f.add(SevWarning, "helo-address", helo, "", "RFC 5321 4.1.4",
				"the HELO name %s does not resolve to %s, and some receivers reject or score mail whose HELO name does not: publish an A/AAAA record of %s for %s, or say HELO with a name that has one", helo, ip, ip, helo)
			f.proposes(helo, addrType(ip), ip.String())
		}
	}
	rep.Findings, rep.Status = f.list, f.status()
	log.Debug("ptr checked", "ip", ip, "status", rep.Status)
	return rep
}

// ptrNames says which PTR names of ip resolve back to it: "192.0.2.1 →
// a.example, forward-confirmed".
func ptrNames(ip netip.Addr, names, confirmed []string) string {
	var parts []string
	for _, n := range names {
		if slices.Contains(confirmed, n) {
			parts = append(parts, n+", forward-confirmed")
		} else {
			parts = append(parts, fmt.Sprintf("%s, which does not resolve back to %s", n, ip))
		}
	}
	return fmt.Sprintf("%s → %s", ip, strings.Join(parts, "; "))
}

// multiplePTR warns of an IP with several PTR names. iprev passes when any
// of them resolves back (RFC 8601 3), but many receivers take one name,
// whichever the answer lists first (DNS answers come in any order), to
// compare with the HELO name, score and log, and some software takes
// several PTR records for a misconfiguration (RFC 1912 2.1 advises one
// name per address): a risk, not a failure, hence a warning.
func multiplePTR(f *findings, rev string, ip netip.Addr, names, confirmed []string, helo string) {
	helo = strings.TrimSuffix(helo, ".")
	isHelo := func(n string) bool { return helo != "" && strings.EqualFold(n, helo) }
	keep := names[0]
	for _, n := range names {
		if len(confirmed) == 0 && isHelo(n) {
			keep = n
		}
	}
	if len(confirmed) > 0 {
		keep = confirmed[0]
	}
	for _, n := range confirmed {
		if isHelo(n) {
			keep = n
		}
	}
	risk := ""
	if len(confirmed) > 0 && len(confirmed) < len(names) {
		risk = ", and one that does not resolve back fails their forward-confirmed reverse DNS check"
	}
	// Say why this name: the HELO name only when it is the one given.
	why := ""
	switch {
	case isHelo(keep) && len(confirmed) > 0:
		why = fmt.Sprintf("the HELO name, which resolves back to %s", ip)
	case len(confirmed) > 0:
		why = fmt.Sprintf("which resolves back to %s", ip)
	case isHelo(keep):
		why = fmt.Sprintf("the HELO name; none of them resolves back to %s, so publish an A/AAAA record of %s for it too", ip, ip)
	default:
		why = fmt.Sprintf("the first listed; none of them resolves back to %s, so publish an A/AAAA record of %s for it too", ip, ip)
	}
	if !isHelo(keep) {
		why += ", and have the server say it in HELO"
	}
	f.add(SevWarning, "multiple", rev, strings.Join(names, " "), "RFC 1912 2.1",
		"%s has %d PTR records (%s): receivers that use one name for the HELO comparison and their scoring take whichever the answer lists first, which varies%s; keep one PTR record, %s, %s",
		ip, len(names), strings.Join(names, ", "), risk, keep, why)
}

// isAddrLiteral reports whether an MX target is an IP address, bare or
// as an address literal in brackets ("[192.0.2.1]", "[IPv6:2001:db8::1]",
// RFC 5321 4.1.3), which is no host name either.
func isAddrLiteral(host string) bool {
	h := strings.TrimSuffix(host, ".")
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
		if len(h) > 5 && strings.EqualFold(h[:5], "IPv6:") {
			h = h[5:]
		}
	}
	_, err := netip.ParseAddr(h)
	return err == nil
}
