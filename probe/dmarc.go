package probe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"blitiri.com.ar/go/spf"
	"golang.org/x/net/publicsuffix"

	"github.com/relaylab/relaylab/internal/resolver"
)

// OrgDomain returns the organisational domain of d: one label more than
// its public suffix (RFC 7489 3.2), or d itself when it has none.
func OrgDomain(d string) string {
	d = strings.TrimSuffix(strings.ToLower(d), ".")
	if o, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return o
	}
	return d
}

// DMARCReport is the result of CheckDMARC.
type DMARCReport struct {
	Domain string `json:"domain"`
	// PolicyDomain is where the record was found: the domain, or its
	// organisational domain (RFC 7489 6.6.3).
	PolicyDomain string `json:"policy_domain,omitempty"`
	// Record is the DMARC record that applies; absent when there is none
	// or several (dmarc.multiple): receivers then apply no policy.
	Record string `json:"record,omitempty"`
	// Records is every DMARC record at _dmarc.PolicyDomain, in the order
	// served: Record alone, or the several of dmarc.multiple.
	Records  []string     `json:"records"`
	Parsed   *DMARCRecord `json:"parsed,omitempty"`
	Status   Status       `json:"status"`
	Findings []Finding    `json:"findings"`
	// discarded is the name of Domain's own record that receivers
	// discard, when the organisational domain's record applies instead.
	discarded string
}

// Effective returns the policy that applies to mail from Domain and the
// share of failing mail it applies to: sp when the record was found at the
// organisational domain and has one (RFC 7489 6.6.3), p otherwise, "none"
// when p is missing; "" when there is no usable record.
func (d *DMARCReport) Effective() (policy string, pct int) {
	if d == nil || d.Parsed == nil {
		return "", 0
	}
	policy = d.Parsed.Policy
	if d.PolicyDomain != strings.TrimSuffix(strings.ToLower(d.Domain), ".") && d.Parsed.SubPolicy != "" {
		policy = d.Parsed.SubPolicy
	}
	if policy == "" {
		policy = "none"
	}
	return policy, d.Parsed.Pct
}

// findDMARC looks up the policy for domain with the organisational-domain
// fallback. It returns the records found and where.
func findDMARC(ctx context.Context, r resolver.Resolver, domain string) (where string, recs []string, err error) {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	for _, d := range []string{domain, OrgDomain(domain)} {
		if d == where {
			break
		}
		where = d
		t, err := lookupTXT(ctx, r, "_dmarc."+d)
		if err != nil {
			return d, nil, err
		}
		for _, s := range t.Joined() {
			if IsDMARC(s) {
				recs = append(recs, s)
			}
		}
		if len(recs) > 0 {
			return d, recs, nil
		}
	}
	return "", nil, nil
}

// CheckDMARC fetches and validates the DMARC policy of domain.
func CheckDMARC(ctx context.Context, r resolver.Resolver, log *slog.Logger, domain string) DMARCReport {
	f := &findings{check: "dmarc"}
	rep := DMARCReport{Domain: domain}
	where, recs, err := findDMARC(ctx, r, domain)
	name := "_dmarc." + where
	switch {
	case err != nil:
		f.dnsFailed(name, err)
	case len(recs) == 0:
		if at, near := nearDMARC(ctx, r, domain); near != "" {
			fixed := fixedNearDMARC(near)
			f.add(SevError, "none", at, near, "RFC 7489 6.6.3",
				"%q at %s is not read as DMARC, because %s, so receivers that follow RFC 7489 apply no policy to forged mail from %s: publish it as %q",
				near, at, whyNotDMARC(near), domain, fixed)
			f.proposes(at, "TXT", fixed)
			// A record at the domain itself is lost as well.
			misplacedDMARC(ctx, r, f, domain, &rep)
			break
		}
		misplacedDMARC(ctx, r, f, domain, &rep)
		at := "_dmarc." + domain
		if org := OrgDomain(domain); org != domain {
			at += " or at _dmarc." + org + " (its organisational domain)"
		}
		org := OrgDomain(domain)
		first := "v=DMARC1; p=none; rua=mailto:dmarc@" + org
		f.add(SevError, "none", "_dmarc."+domain, "", "RFC 7489 6.6.3",
			"no DMARC record at %s, so receivers apply no policy to forged mail from %s, and large receivers (Gmail, Yahoo) refuse bulk mail without one: publish %q at _dmarc.%s, then move p to quarantine and reject once the reports show your mail aligned",
			at, domain, first, org)
		f.proposes("_dmarc."+org, "TXT", first)
	case len(recs) > 1:
		rep.PolicyDomain, rep.Records = where, recs
		keep, one := keepOneDMARC(recs)
		f.add(SevError, "multiple", name, strings.Join(recs, " | "), "RFC 7489 6.6.3",
			"%d DMARC records at %s: receivers then apply no policy at all; %s", len(recs), name, keep)
		f.proposes(name, "TXT", one)
	default:
		rep.PolicyDomain, rep.Record, rep.Records = where, recs[0], recs
		semicolons, semiFixed := missingSemicolons(f, name, recs[0])
		p, err := ParseDMARC(recs[0])
		var repeat *DMARCRepeatError
		if errors.As(err, &repeat) {
			repeatedDMARC(f, name, domain, recs[0], repeat)
			break
		}
		if err != nil {
			// The record to publish is the user's, mended: the one
			// dmarc.missing-semicolon gives when a ";" is missing, its
			// own policy and report addresses kept otherwise.
			proposed, how := semiFixed, " (the record with the missing \";\" in place, as dmarc.missing-semicolon says)"
			if !semicolons {
				proposed, how = mendedDMARC(recs[0], where), ""
			}
			then := ""
			if strings.Contains(proposed, "p=none") {
				then = ", then move p to quarantine and reject once the aggregate reports show your own mail aligned"
			}
			f.add(SevError, "syntax", name, recs[0], "RFC 7489 6.6.3",
				"%v, so receivers apply no DMARC policy to mail from %s: publish %q%s%s",
				err, domain, proposed, how, then)
			f.proposes(name, "TXT", proposed)
			break
		}
		rep.Parsed = p
		if where != strings.TrimSuffix(strings.ToLower(domain), ".") {
			rep.discarded = discardedOwnDMARC(ctx, r, f, domain, rep)
		}
		f.add(SevInfo, "policy", name, recs[0], "RFC 7489 6.6.3", "%s", describeDMARC(rep))
		checkDMARCPolicy(ctx, r, f, name, where, domain, recs[0], p)
		if semicolons {
			// The p tag is there, swallowed by the tag before it: the
			// missing-semicolon finding says what to publish.
			f.list = slices.DeleteFunc(f.list, func(x Finding) bool { return x.Code == "dmarc.no-policy" })
		}
	}
	if rep.Record != "" {
		// A record at the domain itself is lost whether or not a
		// record at a _dmarc name applies.
		misplacedDMARC(ctx, r, f, domain, &rep)
	}
	rep.Findings, rep.Status = f.list, f.status()
	log.Debug("dmarc checked", "domain", domain, "status", rep.Status)
	return rep
}

