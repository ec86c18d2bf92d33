package probe

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/relaylab/relaylab/internal/resolver"
)

// bimiRef is the section of the BIMI draft on the assertion record.
const bimiRef = "draft-brand-indicators-for-message-identification 4.2"

// CheckBIMI checks default._bimi.domain as CheckBIMIWith does, without
// fetching the logo.
func CheckBIMI(ctx context.Context, r resolver.Resolver, log *slog.Logger, domain string, dmarc *DMARCReport) RecordReport {
	return CheckBIMIWith(ctx, r, log, nil, domain, dmarc)
}

// CheckBIMIWith checks the syntax of default._bimi.domain (the BIMI
// draft, draft-brand-indicators-for-message-identification) and, when
// client is not nil, fetches the logo of its l= with client (as MTA-STS
// policies are fetched: over HTTPS, no redirects followed) and checks it
// as SVG Tiny PS (checkBIMILogo). dmarc is the DMARC check of the same
// domain: receivers apply BIMI only when the policy that applies to the
// domain, and the record of its organisational domain, are at
// enforcement (see bimiDMARC).
func CheckBIMIWith(ctx context.Context, r resolver.Resolver, log *slog.Logger, client *http.Client, domain string, dmarc *DMARCReport) RecordReport {
	f := &findings{check: "bimi"}
	name := "default._bimi." + domain
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
			f.add(SevInfo, "org-record", orgName, "", bimiRef, "%s has no BIMI record of its own, so the one of its organisational domain at %s applies", domain, orgName)
			name, rep.Name = orgName, orgName
			if near != "" {
				// As DMARC's discarded records: the domain's own record is
				// not read, and its parent's logo is shown instead.
				fixed := fixedNearBIMI(near)
				f.add(SevError, "discarded", own, near, bimiRef,
					"%q at %s is not read as BIMI, because %s, so receivers discard it and use the record of the organisational domain at %s instead: publish it as %q",
					near, own, whyNotBIMI(near), orgName, fixed)
				f.proposes(own, "TXT", fixed)
			}
		}
	}
	switch {
	case !ok:
	case len(recs) == 0 && near != "":
		fixed := fixedNearBIMI(near)
		f.add(SevError, "none", own, near, bimiRef, "%q at %s is not read as BIMI, because %s, so mail clients show no brand logo: publish it as %q",
			near, own, whyNotBIMI(near), fixed)
		f.proposes(own, "TXT", fixed)
	case len(recs) == 0:
		f.add(SevInfo, "none", name, "", bimiRef, "no BIMI record: mail clients show no brand logo; to show one, publish \"v=BIMI1; l=https://HOST/logo.svg; a=https://HOST/vmc.pem\" at %s", name)
		misplacedBIMI(ctx, r, f, domain)
	case len(recs) > 1:
		f.add(SevError, "multiple", name, strings.Join(recs, " | "), bimiRef, "%d BIMI records, so none is used: keep one", len(recs))
	default:
		rep.Record = recs[0]
		rep.Tags = checkBIMIRecord(ctx, r, f, client, name, recs[0], domain, dmarc)
	}
	rep.Findings, rep.Status = f.list, f.status()
	log.Debug("bimi checked", "domain", domain, "status", rep.Status)
	return rep
}

