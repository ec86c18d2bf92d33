package probe

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/relaylab/relaylab/internal/resolver"
)

// RecordReport is the result of a check of one simple record.
type RecordReport struct {
	Name     string            `json:"name"`
	Record   string            `json:"record,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
	Status   Status            `json:"status"`
	Findings []Finding         `json:"findings"`
}

// tagList parses "k=v; k=v" (the syntax of TLS-RPT and BIMI records).
func tagList(s string) (map[string]string, []string, bool) {
	tags := map[string]string{}
	var order []string
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, nil, false
		}
		k = strings.TrimSpace(k)
		if _, dup := tags[k]; dup {
			return nil, nil, false
		}
		tags[k] = strings.TrimSpace(v)
		order = append(order, k)
	}
	return tags, order, true
}

// fetchOne returns the records of name that start with prefix.
func fetchOne(ctx context.Context, r resolver.Resolver, f *findings, name, prefix string) ([]string, bool) {
	t, err := lookupTXT(ctx, r, name)
	if err != nil {
		f.dnsFailed(name, err)
		return nil, false
	}
	var recs []string
	for _, s := range t.Joined() {
		if startsWithVersion(s, prefix) {
			recs = append(recs, s)
		}
	}
	return recs, true
}

// CheckTLSRPT checks the _smtp._tls record (RFC 8460 3).
func CheckTLSRPT(ctx context.Context, r resolver.Resolver, log *slog.Logger, domain string) RecordReport {
	f := &findings{check: "tls-rpt"}
	name := "_smtp._tls." + domain
	rep := RecordReport{Name: name}
	recs, ok := fetchOne(ctx, r, f, name, "v=TLSRPTv1")
	switch {
	case !ok:
	case len(recs) == 0:
		if near := nearTLSRPT(ctx, r, name); near != "" {
			f.add(SevWarning, "none", name, near, "RFC 8460 3",
				"%q at %s is not read as TLS-RPT, because %s, so senders send no reports of TLS failures delivering to %s: publish it as %q",
				near, name, whyNotTLSRPT(near), domain, fixedNearTLSRPT(near))
			break
		}
		f.add(SevInfo, "none", name, "", "RFC 8460 3", "no TLS-RPT record: you get no reports of TLS failures delivering to %s; to get them, publish \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\" at %s", domain, domain, name)
	case len(recs) > 1:
		keep := "keep one"
		if merged := mergeTLSRPT(recs); merged != "" {
			keep = fmt.Sprintf("publish the one record %q in their place, which sends reports to every address of both (rua takes a comma-separated list)", merged)
		}
		f.add(SevError, "multiple", name, strings.Join(recs, " | "), "RFC 8460 3", "%d TLS-RPT records, so senders use none: %s", len(recs), keep)
	default:
		rep.Record = recs[0]
		tags, order, ok := tagList(recs[0])
		if m := tlsrptTagAfterSpace.FindStringSubmatch(recs[0]); m != nil {
			// RFC 8460 3: tags are separated by ";"; the one after the
			// space is read as part of the value before it.
			fixed := tlsrptTagAfterSpace.ReplaceAllString(recs[0], "$1; $2")
			f.add(SevError, "syntax", name, recs[0], "RFC 8460 3",
				"%s= follows the value before it after a space, with no \";\" between them, so senders read it as part of that value and the record is not \"v=TLSRPTv1; rua=...\": they send no reports; publish %q",
				strings.TrimRight(m[2], " \t="), fixed)
			break
		}
		if !ok || order[0] != "v" || tags["v"] != "TLSRPTv1" {
			f.add(SevError, "syntax", name, recs[0], "RFC 8460 3",
				"the record is not of the form \"v=TLSRPTv1; rua=...\", so senders send no reports: publish \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\"", domain)
			break
		}
		rep.Tags = tags
		if tags["rua"] == "" {
			f.add(SevError, "no-rua", name, recs[0], "RFC 8460 3",
				"the required rua tag is missing, so no report can be sent: publish \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\"", domain)
			break
		}
		var to []string
		for _, u := range strings.Split(tags["rua"], ",") {
			pu, err := url.Parse(strings.TrimSpace(u))
			if err != nil || (pu.Scheme != "mailto" && pu.Scheme != "https") || (pu.Opaque == "" && pu.Host == "") ||
				(pu.Scheme == "mailto" && !validAddress(pu.Opaque)) {
				f.add(SevError, "rua", name, recs[0], "RFC 8460 3",
					"rua %q is not a mailto: or https: URI, so senders cannot send reports there: use rua=mailto:tlsrpt@%s (or an https:// URL)", u, domain)
				continue
			}
			to = append(to, strings.TrimSpace(u))
			if pu.Scheme == "mailto" {
				// As for DMARC reports: a domain that takes no mail
				// gets no reports.
				addr := pu.Opaque
				_, host, _ := strings.Cut(addr, "@")
				checkReportDomain(ctx, r, f, recs[0], addr, strings.ToLower(strings.TrimSuffix(host, ".")))
			}
		}
		if len(to) > 0 {
			// A fact, so that an ok check still shows where reports go.
			f.add(SevInfo, "reports", name, recs[0], "RFC 8460 3",
				"senders that support TLS-RPT send daily reports of TLS failures delivering to %s to %s", domain, strings.Join(to, ", "))
		}
	}
	rep.Findings, rep.Status = f.list, f.status()
	log.Debug("tls-rpt checked", "domain", domain, "status", rep.Status)
	return rep
}

// mergeTLSRPT is the one TLS-RPT record that reports to every rua of
// recs, each URI once, in order; "" when a record is not of the form
// "v=TLSRPTv1; rua=..." or has other tags, which a merge would lose.
func mergeTLSRPT(recs []string) string {
	var uris []string
	for _, rec := range recs {
		tags, order, ok := tagList(rec)
		if !ok || len(order) != 2 || order[0] != "v" || tags["v"] != "TLSRPTv1" || tags["rua"] == "" {
			return ""
		}
		for _, u := range strings.Split(tags["rua"], ",") {
			if u = strings.TrimSpace(u); u != "" && !slices.Contains(uris, u) {
				uris = append(uris, u)
			}
		}
	}
	return "v=TLSRPTv1; rua=" + strings.Join(uris, ",")
}

// tlsrptTagAfterSpace finds a TLS-RPT tag that follows a value after a
// space instead of a ";": "v=TLSRPTv1 rua=mailto:...".
var tlsrptTagAfterSpace = regexp.MustCompile(`([^;\s])[ \t]+((?i:v|rua)[ \t]*=)`)

// nearTLSRPT returns the first TXT record at name that looks meant as a
// TLS-RPT record but that senders do not read, since it does not start
// with "v=TLSRPTv1" (RFC 8460 3): another version (v=TLSRPTv2), another
// case, a space before it; or "".
func nearTLSRPT(ctx context.Context, r resolver.Resolver, name string) string {
	t, err := lookupTXT(ctx, r, name)
	if err != nil {
		return ""
	}
	for _, s := range t.Joined() {
		if !startsWithVersion(s, "v=TLSRPTv1") && strings.HasPrefix(strings.ToLower(strings.Trim(s, " \t\"'")), "v=tlsrpt") {
			return s
		}
	}
	return ""
}

// whyNotTLSRPT says why nearTLSRPT took rec for no TLS-RPT record.
func whyNotTLSRPT(rec string) string {
	if lead := len(rec) - len(strings.TrimLeft(rec, " \t\"'")); lead > 0 {
		return fmt.Sprintf("it starts with %q, not with \"v=TLSRPTv1\" (spaces or quotes that belong to the zone file's syntax, not to the record)", rec[:lead])
	}
	first, _, _ := strings.Cut(rec, ";")
	_, v, _ := strings.Cut(first, "=")
	if v = strings.TrimSpace(v); strings.EqualFold(v, "TLSRPTv1") {
		return fmt.Sprintf("it starts with %q, and senders look for \"v=TLSRPTv1\" exactly as written (RFC 8460 3)", strings.TrimSpace(first))
	}
	return fmt.Sprintf("its version is %q, and RFC 8460 defines only TLSRPTv1, the one senders read", v)
}

// fixedNearTLSRPT is rec's tags other than v after "v=TLSRPTv1".
func fixedNearTLSRPT(rec string) string {
	keep := []string{"v=TLSRPTv1"}
	for _, part := range strings.Split(strings.Trim(rec, " \t\"'"), ";") {
		part = strings.Trim(part, " \t")
		if k, _, ok := strings.Cut(part, "="); part == "" || ok && strings.EqualFold(strings.TrimSpace(k), "v") {
			continue
		}
		keep = append(keep, part)
	}
	return strings.Join(keep, "; ")
}

// validAddress reports whether s looks like local@domain.
func validAddress(s string) bool {
	local, dom, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(dom, ".") && !strings.ContainsAny(dom, "@ ")
}

// CheckBIMI checks the syntax of default._bimi.domain (the BIMI draft,
// draft-brand-indicators-for-message-identification). dmarc is the DMARC
// check of the same domain: receivers apply BIMI only when the policy
// that applies to the domain, and the record of its organisational
// domain, are at enforcement (see bimiDMARC).
func CheckBIMI(ctx context.Context, r resolver.Resolver, log *slog.Logger, domain string, dmarc *DMARCReport) RecordReport {
	f := &findings{check: "bimi"}
	name := "default._bimi." + domain
	const ref = "draft-brand-indicators-for-message-identification 4.2"
	rep := RecordReport{Name: name}
	recs, ok := fetchOne(ctx, r, f, name, "v=BIMI1")
	own, near := name, ""
	if ok && len(recs) == 0 {
		near = nearBIMIAt(ctx, r, own)
	}
	if org := OrgDomain(domain); ok && len(recs) == 0 && org != domain {
		// The BIMI draft (assertion record discovery): without a record of
		// its own, the organisational domain's record applies.
		orgName := "default._bimi." + org
		if recs, ok = fetchOne(ctx, r, f, orgName, "v=BIMI1"); ok && len(recs) > 0 {
			f.add(SevInfo, "org-record", orgName, "", ref, "%s has no BIMI record of its own, so the one of its organisational domain at %s applies", domain, orgName)
			name, rep.Name = orgName, orgName
			if near != "" {
				// As DMARC's discarded records: the domain's own record is
				// not read, and its parent's logo is shown instead.
				f.add(SevError, "discarded", own, near, ref,
					"%q at %s is not read as BIMI, because %s, so receivers discard it and use the record of the organisational domain at %s instead: publish it as %q",
					near, own, whyNotBIMI(near), orgName, fixedNearBIMI(near))
			}
		}
	}
	switch {
	case !ok:
	case len(recs) == 0 && near != "":
		f.add(SevError, "none", own, near, ref, "%q at %s is not read as BIMI, because %s, so mail clients show no brand logo: publish it as %q",
			near, own, whyNotBIMI(near), fixedNearBIMI(near))
	case len(recs) == 0:
		f.add(SevInfo, "none", name, "", ref, "no BIMI record: mail clients show no brand logo; to show one, publish \"v=BIMI1; l=https://HOST/logo.svg; a=https://HOST/vmc.pem\" at %s", name)
		misplacedBIMI(ctx, r, f, domain, ref)
	case len(recs) > 1:
		f.add(SevError, "multiple", name, strings.Join(recs, " | "), ref, "%d BIMI records, so none is used: keep one", len(recs))
	default:
		rep.Record = recs[0]
		tags, order, ok := tagList(recs[0])
		if !ok || order[0] != "v" || tags["v"] != "BIMI1" {
			f.add(SevError, "syntax", name, recs[0], ref,
				"the record is not of the form \"v=BIMI1; l=...; a=...\", so no logo is shown: publish \"v=BIMI1; l=https://%s/logo.svg; a=https://%s/vmc.pem\" with your logo's and certificate's URLs", domain, domain)
			break
		}
		rep.Tags = tags
		var facts []string
		if l := tags["l"]; l != "" {
			if u, err := url.Parse(l); err != nil || u.Scheme != "https" || u.Host == "" {
				f.add(SevError, "logo-url", name, recs[0], ref,
					"l=%s is not an https URL, so mail clients fetch no logo: serve the logo over HTTPS and publish l=https://HOST/logo.svg", l)
			} else if p := strings.ToLower(u.Path); !strings.HasSuffix(p, ".svg") && !strings.HasSuffix(p, ".svgz") {
				// BIMI draft 4.3.2: SVG, or SVG gzipped (SVGZ), only.
				f.add(SevWarning, "logo-format", name, recs[0], ref, "l=%s does not name an SVG (or SVGZ) file, and receivers take no other format, so no logo is shown: serve the logo as SVG Tiny PS and point l= at it", l)
			} else {
				facts = append(facts, "the logo from "+l)
			}
		} else if tags["a"] == "" {
			f.add(SevInfo, "declined", name, recs[0], ref, "empty l= and a=: the domain declines to show a logo")
		}
		if a := tags["a"]; a != "" {
			if u, err := url.Parse(a); err != nil || u.Scheme != "https" || u.Host == "" {
				f.add(SevError, "authority-url", name, recs[0], ref,
					"a=%s is not an https URL, so mail clients cannot fetch the certificate and show no logo: publish a=https://HOST/vmc.pem", a)
			} else {
				facts = append(facts, "the Verified Mark Certificate from "+a)
			}
		} else if tags["l"] != "" {
			f.add(SevInfo, "no-vmc", name, recs[0], ref, "no a= (Verified Mark Certificate): Gmail and Apple Mail show no logo without one")
		}
		if len(facts) > 0 {
			// A fact, so that an ok check still shows what it found.
			f.add(SevInfo, "urls", name, recs[0], ref, "mail clients that show BIMI logos fetch %s", strings.Join(facts, " and "))
		}
		if tags["l"] == "" && tags["a"] == "" {
			// A declination asks for no logo (BIMI draft 4.3.1): what
			// DMARC would allow does not matter.
			break
		}
		bimiDMARC(ctx, r, f, name, recs[0], domain, dmarc)
	}
	rep.Findings, rep.Status = f.list, f.status()
	log.Debug("bimi checked", "domain", domain, "status", rep.Status)
	return rep
}

// nearBIMIAt returns the first TXT record at name that looks meant as a
// BIMI record but that receivers discard, since it does not start with
// "v=BIMI1" (BIMI draft, assertion record discovery): another version, v
// after another tag or missing before an l= tag, or space before it.
func nearBIMIAt(ctx context.Context, r resolver.Resolver, name string) string {
	t, err := lookupTXT(ctx, r, name)
	if err != nil {
		return ""
	}
	for _, s := range t.Joined() {
		if startsWithVersion(s, "v=BIMI1") {
			continue
		}
		v, hasV := dmarcTag(s, "v")
		_, hasL := dmarcTag(s, "l")
		if hasV && strings.HasPrefix(strings.ToUpper(v), "BIMI") || !hasV && hasL {
			return s
		}
	}
	return ""
}

// misplacedBIMI reports a BIMI record published where receivers do not
// look for one: at the domain itself, or at _bimi.DOMAIN without the
// selector; they read SELECTOR._bimi.DOMAIN, "default" when the mail
// names none (BIMI draft, assertion record discovery).
func misplacedBIMI(ctx context.Context, r resolver.Resolver, f *findings, domain, ref string) {
	want := "default._bimi." + domain
	for _, at := range []string{domain, "_bimi." + domain} {
		t, err := lookupTXT(ctx, r, at)
		if err != nil {
			continue
		}
		for _, s := range t.Joined() {
			if !startsWithVersion(strings.TrimSpace(s), "v=BIMI1") {
				continue
			}
			f.add(SevError, "wrong-location", at, s, ref,
				"%q is published at %s, where receivers never look for BIMI: they read %s (the selector \"default\" under _bimi), so no logo is shown; move it there",
				s, at, want)
			return
		}
	}
}

// startsWithVersion reports whether the TXT record s starts with the
// version tag prefix ("v=BIMI1") as a whole value: followed by nothing, a
// ';' or white space, so that "v=BIMI10" is not a BIMI1 record.
func startsWithVersion(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	return ok && (rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t')
}

// whyNotBIMI says why nearBIMIAt took rec for no BIMI record.
func whyNotBIMI(rec string) string {
	v, hasV := dmarcTag(rec, "v")
	first, _, _ := strings.Cut(rec, ";")
	k, fv, _ := strings.Cut(first, "=")
	switch {
	case !hasV:
		return "it has no \"v=BIMI1\", which must come first"
	case rec[0] == ' ' || rec[0] == '\t':
		return "it starts with a space before \"v=BIMI1\", and receivers discard a record that does not start with \"v=BIMI1\""
	case strings.Trim(k, " \t\"'") == "V":
		return "its first tag is \"V\": tag names are case-sensitive, and receivers look for \"v=BIMI1\" in lower case"
	case strings.Trim(k, " \t\"'") != "v":
		return fmt.Sprintf("\"v=BIMI1\" must come first, and here it comes after %q", strings.TrimSpace(first))
	case v != "BIMI1":
		return fmt.Sprintf("its version is %q, and it must be \"BIMI1\"", strings.Trim(fv, " \t\"'"))
	}
	return "it does not start with \"v=BIMI1\""
}

// fixedNearBIMI is rec's tags other than v after "v=BIMI1".
func fixedNearBIMI(rec string) string {
	keep := []string{"v=BIMI1"}
	for _, part := range strings.Split(rec, ";") {
		part = strings.Trim(part, " \t\"'")
		if k, _, ok := strings.Cut(part, "="); part == "" || ok && strings.EqualFold(strings.TrimSpace(k), "v") {
			continue
		}
		keep = append(keep, part)
	}
	return strings.Join(keep, "; ")
}

// bimiDMARC reports what on DMARC's side keeps receivers from showing a
// BIMI logo for mail from domain (BIMI draft 7.1, items 7 to 9): no
// usable DMARC record, or, in the record that applies to the domain or in
// the record of its organisational domain, p=none, sp=none, or a
// quarantine that applies to less than all mail (pct under 100).
func bimiDMARC(ctx context.Context, r resolver.Resolver, f *findings, name, rec, domain string, dmarc *DMARCReport) {
	// The DMARC requirements are all in the draft's Receiver Actions,
	// 7.1 (Authentication Requirements), whichever of them fails.
	const ref = "draft-brand-indicators-for-message-identification 7.1"
	policy, _ := dmarc.Effective()
	switch {
	case policy == "":
		f.add(SevWarning, "dmarc-policy", name, rec, ref,
			"BIMI requires a DMARC policy of quarantine or reject, and %s has no usable DMARC record, so no logo is shown: publish \"v=DMARC1; p=quarantine; rua=mailto:dmarc@%s\" at _dmarc.%s", domain, OrgDomain(domain), OrgDomain(domain))
		return
	case policy != "quarantine" && policy != "reject":
		tag := "p"
		if dmarc.PolicyDomain != strings.TrimSuffix(strings.ToLower(dmarc.Domain), ".") && dmarc.Parsed.SubPolicy != "" {
			tag = "sp"
		}
		f.add(SevWarning, "dmarc-policy", name, rec, ref,
			"BIMI requires a DMARC policy of quarantine or reject, but mail from %s gets %s (at _dmarc.%s), so no logo is shown: set %s=quarantine or reject", domain, policy, dmarc.PolicyDomain, tag)
		return
	}
	type policyRecord struct {
		at      string
		p       *DMARCRecord
		applied string // the policy it gives domain's mail, or "" for the organisational domain's own
	}
	recs := []policyRecord{{dmarc.PolicyDomain, dmarc.Parsed, policy}}
	if org := OrgDomain(domain); dmarc.PolicyDomain != org {
		// The domain has a record of its own: the organisational
		// domain's counts too.
		where, found, err := findDMARC(ctx, r, org)
		switch {
		case err != nil:
			f.dnsFailed("_dmarc."+org, err)
			return
		case len(found) == 1:
			if p, err := ParseDMARC(found[0]); err == nil {
				recs = append(recs, policyRecord{at: where, p: p})
			}
		}
	}
	var why, fix []string
	for _, x := range recs {
		at := "_dmarc." + x.at
		if x.p.Policy == "none" || x.p.Policy == "" {
			why = append(why, "p=none at "+at)
			fix = append(fix, "set p=quarantine or p=reject at "+at)
		}
		if x.p.SubPolicy == "none" {
			why = append(why, "sp=none at "+at)
			fix = append(fix, "remove sp or set sp=quarantine or sp=reject at "+at)
		}
		applied := cmp.Or(x.applied, x.p.Policy)
		if applied == "quarantine" && x.p.Pct < 100 {
			tag := "p"
			if x.applied != "" && x.applied != x.p.Policy {
				tag = "sp"
			}
			why = append(why, fmt.Sprintf("%s=quarantine with pct=%d at %s", tag, x.p.Pct, at))
			fix = append(fix, "remove pct or set pct=100 at "+at)
		}
	}
	if len(why) == 0 {
		return
	}
	f.add(SevWarning, "dmarc-policy", name, rec, ref,
		"receivers show a BIMI logo only when the DMARC records of %s and of its organisational domain are at enforcement for all mail (no p=none, no sp=none, a quarantine with pct=100), and %s, so no logo is shown: %s",
		domain, strings.Join(why, " and "), strings.Join(fix, "; "))
}