// dmarcTagAfterSpace finds a DMARC tag that follows a value after a space
// instead of a ";": "v=DMARC1 p=reject".
var dmarcTagAfterSpace = regexp.MustCompile(`([^;\s])[ \t]+((?i:v|p|sp|rua|ruf|adkim|aspf|pct|fo|rf|ri)[ \t]*=)`)

// missingSemicolons reports tags that are separated by spaces instead of
// ";" (RFC 7489 6.4: dmarc-sep), which receivers read as part of the
// value before them.
func missingSemicolons(f *findings, name, rec string) (bool, string) {
	var what []string
	for _, part := range strings.Split(rec, ";") {
		part = strings.Trim(part, " \t")
		for _, m := range dmarcTagAfterSpace.FindAllStringSubmatchIndex(part, -1) {
			k, v, _ := strings.Cut(part, "=")
			tag := strings.TrimRight(part[m[4]:m[5]], " \t=")
			what = append(what, fmt.Sprintf("%q has no \";\" before %s=, so receivers read it as %s=%q",
				part, tag, strings.Trim(k, " \t"), strings.Trim(v, " \t")))
			break
		}
	}
	if len(what) == 0 {
		return false, ""
	}
	fixed := dmarcTagAfterSpace.ReplaceAllString(rec, "$1; $2")
	if p, err := ParseDMARC(fixed); err == nil {
		// Mended as the other findings would mend it (tag-invalid,
		// uri-count), so that every finding proposes one record.
		fixed = fixedDMARC(fixed, p)
	}
	f.add(SevError, "missing-semicolon", name, rec, "RFC 7489 6.4",
		"%s, and the tags after the space are lost: DMARC tags are separated by \";\"; publish %q", strings.Join(what, "; "), fixed)
	f.proposes(name, "TXT", fixed)
	return true, fixed
}

// mendedDMARC is rec, a record that ParseDMARC refuses for its p or sp
// (missing or not a policy, with no valid rua to fall back on), as it
// should be published: its own policy kept, a misspelt one read as the
// policy meant (meantPolicy), a missing or unreadable p as p=none, its
// report addresses kept (mailto: added where missing), and
// rua=mailto:dmarc@WHERE only when it has none, so that p=none can be
// moved on from. Nothing is downgraded and no address is replaced.
func mendedDMARC(rec, where string) string {
	policy, sub := "none", ""
	var rest []string
	hasRUA := false
	for i, part := range strings.Split(rec, ";") {
		k, v, ok := strings.Cut(strings.Trim(part, " \t"), "=")
		k, v = strings.ToLower(strings.Trim(k, " \t")), strings.Trim(v, " \t")
		if i == 0 || !ok || k == "" {
			continue
		}
		lv := strings.ToLower(v)
		if lv != "none" && lv != "quarantine" && lv != "reject" {
			lv = meantPolicy(v)
		}
		switch k {
		case "p":
			policy = cmp.Or(lv, policy)
		case "sp":
			sub = lv
		case "rua", "ruf":
			if v = fixedURIs(v); v == "" {
				continue
			}
			hasRUA = hasRUA || k == "rua"
			rest = append(rest, k+"="+v)
		default:
			rest = append(rest, k+"="+v)
		}
	}
	out := []string{"v=DMARC1", "p=" + policy}
	if sub != "" {
		out = append(out, "sp="+sub)
	}
	out = append(out, rest...)
	if !hasRUA {
		out = append(out, "rua=mailto:dmarc@"+where)
	}
	cand := strings.Join(out, "; ")
	if p, err := ParseDMARC(cand); err == nil {
		return fixedDMARC(cand, p)
	}
	return "v=DMARC1; p=" + policy + "; rua=mailto:dmarc@" + where
}

// keepOneDMARC says which of several DMARC records to keep: the one with
// the strictest policy that parses (the first of equals), so that no
// protection is lost, given the report addresses of the others it lacks
// so that no reports are lost either; and that record ("" when none
// parses).
func keepOneDMARC(recs []string) (advice, keep string) {
	rank := map[string]int{"none": 1, "quarantine": 2, "reject": 3}
	best, bestRank := -1, 0
	parsed := make([]*DMARCRecord, len(recs))
	for i, rec := range recs {
		p, err := ParseDMARC(rec)
		if err != nil {
			continue
		}
		parsed[i] = p
		if rank[p.Policy] > bestRank {
			best, bestRank = i, rank[p.Policy]
		}
	}
	if best < 0 {
		return "none of them is valid: publish one, such as \"v=DMARC1; p=none; rua=mailto:dmarc@DOMAIN\", and remove the others", ""
	}
	keep = fixedDMARC(recs[best], parsed[best])
	var left []string // addresses beyond the two URIs receivers need use
	for _, tag := range []string{"rua", "ruf"} {
		var add []string
		own := parsed[best].RUA
		if tag == "ruf" {
			own = parsed[best].RUF
		}
		for i, p := range parsed {
			if p == nil || i == best {
				continue
			}
			list := p.RUA
			if tag == "ruf" {
				list = p.RUF
			}
			for _, u := range list {
				if !slices.Contains(own, u) && !slices.Contains(add, u) {
					add = append(add, u)
				}
			}
		}
		// RFC 7489 6.2: receivers need send reports only to the first
		// two URIs (dmarc.uri-count); fixedDMARC kept at most two.
		room := max(dmarcMaxURIs-min(len(own), dmarcMaxURIs), 0)
		if len(add) > room {
			left = append(left, add[room:]...)
			add = add[:room]
		}
		if len(add) > 0 {
			if _, has := dmarcTag(keep, tag); has {
				keep = regexp.MustCompile(`(`+tag+`=[^;]*)`).ReplaceAllString(keep, "${1},"+strings.Join(add, ","))
			} else {
				keep += "; " + tag + "=" + strings.Join(add, ",")
			}
		}
	}
	also := ""
	if len(left) > 0 {
		also = fmt.Sprintf("; receivers need send reports to only two URIs of each list (RFC 7489 6.2), so have one of those addresses forward to %s", strings.Join(left, ", "))
	}
	return fmt.Sprintf("publish only %q (the strictest policy, %s, with the report addresses of the others) and remove the others%s", keep, parsed[best].Policy, also), keep
}

