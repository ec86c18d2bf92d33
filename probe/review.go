package probe

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// review completes a report with what only the request and several
// checks together show: the SPF record to publish for the IPs asked
// about (spf.none), the advice that does not apply to a domain that
// neither sends nor receives mail, and the IPs and the domain that no
// blocklist was asked about. It may run before or after summarise, and
// more than once: what it changed is found changed.
func (rep *Report) review(req Request) {
	rep.spfNoneFor(req.IPs)
	rep.noMailDomain()
	rep.refreshChecks()
	if !req.NoBlocklists {
		rep.notChecked(req)
	}
}

// refreshChecks sets the findings and status of the checks already
// summarised from their reports, after review changed them.
func (rep *Report) refreshChecks() {
	if len(rep.Checks) == 0 {
		return
	}
	for i := range rep.Checks {
		c := &rep.Checks[i]
		switch {
		case c.Check == "spf":
			c.Findings, c.Status = rep.spfCheck(rep.SPFResults)
		case c.Check == "dkim" && rep.DKIM != nil:
			c.Findings, c.Status = rep.DKIM.Findings, rep.DKIM.Status
		case c.Check == "mta-sts" && rep.MTASTS != nil:
			c.Findings, c.Status = rep.MTASTS.Findings, rep.MTASTS.Status
		case c.Check == "tls-rpt" && rep.TLSRPT != nil:
			c.Findings, c.Status = rep.TLSRPT.Findings, rep.TLSRPT.Status
		}
	}
	rep.grade()
}

// spfNoneFor makes the advice of spf.none (a domain without an SPF
// record, none mistyped) a record of the IPs given, with the record to
// publish, in place of an example address.
func (rep *Report) spfNoneFor(ips []netip.Addr) {
	if rep.SPF == nil || len(ips) == 0 {
		return
	}
	var addrs []string
	for _, ip := range ips {
		if s := ip.Unmap().String(); !slices.Contains(addrs, s) {
			addrs = append(addrs, s)
		}
	}
	rec := "v=spf1 " + strings.Join(ipMechs(addrs), " ") + " -all"
	which := "the address"
	if len(addrs) > 1 {
		which = fmt.Sprintf("the %d addresses", len(addrs))
	}
	for i := range rep.SPF.Findings {
		f := &rep.SPF.Findings[i]
		if f.Code != "spf.none" || f.Record != "" || f.Publish != nil {
			continue // a mistyped record has advice of its own
		}
		f.Message = fmt.Sprintf("%s has no SPF record, so receivers cannot tell its mail from forgeries: publish %q at %s, which authorises %s given with --ip (add your email provider's include before -all if it sends for you too, such as include:_spf.provider.example), or \"v=spf1 -all\" if %s sends no mail",
			rep.SPF.Domain, rec, rep.SPF.Domain, which, rep.SPF.Domain)
		f.Publish = &Publish{Name: rep.SPF.Domain, Type: "TXT", Value: rec}
	}
}

// noMail reports whether the domain of rep neither receives mail (a
// null MX, RFC 7505) nor sends any (an SPF record that authorises no
// one: "v=spf1 -all"), and says so for its advice.
func (rep *Report) noMail() (string, bool) {
	if rep.MX == nil || !rep.MX.NullMX || rep.SPF == nil || rep.SPF.Record == "" {
		return "", false
	}
	rec, err := ParseSPF(rep.SPF.Record)
	if err != nil {
		return "", false
	}
	for _, t := range rec.Terms {
		if t.Modifier && t.Name == "redirect" || !t.Modifier && (t.Name != "all" || t.Qualifier != '-') {
			return "", false
		}
	}
	return fmt.Sprintf("%s neither receives mail (it publishes a null MX, RFC 7505) nor sends any (its SPF record %q authorises no one)", rep.Domain, rep.SPF.Record), true
}