// checkBIMIRecord checks the one BIMI record rec, found at name for
// domain, and returns its tags (nil when it is not of the form
// "v=BIMI1; ..."): its logo and evidence URLs, the logo itself when
// client is not nil, and the DMARC policy BIMI needs.
func checkBIMIRecord(ctx context.Context, r resolver.Resolver, f *findings, client *http.Client, name, rec, domain string, dmarc *DMARCReport) map[string]string {
	tags, order, ok := tagList(rec)
	if !ok || order[0] != "v" || tags["v"] != "BIMI1" {
		f.add(SevError, "syntax", name, rec, bimiRef,
			"the record is not of the form \"v=BIMI1; l=...; a=...\", so no logo is shown: publish \"v=BIMI1; l=https://%s/logo.svg; a=https://%s/vmc.pem\" with your logo's and certificate's URLs", domain, domain)
		return nil
	}
	var facts []string
	logo := ""
	if l := tags["l"]; l != "" {
		if u, err := url.Parse(l); err != nil || u.Scheme != "https" || u.Host == "" {
			// BIMI draft 4.3: "The only supported transport is HTTPS".
			f.add(SevError, "logo-url", name, rec, bimiRef,
				"l=%s is not an https URL, and receivers fetch BIMI logos over HTTPS only, so they fetch none and show no logo: serve the logo over HTTPS and publish l=https://HOST/logo.svg", l)
		} else if p := strings.ToLower(u.Path); !strings.HasSuffix(p, ".svg") && !strings.HasSuffix(p, ".svgz") {
			// BIMI draft 4.3.2: SVG, or SVG gzipped (SVGZ), only.
			f.add(SevWarning, "logo-format", name, rec, bimiRef, "l=%s does not name an SVG (or SVGZ) file, and receivers take no other format, so no logo is shown: serve the logo as SVG Tiny PS and point l= at it", l)
		} else {
			facts = append(facts, "the logo from "+l)
			logo = l
		}
	} else if tags["a"] == "" {
		f.add(SevInfo, "declined", name, rec, bimiRef, "empty l= and a=: the domain declines to show a logo")
	}
	if a := tags["a"]; a != "" {
		if u, err := url.Parse(a); err != nil || u.Scheme != "https" || u.Host == "" {
			f.add(SevError, "authority-url", name, rec, bimiRef,
				"a=%s is not an https URL, so mail clients cannot fetch the certificate and show no logo: publish a=https://HOST/vmc.pem", a)
		} else {
			facts = append(facts, "the Verified Mark Certificate from "+a)
		}
	} else if tags["l"] != "" {
		// The draft leaves evidence optional (a= may be empty); the
		// large receivers that show logos do not.
		f.add(SevWarning, "no-vmc", name, rec, bimiRef,
			"no a= (evidence document): Gmail and Apple Mail show a BIMI logo only with a Verified Mark Certificate (VMC) or a Common Mark Certificate (CMC), so they show none for %s; Yahoo Mail does not strictly require one (it may show the logo without, for senders with enough volume and a good reputation); to show it in Gmail and Apple Mail, get a VMC (for a registered trademark) or a CMC for the logo from a certificate authority that issues them, serve its PEM file over HTTPS and add a=https://HOST/vmc.pem to the record",
			domain)
	}
	if len(facts) > 0 {
		// A fact, so that an ok check still shows what it found.
		f.add(SevInfo, "urls", name, rec, bimiRef, "mail clients that show BIMI logos fetch %s", strings.Join(facts, " and "))
	}
	switch {
	case logo != "" && client != nil:
		checkBIMILogo(ctx, client, f, logo)
	case logo != "":
		// Said, so that an ok check is not read as a logo that passed.
		f.add(SevInfo, logoNotChecked, logo, "", bimiRef, "%s", logoNotCheckedMessage(logo, logoOffCLI))
	}
	if tags["l"] != "" || tags["a"] != "" {
		// A declination asks for no logo (BIMI draft 4.3.1): what DMARC
		// would allow does not matter.
		bimiDMARC(ctx, r, f, name, rec, domain, dmarc)
	}
	return tags
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
func misplacedBIMI(ctx context.Context, r resolver.Resolver, f *findings, domain string) {
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
			f.add(SevError, "wrong-location", at, s, bimiRef,
				"%q is published at %s, where receivers never look for BIMI: they read %s (the selector \"default\" under _bimi), so no logo is shown; move it there",
				s, at, want)
			f.proposes(want, "TXT", strings.TrimSpace(s))
			return
		}
	}
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