// misplacedDMARC reports a DMARC record published at the domain itself
// (or its organisational domain) instead of at _dmarc: receivers look
// only at _dmarc.DOMAIN (RFC 7489 6.1), so it applies nowhere. rep is the
// record found at a _dmarc name, if any (rep.Record is "" when none was):
// then only the names up to where it was found are looked at, and the
// finding says what applies instead.
func misplacedDMARC(ctx context.Context, r resolver.Resolver, f *findings, domain string, rep *DMARCReport) {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	names := slices.Compact([]string{domain, OrgDomain(domain)})
	if rep.PolicyDomain == domain {
		names = names[:1] // the organisational domain's own records do not apply to domain
	}
	for _, d := range names {
		t, err := lookupTXT(ctx, r, d)
		if err != nil {
			continue
		}
		for _, s := range t.Joined() {
			if !IsDMARC(s) && !looksDMARC(s) {
				continue
			}
			fixed := s
			if !IsDMARC(s) {
				fixed = fixedNearDMARC(s)
			}
			switch {
			case rep.PolicyDomain == d:
				// A stray copy beside the record that applies.
				f.add(SevWarning, "wrong-location", d, s, "RFC 7489 6.1",
					"%q is published at %s itself, where receivers never look for DMARC: they read the record at _dmarc.%s (%q), so this one does nothing; remove it from %s, and if it says what you meant, put that in the record at _dmarc.%s",
					s, d, d, rep.Record, d, d)
			case rep.PolicyDomain != "":
				// The domain's own policy, lost: the organisational
				// domain's applies in its place.
				f.add(SevError, "wrong-location", d, s, "RFC 7489 6.1",
					"%q is published at %s itself, where receivers never look for DMARC, so it applies to no mail: they read _dmarc.%s, find no record they can use, and apply the one of the organisational domain at _dmarc.%s instead%s; move it to _dmarc.%s (publish %q there and remove it from %s)",
					s, d, d, rep.PolicyDomain, appliedInstead(rep, fixed), d, fixed, d)
				f.proposes("_dmarc."+d, "TXT", fixed)
			default:
				f.add(SevError, "wrong-location", d, s, "RFC 7489 6.1",
					"%q is published at %s itself, where receivers never look for DMARC: they read it only at _dmarc.%s, so it applies to no mail; move it to _dmarc.%s (publish %q there and remove it from %s)",
					s, d, d, d, fixed, d)
				f.proposes("_dmarc."+d, "TXT", fixed)
			}
			return
		}
	}
}

// appliedInstead says what the record rep gives mail from its domain
// when a record the domain meant (want) is not read: " (mail from D that
// fails DMARC gets P, not the p=Q it asks for)", or "" when rep's record
// does not parse.
func appliedInstead(rep *DMARCReport, want string) string {
	policy, _ := rep.Effective()
	if policy == "" {
		return ""
	}
	asked := ""
	if p, err := ParseDMARC(want); err == nil && p.Policy != "" && p.Policy != policy {
		asked = fmt.Sprintf(", not the p=%s it asks for", p.Policy)
	}
	return fmt.Sprintf(" (mail from %s that fails DMARC gets %s%s)", rep.Domain, policy, asked)
}

// nearDMARC looks at the DMARC names of domain and its organisational
// domain for a TXT record that looks meant as a DMARC record but that
// receivers discard (RFC 7489 6.6.3: it must start with "v=DMARC1"), and
// returns where it is and the record.
func nearDMARC(ctx context.Context, r resolver.Resolver, domain string) (at, rec string) {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	for _, d := range []string{domain, OrgDomain(domain)} {
		if rec := nearDMARCAt(ctx, r, "_dmarc."+d); rec != "" {
			return "_dmarc." + d, rec
		}
		if d == OrgDomain(domain) {
			break
		}
	}
	return "", ""
}

// nearDMARCAt returns the first TXT record at name that looks meant as
// DMARC but is discarded by receivers, or "".
func nearDMARCAt(ctx context.Context, r resolver.Resolver, name string) string {
	t, err := lookupTXT(ctx, r, name)
	if err != nil {
		return ""
	}
	for _, s := range t.Joined() {
		if !IsDMARC(s) && looksDMARC(s) {
			return s
		}
	}
	return ""
}

// looksDMARC reports whether a TXT record that is not DMARC was meant as
// one: it starts with v=DMARC1 in another case or form, or it has the
// v=DMARC1 tag later (RFC 7489 6.4: v must come first), or it has no
// version tag but a p tag ("p=reject; rua=...").
func looksDMARC(s string) bool {
	if strings.HasPrefix(strings.ToLower(strings.Trim(s, " \t\"'")), "v=dmarc1") {
		return true
	}
	if lateDMARCVersion(s) > 0 {
		return true
	}
	_, hasV := dmarcTag(s, "v")
	p, hasP := dmarcTag(s, "p")
	return !hasV && hasP && meantPolicy(p) != ""
}

// lateDMARCVersion is the index among rec's ";"-separated tags of its
// v=DMARC1 tag (in any case), or -1 when it has none.
func lateDMARCVersion(rec string) int {
	for i, part := range strings.Split(rec, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.EqualFold(strings.Trim(k, " \t\"'"), "v") && strings.EqualFold(strings.Trim(v, " \t\"'"), "DMARC1") {
			return i
		}
	}
	return -1
}

// dmarcTag returns the value of rec's first tag name (in any case).
func dmarcTag(rec, name string) (string, bool) {
	for _, part := range strings.Split(rec, ";") {
		if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(strings.Trim(k, " \t\"'"), name) {
			return strings.Trim(v, " \t\"'"), true
		}
	}
	return "", false
}