// noMailDomain makes the advice to publish DKIM keys, an MTA-STS policy
// and a TLS-RPT record facts that say why none is needed, for a domain
// that neither sends nor receives mail.
func (rep *Report) noMailDomain() {
	why, ok := rep.noMail()
	if !ok {
		return
	}
	if d := rep.DKIM; d != nil {
		for i := range d.Findings {
			if f := &d.Findings[i]; f.Code == "dkim.none-found" {
				f.Severity = SevInfo
				f.Message = fmt.Sprintf("no DKIM key found, and none is needed: %s, so nothing is signed", why)
			}
		}
		d.Status = statusOf(d.Findings, d.Status == StatusUnknown)
	}
	if m := rep.MTASTS; m != nil {
		for i := range m.Findings {
			if f := &m.Findings[i]; f.Code == "mta-sts.none" {
				f.Message = fmt.Sprintf("no MTA-STS record, and none is needed: %s, so no mail is delivered to it over TLS or otherwise", why)
			}
		}
	}
	if t := rep.TLSRPT; t != nil {
		for i := range t.Findings {
			if f := &t.Findings[i]; f.Code == "tls-rpt.none" && f.Record == "" {
				f.Message = fmt.Sprintf("no TLS-RPT record, and none is needed: %s, so there is no delivery to it to report on", why)
				f.Publish = nil
			}
		}
	}
}

// notChecked says, for each IP that no blocklist of the request takes
// (an IPv6 address with no list of ipv6: true, an IPv4 address with only
// lists of ipv4: false), and for the domain when no list of domains was
// configured, that it was not checked, rather than leave the blocklist
// check looking clean.
func (rep *Report) notChecked(req Request) {
	zones := req.Zones
	if zones == nil {
		zones = DefaultZones()
	}
	var c *CheckSummary
	for i := range rep.Checks {
		if rep.Checks[i].Check == "blocklist" {
			c = &rep.Checks[i]
		}
	}
	if c == nil {
		return
	}
	add := func(name, msg string) {
		if slices.ContainsFunc(c.Findings, func(f Finding) bool { return f.Code == "blocklist.not-checked" && f.Name == name }) {
			return // review runs more than once
		}
		c.Findings = append(c.Findings, Finding{Check: "blocklist", Severity: SevWarning, Code: "blocklist.not-checked", Name: name, RFC: listingRFC(name), Message: msg})
		c.Status = statusOf(c.Findings, c.Status == StatusUnknown)
	}
	for _, ip := range req.IPs {
		ip = ip.Unmap()
		if slices.ContainsFunc(zones, func(z Zone) bool { return z.asksAbout(ip) }) {
			continue
		}
		fam, key := "IPv6", "ipv6: true"
		if ip.Is4() {
			fam, key = "IPv4", "without ipv4: false"
		}
		add(ip.String(), fmt.Sprintf("%s is not checked (no %s blocklist configured): none of the %s takes %s addresses, so whether it is listed is not known; add a list that does (%s in the zones file: --zones, or probe.zones for the watchlist), such as zen.spamhaus.org of the built-in lists",
			ip, fam, counted(len(zones), "blocklist"), fam, key))
	}
	// RFC 5782 2.3: domains are asked of lists of domains (kind domain,
	// or uri for the registered domain); an IP list knows no domain.
	if req.Domain != "" && !slices.ContainsFunc(zones, func(z Zone) bool { return z.Kind == ZoneDomain || z.Kind == ZoneURI }) {
		add(req.Domain, fmt.Sprintf("%s is not checked (no domain blocklist configured): %s, so whether it is listed is not known; add a list of domains (kind: domain, or uri, in the zones file: --zones, or probe.zones for the watchlist), such as dbl.spamhaus.org of the built-in lists",
			req.Domain, ipListsOnly(zones)))
	}
	rep.grade()
}

// ipListsOnly says that zones, which hold no list of domains, hold IP
// lists alone, or nothing.
func ipListsOnly(zones []Zone) string {
	switch len(zones) {
	case 0:
		return "no blocklist is configured at all"
	case 1:
		return fmt.Sprintf("the one blocklist configured, %s, lists IP addresses only", zones[0].Zone)
	}
	return fmt.Sprintf("the %d blocklists configured all list IP addresses only", len(zones))
}