// bimiDMARC reports, as an error, what on DMARC's side keeps receivers
// from showing a BIMI logo for mail from domain (BIMI draft 7.1, items 7
// to 9): no usable DMARC record, or, in the record that applies to the
// domain (sp of the organisational domain's record for a subdomain with
// none of its own) or in the record of its organisational domain,
// p=none, sp=none, or a quarantine that applies to less than all mail
// (pct under 100). Where one record is to change, the finding proposes
// it (enforcedDMARC).
func bimiDMARC(ctx context.Context, r resolver.Resolver, f *findings, name, rec, domain string, dmarc *DMARCReport) {
	// The DMARC requirements are all in the draft's Receiver Actions,
	// 7.1 (Authentication Requirements), whichever of them fails.
	const ref = "draft-brand-indicators-for-message-identification 7.1"
	const rule = "receivers show BIMI logos only where DMARC is enforced (p=quarantine for all mail, pct=100, or p=reject), in the record that applies to the domain and in its organisational domain's, with no sp=none"
	policy, _ := dmarc.Effective()
	if policy == "" {
		org := OrgDomain(domain)
		want := "v=DMARC1; p=quarantine; rua=mailto:dmarc@" + org
		f.add(SevError, "dmarc-policy", name, rec, ref,
			"mail from %s gets no BIMI logo, because it has no usable DMARC record, and %s: publish %q at _dmarc.%s (or, if you do not know yet whether all your own mail passes DMARC, \"v=DMARC1; p=none; rua=mailto:dmarc@%s\" for a few weeks first, and move to p=quarantine once its reports show it does)",
			domain, rule, want, org, org)
		f.proposes("_dmarc."+org, "TXT", want)
		return
	}
	type policyRecord struct {
		at  string
		rec string
		p   *DMARCRecord
	}
	recs := []policyRecord{{dmarc.PolicyDomain, dmarc.Record, dmarc.Parsed}}
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
				recs = append(recs, policyRecord{at: where, rec: found[0], p: p})
			}
		}
	}
	var why, fix []string
	var fixed []Publish
	for _, x := range recs {
		at := "_dmarc." + x.at
		w := bimiPolicyProblems(x.p, at)
		if len(w) == 0 {
			continue
		}
		why = append(why, w...)
		if want := enforcedDMARC(x.rec); want != "" {
			fixed = append(fixed, Publish{Name: at, Type: "TXT", Value: want})
			fix = append(fix, fmt.Sprintf("publish %q at %s", want, at))
		} else {
			fix = append(fix, "set p=quarantine (with pct=100 or no pct) or p=reject, and no sp=none, at "+at)
		}
	}
	if len(why) == 0 {
		return
	}
	f.add(SevError, "dmarc-policy", name, rec, ref,
		"mail from %s gets no BIMI logo, because its DMARC policy is not enforced: %s; %s; once DMARC's aggregate reports show your own mail passing, %s",
		domain, strings.Join(why, " and "), rule, strings.Join(fix, "; "))
	if len(fixed) == 1 {
		f.proposes(fixed[0].Name, fixed[0].Type, fixed[0].Value)
	}
}

// bimiPolicyProblems says what in the DMARC record p, at at, keeps BIMI
// from applying: p=none (or no p, read as none), sp=none, or a
// quarantine with pct under 100, its p or its sp (pct applies to both).
func bimiPolicyProblems(p *DMARCRecord, at string) []string {
	var why []string
	switch p.Policy {
	case "none":
		why = append(why, "p=none at "+at+" (monitoring only: mail that fails DMARC is delivered as usual)")
	case "":
		why = append(why, "no p at "+at+" (read as p=none: monitoring only)")
	}
	if p.SubPolicy == "none" {
		why = append(why, "sp=none at "+at+" (monitoring only for subdomains)")
	}
	switch {
	case p.Pct >= 100:
	case p.Policy == "quarantine":
		why = append(why, fmt.Sprintf("p=quarantine with pct=%d at %s (the rest of failing mail is delivered as usual)", p.Pct, at))
	case p.SubPolicy == "quarantine":
		why = append(why, fmt.Sprintf("sp=quarantine with pct=%d at %s (the rest of subdomains' failing mail is delivered as usual)", p.Pct, at))
	}
	return why
}