// discardedOwnDMARC reports a record at _dmarc.domain that receivers
// discard while the record of the organisational domain (rep) applies
// instead, and returns its name ("" when there is none). RFC 7489 6.6.3:
// a discarded record counts as none, so the lookup goes on to the
// organisational domain, whose policy may be weaker than the one the
// discarded record asked for.
func discardedOwnDMARC(ctx context.Context, r resolver.Resolver, f *findings, domain string, rep DMARCReport) string {
	name := "_dmarc." + strings.TrimSuffix(strings.ToLower(domain), ".")
	rec := nearDMARCAt(ctx, r, name)
	if rec == "" {
		return ""
	}
	policy, _ := rep.Effective()
	asked := ""
	fixed := fixedNearDMARC(rec)
	if p, err := ParseDMARC(fixed); err == nil && p.Policy != "" && p.Policy != policy {
		asked = fmt.Sprintf(", not the p=%s it asks for", p.Policy)
	}
	f.add(SevError, "discarded", name, rec, "RFC 7489 6.6.3",
		"%q at %s is not read as DMARC, because %s, so receivers discard it and apply the record of the organisational domain at _dmarc.%s instead: mail from %s that fails DMARC gets %s%s; publish it as %q",
		rec, name, whyNotDMARC(rec), rep.PolicyDomain, domain, policy, asked, fixed)
	f.proposes(name, "TXT", fixed)
	return name
}

// whyNotDMARC says why nearDMARC took rec for no DMARC record.
func whyNotDMARC(rec string) string {
	t := strings.Trim(rec, " \t\"'")
	if !strings.HasPrefix(strings.ToLower(t), "v=dmarc1") {
		if i := lateDMARCVersion(rec); i > 0 {
			return fmt.Sprintf("\"v=DMARC1\" must come first (RFC 7489 6.4), and here it comes after %q", strings.Trim(strings.Join(strings.Split(rec, ";")[:i], ";"), " \t"))
		}
		return "it has no \"v=DMARC1\", which must come first (RFC 7489 6.4)"
	}
	switch {
	case rec[0] == ' ' || rec[0] == '\t':
		return "it starts with a space before \"v=DMARC1\", and receivers discard a record that does not start with \"v=DMARC1\" (RFC 7489 6.6.3)"
	case !strings.HasPrefix(strings.TrimLeft(rec, " \t"), t[:1]):
		return fmt.Sprintf("it starts with %q, not with \"v=DMARC1\" (quotes that belong to the zone file's syntax, not to the record)", rec[:strings.Index(rec, t[:1])])
	case t[0] == 'V':
		// RFC 7489 6.3 takes DKIM's tag-value syntax, whose tag names
		// are case-sensitive (RFC 6376 3.2), though 6.4's ABNF alone
		// would read "v" in any case: receivers differ, so it is named.
		return "it starts with \"V=\", and receivers look for \"v=DMARC1\" with a lower-case v (RFC 7489 6.3 takes DKIM's tag-value syntax, in which tag names are case-sensitive, RFC 6376 3.2)"
	case t[2:8] == "DMARC1" && len(t) > 8:
		// "v=DMARC1p=reject", "v=DMARC1,p=reject", "v=DMARC1 p=reject":
		// the version is right, but what follows it makes it another
		// version.
		what := fmt.Sprintf("%q", t[8:9])
		if next := strings.Fields(t[8:]); (t[8] == ' ' || t[8] == '\t') && len(next) > 0 {
			what = fmt.Sprintf("a space and %q", strings.TrimRight(next[0], ";"))
		}
		return fmt.Sprintf("\"v=DMARC1\" is followed by %s instead of \";\", which makes the version %q", what, strings.TrimSpace(strings.SplitN(t[2:], ";", 2)[0]))
	}
	return fmt.Sprintf("its version is %q, and it must be \"DMARC1\" in capitals (RFC 7489 6.4)", t[2:8])
}

// fixedNearDMARC is rec without stray quotes, with its version in
// capitals and a ";" after it and between its tags.
func fixedNearDMARC(rec string) string {
	t := strings.Trim(rec, " \t\"'")
	if !strings.HasPrefix(strings.ToLower(t), "v=dmarc1") {
		// The version tag later or missing: the same tags after
		// v=DMARC1.
		parts := strings.Split(t, ";")
		if i := lateDMARCVersion(t); i >= 0 {
			parts = slices.Delete(parts, i, i+1)
		}
		var keep []string
		for _, p := range parts {
			if p = strings.Trim(p, " \t"); p != "" {
				keep = append(keep, p)
			}
		}
		t = "v=DMARC1; " + strings.Join(keep, "; ")
	}
	rest := strings.TrimLeft(t[len("v=DMARC1"):], " \t,;")
	if rest == "" {
		return "v=DMARC1"
	}
	return dmarcTagAfterSpace.ReplaceAllString("v=DMARC1; "+rest, "$1; $2")
}

// strictestMerged is e.Merged with the strictest of the values given to
// a repeated p, sp or np in place of the last one, which lenient
// receivers read: the record proposed must not weaken the policy that
// strict readers of either place may have been meant to apply.
func strictestMerged(e *DMARCRepeatError) string {
	rank := map[string]int{"none": 1, "quarantine": 2, "reject": 3}
	strictest := map[string]string{}
	for _, r := range e.Repeats {
		if r.Tag != "p" && r.Tag != "sp" && r.Tag != "np" {
			continue
		}
		for _, v := range r.Values {
			if lv := strings.ToLower(v); rank[lv] > rank[strictest[r.Tag]] {
				strictest[r.Tag] = lv
			}
		}
	}
	parts := strings.Split(e.Merged, "; ")
	for i, part := range parts {
		k, _, _ := strings.Cut(part, "=")
		if v := strictest[k]; v != "" {
			parts[i] = k + "=" + v
		}
	}
	return strings.Join(parts, "; ")
}

