package probe

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// heloAdvice says what a HELO check that did not pass means and what to
// do, from its result and the record the HELO name publishes, and the
// record it says to publish (nil when none). all are the report's
// results: the IPs that say the same HELO name and got the same result
// share one record, since a name has one SPF record.
func heloAdvice(e SPFResult, all []SPFResult) (string, *Publish) {
	mech := ipMech(e.IP)
	risk := "some receivers check the HELO identity too (RFC 7208 2.3)"
	// The IPs that say one HELO name and got one result share the
	// advice: the first of them says it whole, the others point to it.
	ips := sameHelo(e, all)
	first := ips[0]
	switch e.Result {
	case "none":
		advice, rec := heloRecord(e, all)
		pub := &Publish{Name: e.Helo, Type: "TXT", Value: rec}
		if e.IP != first {
			return fmt.Sprintf("%s publishes no SPF record; the one record proposed with %s covers this IP too: %q at %s", e.Helo, first, rec, e.Helo), pub
		}
		return fmt.Sprintf("%s publishes no SPF record, and %s; %s", e.Helo, risk, advice), pub
	case "permerror":
		if e.IP != first {
			return fmt.Sprintf("the SPF record of %s cannot be evaluated; the fix said with %s covers this IP too", e.Helo, first), nil
		}
		// An example only: the record's other terms are not known.
		return fmt.Sprintf("the SPF record of %s cannot be evaluated, and %s; fix it so that it lists %s, for example \"v=spf1 %s -all\"",
			e.Helo, risk, strings.Join(ips, " and "), strings.Join(ipMechs(ips), " ")), nil
	case "temperror":
		return fmt.Sprintf("a DNS lookup failed for now, so receivers defer or skip the check; if it persists, check the name servers of %s", e.Helo), nil
	}
	var how string
	switch e.Result {
	case "fail":
		how = fmt.Sprintf("the SPF record of %s (%q) does not authorise %s, so receivers that check the HELO identity may reject its mail", e.Helo, e.Record, e.IP)
	case "softfail":
		how = fmt.Sprintf("the SPF record of %s (%q) does not authorise %s and ends in ~all, so receivers that check the HELO identity may treat its mail as suspicious", e.Helo, e.Record, e.IP)
	default: // neutral
		how = fmt.Sprintf("the SPF record of %s (%q) neither authorises nor forbids %s, so receivers that check the HELO identity give its mail no credit", e.Helo, e.Record, e.IP)
	}
	fix := fmt.Sprintf("add %s to it", mech)
	var pub *Publish
	if rec, err := ParseSPF(e.Record); err == nil && usesOwnA(rec, e.Helo) {
		// The record already authorises the name's own addresses: what
		// is missing is the address, not the record.
		rr := "A"
		if strings.HasPrefix(mech, "ip6") {
			rr = "AAAA"
		}
		fix = fmt.Sprintf("publish an %s record of %s for %s (its record authorises the name's own addresses, with \"a\"), or add %s to it", rr, e.IP, e.Helo, mech)
		pub = &Publish{Name: e.Helo, Type: rr, Value: e.IP}
	}
	return how + "; " + fix, pub
}

// heloRecord says what to publish at a HELO name that has no SPF record,
// and the record: "v=spf1 a -all" when the name's addresses are those of
// every IP that says it, else one that lists those IPs, with "a" for
// when the name has them.
func heloRecord(e SPFResult, all []SPFResult) (advice, record string) {
	ips := sameHelo(e, all)
	var missing []string
	for _, s := range ips {
		if a, err := netip.ParseAddr(s); err != nil || !slices.Contains(e.heloAddrs, a.Unmap()) && !slices.Contains(e.heloAddrs, a) {
			missing = append(missing, s)
		}
	}
	which := e.IP
	if len(ips) > 1 {
		which = fmt.Sprintf("each of the %d IPs that say HELO %s (%s)", len(ips), e.Helo, strings.Join(ips, ", "))
	}
	if len(missing) == 0 {
		const rec = "v=spf1 a -all"
		return fmt.Sprintf("publish %q at %s: it works now, since %s has an A/AAAA record of %s", rec, e.Helo, e.Helo, which), rec
	}
	one := ""
	if len(ips) > 1 {
		one = fmt.Sprintf(", one record for the %d IPs that say HELO %s (a name has one SPF record)", len(ips), e.Helo)
	}
	rec := "v=spf1 " + strings.Join(ipMechs(ips), " ") + " -all"
	return fmt.Sprintf("publish %q at %s%s (or \"v=spf1 a -all\" once %s has an A/AAAA record of %s)",
		rec, e.Helo, one, e.Helo, strings.Join(missing, " and ")), rec
}

// sameHelo are the IPs, in order and each once, of the HELO results of
// all that name e's HELO name and have e's result; e's IP at least.
func sameHelo(e SPFResult, all []SPFResult) []string {
	ips := []string{e.IP}
	for _, o := range all {
		if o.Identity == "helo" && strings.EqualFold(o.Helo, e.Helo) && o.Result == e.Result && !slices.Contains(ips, o.IP) {
			ips = append(ips, o.IP)
		}
	}
	// In the report's order, so that every IP's finding offers the same
	// record.
	var ordered []string
	for _, o := range all {
		if slices.Contains(ips, o.IP) && !slices.Contains(ordered, o.IP) {
			ordered = append(ordered, o.IP)
		}
	}
	for _, s := range ips {
		if !slices.Contains(ordered, s) {
			ordered = append(ordered, s)
		}
	}
	return ordered
}

// ipMech is the SPF term that lists one IP: "ip4:192.0.2.1".
func ipMech(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil && !a.Unmap().Is4() {
		return "ip6:" + ip
	}
	return "ip4:" + ip
}

func ipMechs(ips []string) []string {
	out := make([]string, len(ips))
	for i, s := range ips {
		out[i] = ipMech(s)
	}
	return out
}