// enforcedDMARC is rec, a DMARC record, as BIMI needs it: p=none (or no
// p) made p=quarantine, sp=none removed (subdomains then take p), and
// pct removed when the record quarantines; a misspelt policy read as the
// one meant, not downgraded; its report addresses and other tags kept.
// "" when the result does not parse.
func enforcedDMARC(rec string) string {
	// enforced is the policy v (a p or sp value) as BIMI takes it: itself
	// or the policy a misspelling meant, "" for none.
	enforced := func(v string) string {
		lv := strings.ToLower(v)
		if lv != "quarantine" && lv != "reject" {
			lv = meantPolicy(v)
		}
		if lv == "none" {
			return ""
		}
		return lv
	}
	parts := strings.Split(rec, ";")
	policy, sub := "quarantine", ""
	for _, part := range parts[1:] {
		k, v, _ := strings.Cut(part, "=")
		switch strings.ToLower(strings.Trim(k, " \t")) {
		case "p":
			policy = cmp.Or(enforced(strings.Trim(v, " \t")), "quarantine")
		case "sp":
			sub = enforced(strings.Trim(v, " \t"))
		}
	}
	out := []string{strings.Trim(parts[0], " \t"), "p=" + policy}
	for _, part := range parts[1:] {
		part = strings.Trim(part, " \t")
		k, _, _ := strings.Cut(part, "=")
		switch k = strings.ToLower(strings.Trim(k, " \t")); {
		case part == "", k == "p":
		case k == "sp" && sub != "":
			out = append(out, "sp="+sub)
		case k == "sp":
		case k == "pct" && (policy == "quarantine" || sub == "quarantine"):
		default:
			out = append(out, part)
		}
	}
	cand := strings.Join(out, "; ")
	p, err := ParseDMARC(cand)
	if err != nil {
		return ""
	}
	return fixedDMARC(cand, p)
}

// logoNotChecked is the code of the finding that says a BIMI logo was
// not fetched because the check was told not to (relaylab probe
// --no-bimi-logo, probe.bimi_logo: false).
const logoNotChecked = "logo-not-checked"

// logoOff is what turned the logo's fetch off, and how to turn it on.
type logoOff struct{ by, fix string }

// The switches that turn the logo's fetch off.
var (
	logoOffCLI   = logoOff{"--no-bimi-logo", "run relaylab probe without --no-bimi-logo to check it"}
	logoOffWatch = logoOff{"probe.bimi_logo: false", "set probe.bimi_logo: true (the default) to check it"}
)

// logoNotCheckedMessage says that the logo at logo was not fetched, and
// that off is why.
func logoNotCheckedMessage(logo string, off logoOff) string {
	return fmt.Sprintf("logo not checked (%s): the logo at %s was not fetched, so whether receivers can fetch it and take it as SVG Tiny PS is not known; %s", off.by, logo, off.fix)
}

// logoOffBy names off as what turned the logo's fetch off in the BIMI
// finding that says so, in rep and in its bimi check: the monitor's
// probe.bimi_logo rather than relaylab probe's --no-bimi-logo.
func (rep *Report) logoOffBy(off logoOff) {
	if rep.BIMI == nil {
		return
	}
	relabel := func(fs []Finding) {
		for i := range fs {
			if fs[i].Code == "bimi."+logoNotChecked {
				fs[i].Message = logoNotCheckedMessage(fs[i].Name, off)
			}
		}
	}
	relabel(rep.BIMI.Findings)
	for i := range rep.Checks {
		if rep.Checks[i].Check == "bimi" {
			relabel(rep.Checks[i].Findings)
		}
	}
}