// repeatedDMARC reports a record that gives a tag twice. It is a syntax
// error, not a tag-invalid one: no receiver discards just the repeated tag
// for its default. RFC 7489 6.3 takes DKIM's tag syntax, which makes the
// whole record invalid (RFC 6376 3.2), and receivers that follow it apply
// no policy; others (OpenDMARC) read the last value and join rua lists.
func repeatedDMARC(f *findings, name, domain, rec string, e *DMARCRepeatError) {
	var what, lenient []string
	for _, r := range e.Repeats {
		what = append(what, fmt.Sprintf("%s is given %d times (%s=%s)", r.Tag, len(r.Values), r.Tag, strings.Join(r.Values, ", "+r.Tag+"=")))
	}
	proposed, strictest := strictestMerged(e), ""
	if proposed != e.Merged {
		strictest = " (with the strictest of the policies given, so that no protection is lost)"
	}
	if p, err := ParseDMARC(proposed); err == nil {
		proposed = fixedDMARC(proposed, p)
	}
	if p, err := ParseDMARC(e.Merged); err == nil {
		policy := p.Policy
		if policy == "" {
			policy = "none"
		}
		lenient = append(lenient, "p="+policy)
		if p.SubPolicy != "" {
			lenient = append(lenient, "sp="+p.SubPolicy)
		}
		if len(p.RUA) > 0 {
			lenient = append(lenient, "reports to "+strings.Join(p.RUA, ", "))
		}
	}
	reading := "read the last value of each tag and join the rua and ruf lists"
	if len(lenient) > 0 {
		reading += " (" + strings.Join(lenient, ", ") + ")"
	}
	f.add(SevError, "syntax", name, rec, "RFC 7489 6.3",
		"%s: DMARC records use DKIM's tag syntax (RFC 7489 6.3), under which a record that repeats a tag is invalid as a whole (RFC 6376 3.2), so receivers that follow it apply no DMARC policy to mail from %s, while others (OpenDMARC among them) %s; receivers disagree, so give each tag once: publish \"%s\"%s",
		strings.Join(what, "; "), domain, reading, proposed, strictest)
	f.proposes(name, "TXT", proposed)
}

// invalidPolicyTag is the problem of a p or sp tag that holds no valid
// policy, nil when there is none.
func invalidPolicyTag(p *DMARCRecord) *DMARCProblem {
	for i, pr := range p.Problems {
		if pr.Tag == "p" || pr.Tag == "sp" {
			return &p.Problems[i]
		}
	}
	return nil
}

// writtenTag is the value of tag as record writes it, "" when absent.
func writtenTag(record, tag string) string {
	for _, part := range strings.Split(record, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.EqualFold(strings.Trim(k, " \t"), tag) {
			return strings.Trim(v, " \t")
		}
	}
	return ""
}

func checkDMARCPolicy(ctx context.Context, r resolver.Resolver, f *findings, name, where, domain, rec string, p *DMARCRecord) {
	effective := p.Policy
	if where != domain && p.SubPolicy != "" {
		effective = p.SubPolicy
	}
	fixed := fixedDMARC(rec, p)
	for _, pr := range p.Problems {
		sev := SevWarning
		switch pr.Tag {
		case "p", "sp", "rua", "ruf":
			sev = SevError // the policy or the reports are lost
		}
		what := pr.Tag + "=" + pr.Value
		switch {
		case pr.Tag == "":
			what = "the record"
		case pr.Tag == "rua" || pr.Tag == "ruf":
			what = fmt.Sprintf("%s entry %q", pr.Tag, pr.Value)
		}
		f.add(sev, "tag-invalid", name, rec, "RFC 7489 6.3",
			"%s %s, so %s; the rest of the record still applies. Publish instead: \"%s\"", what, pr.Problem, pr.Effect, fixed)
		f.proposes(name, "TXT", fixed)
	}
	if p.pNotSecond {
		f.add(SevWarning, "p-order", name, rec, "RFC 7489 6.3",
			"p is not the tag right after v=DMARC1; RFC 7489 requires that order and some receivers discard the record otherwise: publish \"%s\"", fixed)
		f.proposes(name, "TXT", fixed)
	}
	if p.FO != "" && len(p.RUF) == 0 {
		f.add(SevInfo, "fo-without-ruf", name, rec, "RFC 7489 6.3",
			"fo=%s chooses when failure reports are sent, but there is no ruf to send them to: add ruf=mailto:... or drop fo", p.FO)
	}
	switch {
	case p.Policy == "":
		f.add(SevWarning, "no-policy", name, rec, "RFC 7489 6.6.3",
			"the p tag is missing, so receivers treat the record as p=none and protect nothing: publish \"%s\", then move to quarantine and reject", fixed)
		f.proposes(name, "TXT", fixed)
	case effective == "none" && where != domain && p.SubPolicy == "none" && p.Policy != "none":
		// One root cause, the inherited sp=none: said once, below.
	case effective == "none" && invalidPolicyTag(p) != nil:
		// RFC 7489 6.6.3: an invalid p or sp makes the whole record
		// p=none (when rua is valid): quote what it says, and why.
		pr := invalidPolicyTag(p)
		says := ""
		if pr.Tag == "sp" {
			if v := writtenTag(rec, "p"); v != "" {
				says = fmt.Sprintf(", though the record says p=%s", v)
			}
		}
		f.add(SevWarning, "p-none", name, rec, "RFC 7489 6.6.3",
			"the policy for %s is none%s: its %s=%s is not none, quarantine or reject, and receivers then act as if the whole record said p=none (RFC 7489 6.6.3), so forged mail from it is still delivered; publish \"%s\"", domain, says, pr.Tag, pr.Value, fixed)
		f.proposes(name, "TXT", fixed)
	case effective == "none":
		tag := "p"
		if where != domain && p.SubPolicy != "" {
			tag = "sp"
		}
		f.add(SevWarning, "p-none", name, rec, "RFC 7489 6.3",
			"the policy for %s is none (%s=none at %s): forged mail from it is still delivered; once the aggregate reports show your own mail aligned, set %s=quarantine and then %s=reject", domain, tag, name, tag, tag)
	}
	switch {
	case p.Pct == 0 && effective != "none":
		// RFC 7489 6.6.4: mail not selected by pct gets the next milder
		// policy, and pct=0 selects none of it.
		milder := map[string]string{"reject": "quarantine", "quarantine": "none"}[effective]
		f.add(SevWarning, "pct", name, rec, "RFC 7489 6.6.4",
			"pct=0: the %s policy applies to none of the mail that fails DMARC, and receivers give all of it the next milder policy, %s: raise pct to 100 (or remove pct, whose default is 100) once the reports show your own mail aligned", effective, milder)
	case p.Pct < 100 && effective != "none":
		f.add(SevInfo, "pct", name, rec, "RFC 7489 6.3", "pct=%d: the policy applies to only %d%% of failing mail", p.Pct, p.Pct)
	}
	if p.SubPolicy == "none" && p.Policy != "none" {
		among := ""
		if where != domain {
			among = ", " + domain + " among them,"
		}
		f.add(SevWarning, "sp-none", name, rec, "RFC 7489 6.3",
			"sp=none leaves every subdomain%s open to forgery (forged mail from them is still delivered) while the domain itself is protected: remove sp (subdomains then get p=%s) or set sp=quarantine or reject", among, p.Policy)
	}
	if p.NP == "none" && p.Policy != "none" && p.SubPolicy != "none" {
		f.add(SevWarning, "np-none", name, rec, "RFC 9091 3.2",
			"np=none asks receivers that apply np (RFC 9091, an experimental extension that some receivers follow) to let through forged mail from subdomains of %s that do not exist, the names forgers invent, while the domain and its existing subdomains are protected: remove np (sp, or p, then applies to them too) or set np=quarantine or reject", where)
	}
	ruaBad := false
	for _, pr := range p.Problems {
		ruaBad = ruaBad || pr.Tag == "rua"
	}
	if len(p.RUA) == 0 && !ruaBad {
		f.add(SevInfo, "no-rua", name, rec, "RFC 7489 7.2",
			"no rua: you get no aggregate reports, so you cannot see who sends as your domain; add rua=mailto:dmarc@%s (an address that can take a few large mails a day)", where)
	}
	for i, list := range [][]string{p.RUA, p.RUF} {
		// RFC 7489 6.2: receivers may stop at the second URI.
		if tag := []string{"rua", "ruf"}[i]; len(list) > 2 {
			f.add(SevWarning, "uri-count", name, rec, "RFC 7489 6.2",
				"%s lists %d URIs, but receivers need send reports only to the first two, so %s may get none: keep two %s URIs (one address that forwards to the others, if more must see the reports)",
				tag, len(list), strings.Join(list[2:], ", "), tag)
		}
	}
	for _, k := range p.Unknown {
		f.add(SevInfo, "unknown-tag", name, rec, "RFC 7489 6.3", "tag %q is not a DMARC tag and is ignored", k)
	}
	checkReportURIs(ctx, r, f, name, where, rec, p)
}

// reportDest is a domain that reports go to: the addresses there of
// each tag (rua, ruf).
type reportDest struct {
	host     string
	rua, ruf []string
}

// what says which reports of where go to d: "aggregate reports (rua)
// for W go to A", "... and failure reports (ruf) to B".
func (d reportDest) what(where string) string {
	var parts []string
	if len(d.rua) > 0 {
		parts = append(parts, "aggregate reports (rua)")
	}
	if len(d.ruf) > 0 {
		parts = append(parts, "failure reports (ruf)")
	}
	s := strings.Join(parts, " and ") + " for " + where + " go to "
	if len(d.rua) > 0 && len(d.ruf) > 0 {
		return s + strings.Join(d.rua, " and ") + " and " + strings.Join(d.ruf, " and ") + " respectively"
	}
	return s + d.addrs()
}

// addrs are the addresses of every tag.
func (d reportDest) addrs() string {
	return strings.Join(append(slices.Clone(d.rua), d.ruf...), " and ")
}

// checkReportURIs checks the report URIs of p: a scheme other than
// mailto:, and, once per destination domain, that it receives mail and,
// when it is not the policy domain's, that it agreed to get the reports.
func checkReportURIs(ctx context.Context, r resolver.Resolver, f *findings, name, where, rec string, p *DMARCRecord) {
	var dests []*reportDest
	byHost := map[string]*reportDest{}
	for i, list := range [][]string{p.RUA, p.RUF} {
		for _, u := range list {
			pu, err := url.Parse(u)
			if err != nil || !strings.EqualFold(pu.Scheme, "mailto") {
				f.add(SevWarning, "uri-scheme", name, rec, "RFC 7489 6.2", "report URI %q is not mailto:, which few receivers support: use a mailto: address", u)
				continue
			}
			_, host, _ := strings.Cut(pu.Opaque, "@")
			host = strings.ToLower(strings.TrimSuffix(host, "."))
			d := byHost[host]
			if d == nil {
				d = &reportDest{host: host}
				byHost[host] = d
				dests = append(dests, d)
			}
			if i == 0 {
				d.rua = append(d.rua, pu.Opaque)
			} else {
				d.ruf = append(d.ruf, pu.Opaque)
			}
		}
	}
	for _, d := range dests {
		checkReportDest(ctx, r, f, where, rec, d)
	}
}

// describeDMARC says in words which policy applies to the domain and where
// it comes from.
func describeDMARC(d DMARCReport) string {
	p := d.Parsed
	policy, pct := d.Effective()
	var b strings.Builder
	if d.PolicyDomain != strings.TrimSuffix(strings.ToLower(d.Domain), ".") {
		tag := "p"
		if p.SubPolicy != "" {
			tag = "sp"
		}
		own := "has no DMARC record of its own"
		if d.discarded != "" {
			own = "has no DMARC record of its own that receivers read (the one at " + d.discarded + " is discarded)"
		}
		fmt.Fprintf(&b, "%s %s, so the record of its organisational domain at _dmarc.%s applies, through its %s tag: ", d.Domain, own, d.PolicyDomain, tag)
	}
	fmt.Fprintf(&b, "mail from %s that fails DMARC gets %s", d.Domain, policy)
	if pct < 100 && policy != "none" {
		fmt.Fprintf(&b, " (%d%% of it; the rest one step milder)", pct)
	}
	mode := map[string]string{"r": "relaxed", "s": "strict"}
	fmt.Fprintf(&b, "; alignment: DKIM %s, SPF %s", mode[p.ADKIM], mode[p.ASPF])
	if len(p.RUA) > 0 {
		fmt.Fprintf(&b, "; aggregate reports to %s", strings.Join(p.RUA, ", "))
	}
	if len(p.RUF) > 0 {
		fmt.Fprintf(&b, "; failure reports to %s", strings.Join(p.RUF, ", "))
	}
	return b.String()
}

// fixedDMARC returns rec as it should be published: tags that receivers
// discard are dropped (their defaults apply anyway), an address in rua or
// ruf without "mailto:" gets one, and p comes right after v. A misspelt
// policy (p=rejectt, sp=quarentine) becomes the one meant; a p that is
// missing or unreadable becomes p=none, the policy receivers apply today.
func fixedDMARC(rec string, p *DMARCRecord) string {
	drop := map[string]bool{}
	for _, k := range p.Unknown {
		// Ignored by receivers (RFC 7489 6.3), as the finding says.
		drop[strings.ToLower(k)] = true
	}
	meant := map[string]string{} // p and sp: the policy a bad value meant
	for _, pr := range p.Problems {
		if pr.Tag != "rua" && pr.Tag != "ruf" {
			drop[pr.Tag] = true
		}
		if pr.Tag == "p" || pr.Tag == "sp" {
			meant[pr.Tag] = meantPolicy(pr.Value)
		}
	}
	// The record's own p, valid: an invalid sp made receivers read the
	// whole record as p=none (p.Policy), but mending sp restores it.
	policy := ""
	parts := strings.Split(strings.TrimSpace(rec), ";")
	for _, part := range parts {
		k, v, _ := strings.Cut(strings.Trim(part, " \t"), "=")
		if strings.EqualFold(strings.Trim(k, " \t"), "p") && p.Policy != "" && !drop["p"] {
			policy = strings.ToLower(strings.Trim(v, " \t"))
		}
	}
	if policy == "" {
		policy = cmp.Or(meant["p"], "none")
	}
	out := []string{"v=DMARC1", "p=" + policy}
	for i, part := range parts {
		k, v, ok := strings.Cut(strings.Trim(part, " \t"), "=")
		k, v = strings.ToLower(strings.Trim(k, " \t")), strings.Trim(v, " \t")
		if k == "sp" && drop[k] && meant[k] != "" {
			out = append(out, "sp="+meant[k])
			meant[k] = "" // once
			continue
		}
		if i == 0 || !ok || k == "p" || drop[k] {
			continue
		}
		if k == "rua" || k == "ruf" {
			v = fixedURIs(v)
			if v == "" {
				continue
			}
		}
		out = append(out, k+"="+v)
	}
	return strings.Join(out, "; ")
}

// meantPolicy is the DMARC policy a misspelt p or sp value meant: the
// one whose first three letters it shares, when it is no more than three
// letters longer or shorter (rejectt, quarentine, Reject.); "" for none.
func meantPolicy(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	for _, want := range []string{"none", "quarantine", "reject"} {
		if len(v) >= 3 && v[:3] == want[:3] && max(len(v)-len(want), len(want)-len(v)) <= 3 {
			return want
		}
	}
	return ""
}

// fixedURIs keeps the valid URIs of a rua or ruf list, adds "mailto:" to
// bare addresses and drops the rest; of those, it keeps the first two,
// since receivers need send reports only to two (RFC 7489 6.2), as
// dmarc.uri-count says.
func fixedURIs(v string) string {
	var keep []string
	for _, u := range strings.Split(v, ",") {
		u = strings.Trim(u, " \t")
		if _, errs := parseDMARCURIs(u); len(errs) == 0 {
			keep = append(keep, u)
		} else if !strings.Contains(u, ":") && strings.Count(u, "@") == 1 {
			if _, errs := parseDMARCURIs("mailto:" + u); len(errs) == 0 {
				keep = append(keep, "mailto:"+u)
			}
		}
	}
	return strings.Join(keep[:min(len(keep), dmarcMaxURIs)], ",")
}

// dmarcMaxURIs is how many URIs of a rua or ruf list receivers need send
// reports to (RFC 7489 6.2).
const dmarcMaxURIs = 2

// checkReportDest checks that an external report destination agreed to
// get reports (RFC 7489 7.1): <policy domain>._report._dmarc.<destination>.
// It also checks that the destination domain can receive mail.
func checkReportDest(ctx context.Context, r resolver.Resolver, f *findings, where, rec string, d *reportDest) {
	checkReportDomain(ctx, r, f, rec, d.addrs(), d.host)
	if OrgDomain(d.host) == OrgDomain(where) {
		return
	}
	auth := where + "._report._dmarc." + d.host
	t, err := lookupTXT(ctx, r, auth)
	if err != nil {
		f.dnsFailed(auth, err)
		return
	}
	for _, s := range t.Joined() {
		if IsDMARC(s) {
			return
		}
	}
	f.add(SevWarning, "external-unauthorised", auth, rec, "RFC 7489 7.1",
		"%s, but %s has no \"v=DMARC1\" record, so receivers will not send them there: ask the owner of %s to publish the TXT record \"v=DMARC1\" at %s, or send reports to an address at %s", d.what(where), auth, d.host, auth, where)
	f.proposes(auth, "TXT", "v=DMARC1")
}

// checkReportDomain checks that mail to a report address can be delivered:
// its domain has an MX or, failing that, an address (RFC 5321 5.1), and no
// null MX (RFC 7505).
func checkReportDomain(ctx context.Context, r resolver.Resolver, f *findings, rec, addr, host string) {
	why, rfc := "", "RFC 5321 5.1"
	mx, err := r.LookupMX(ctx, host)
	switch {
	case resolver.IsNotFound(err):
		why = host + " does not exist"
	case err != nil:
		f.dnsFailed(host, err)
		return
	case len(mx.MX) == 1 && mx.MX[0].Host == "":
		// RFC 7505 3: a null MX says the domain accepts no mail.
		why, rfc = host+" publishes a null MX (it accepts no mail)", "RFC 7505 3"
	case len(mx.MX) == 0:
		ips, err := addrs(ctx, r, host)
		if err != nil {
			f.dnsFailed(host, err)
			return
		}
		if len(ips) == 0 {
			why = host + " has no MX and no address record"
		}
	}
	if why != "" {
		f.add(SevWarning, "report-undeliverable", host, rec, rfc,
			"reports go to %s, but %s, so they cannot be delivered and you see none: use an address at a domain that receives mail", addr, why)
	}
}

// DKIMPass is one DKIM signature that verified, for DMARC.
type DKIMPass struct {
	Domain    string // the d= of the signature
	Algorithm string // its a=: rsa-sha256, ed25519-sha256
}

// DMARCInput is what DMARC evaluation needs from SPF and DKIM.
type DMARCInput struct {
	From       string     // the RFC5322.From domain
	SPFDomain  string     // the domain SPF checked (MAIL FROM, or HELO when MAIL FROM is empty)
	SPFResult  spf.Result // its result
	DKIMPasses []DKIMPass // signatures that verified
}

// DMARCEval is the DMARC result for one message.
type DMARCEval struct {
	Result       string `json:"result"`           // pass, fail, none, temperror, permerror
	Policy       string `json:"policy,omitempty"` // the disposition asked for on fail
	PolicyDomain string `json:"policy_domain,omitempty"`
	SPFAligned   bool   `json:"spf_aligned"`
	DKIMAligned  bool   `json:"dkim_aligned"`
	Error        string `json:"error,omitempty"`
	// Note is a caution on a pass: its only aligned pass is one that
	// many receivers cannot verify (ed25519Note).
	Note string `json:"note,omitempty"`
}

// Aligned compares two domains: equal under strict alignment, the same
// organisational domain under relaxed alignment (RFC 7489 3.1).
func Aligned(a, b string, strict bool) bool {
	a, b = strings.TrimSuffix(strings.ToLower(a), "."), strings.TrimSuffix(strings.ToLower(b), ".")
	if a == "" || b == "" {
		return false
	}
	if strict {
		return a == b
	}
	return OrgDomain(a) == OrgDomain(b)
}

// EvalDMARC evaluates a message's DMARC result from its SPF and DKIM
// results (RFC 7489 4.2).
func EvalDMARC(ctx context.Context, r resolver.Resolver, log *slog.Logger, in DMARCInput) DMARCEval {
	where, recs, err := findDMARC(ctx, r, in.From)
	switch {
	case err != nil:
		return DMARCEval{Result: "temperror", Error: err.Error()}
	case len(recs) == 0:
		return DMARCEval{Result: "none"}
	case len(recs) > 1:
		return DMARCEval{Result: "none", Error: "multiple DMARC records", PolicyDomain: where}
	}
	p, err := ParseDMARC(recs[0])
	if err != nil {
		return DMARCEval{Result: "permerror", Error: err.Error(), PolicyDomain: where}
	}
	ev := DMARCEval{PolicyDomain: where, Policy: p.Policy}
	if ev.Policy == "" {
		ev.Policy = "none"
	}
	if where != strings.ToLower(strings.TrimSuffix(in.From, ".")) && p.SubPolicy != "" {
		ev.Policy = p.SubPolicy
	}
	ev.SPFAligned = in.SPFResult == spf.Pass && Aligned(in.SPFDomain, in.From, p.ASPF == "s")
	var aligned []DKIMPass
	for _, d := range in.DKIMPasses {
		if Aligned(d.Domain, in.From, p.ADKIM == "s") {
			ev.DKIMAligned = true
			aligned = append(aligned, d)
		}
	}
	ev.Result = "fail"
	if ev.SPFAligned || ev.DKIMAligned {
		ev.Result = "pass"
		if !ev.SPFAligned {
			ev.Note = ed25519Note(aligned, ev.Policy)
		}
	} else {
		ev.Error = alignmentFailure(in, p)
	}
	log.Debug("dmarc evaluated", "from", in.From, "result", ev.Result)
	return ev
}

// ed25519Note is the caution on a DMARC pass whose aligned passes are
// all ed25519-sha256 signatures (SPF not aligned), "" otherwise: a
// receiver that does not implement Ed25519 (RFC 8463) cannot verify
// them, counts the message unsigned, and DMARC fails there, with policy
// applied.
func ed25519Note(aligned []DKIMPass, policy string) string {
	var ds []string
	for _, d := range aligned {
		if !strings.EqualFold(d.Algorithm, "ed25519-sha256") {
			return ""
		}
		if !slices.Contains(ds, d.Domain) {
			ds = append(ds, d.Domain)
		}
	}
	if len(ds) == 0 {
		return ""
	}
	then := "DMARC fails there"
	switch policy {
	case "reject":
		then = "DMARC fails there and p=reject asks them to refuse it"
	case "quarantine":
		then = "DMARC fails there and p=quarantine asks them to put it in spam"
	}
	return fmt.Sprintf("the only aligned pass is an ed25519-sha256 signature (d=%s): receivers that do not implement Ed25519 (RFC 8463) treat the message as unsigned, so %s. Sign with an RSA key too (dual signing: an rsa-sha256 and an ed25519-sha256 signature)",
		strings.Join(ds, ", d="), then)
}

// alignmentFailure says why DMARC failed when SPF or DKIM passed for a
// domain that does not align with the From domain (RFC 7489 3.1), which
// records that are otherwise in order cause, and what to do; "" when
// neither passed, and the records or the path are at fault.
func alignmentFailure(in DMARCInput, p *DMARCRecord) string {
	mode := func(strict bool, tag string) string {
		if strict {
			return tag + "=s, strict: the domains must be equal"
		}
		return tag + "=r, relaxed: the organisational domains must be equal"
	}
	var passed []string
	if in.SPFResult == spf.Pass && in.SPFDomain != "" {
		passed = append(passed, fmt.Sprintf("SPF passed for %s, which does not align with the From domain %s (%s)", in.SPFDomain, in.From, mode(p.ASPF == "s", "aspf")))
	}
	var ds []string
	for _, d := range in.DKIMPasses {
		if !slices.Contains(ds, d.Domain) {
			ds = append(ds, d.Domain)
		}
	}
	if len(ds) > 0 {
		passed = append(passed, fmt.Sprintf("DKIM passed for d=%s, which does not align with the From domain %s (%s)", strings.Join(ds, ", d="), in.From, mode(p.ADKIM == "s", "adkim")))
	}
	if len(passed) == 0 {
		return ""
	}
	fix := "To align, sign with d=" + in.From + " or another domain of its organisational domain."
	if p.ADKIM == "s" {
		fix = "To align, sign with d=" + in.From + ", or relax the policy to adkim=r so that a signature of its organisational domain aligns."
	}
	// Sentences: a reason= holds no ";" (authresults.go), and commas
	// in their place ran the clauses together.
	return "not aligned: " + strings.Join(passed, ". ") + ". " + fix
}
