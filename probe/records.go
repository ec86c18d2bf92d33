package probe

import (
	"context"
	"log/slog"
	"net/url"
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
		if strings.HasPrefix(s, prefix) {
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
		f.add(SevInfo, "none", name, "", "RFC 8460 3", "no TLS-RPT record: you get no reports of TLS failures delivering to %s; to get them, publish \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\" at %s", domain, domain, name)
	case len(recs) > 1:
		f.add(SevError, "multiple", name, strings.Join(recs, " | "), "RFC 8460 3", "%d TLS-RPT records, so senders use none: keep one", len(recs))
	default:
		rep.Record = recs[0]
		tags, order, ok := tagList(recs[0])
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

// validAddress reports whether s looks like local@domain.
func validAddress(s string) bool {
	local, dom, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(dom, ".") && !strings.ContainsAny(dom, "@ ")
}

// CheckBIMI checks the syntax of default._bimi.domain (the BIMI draft,
// draft-brand-indicators-for-message-identification). dmarc is the DMARC
// check of the same domain: BIMI needs its effective policy (sp at the
// organisational domain for a subdomain) to be quarantine or reject, for
// all mail (pct=100).
func CheckBIMI(ctx context.Context, r resolver.Resolver, log *slog.Logger, domain string, dmarc *DMARCReport) RecordReport {
	f := &findings{check: "bimi"}
	name := "default._bimi." + domain
	const ref = "draft-brand-indicators-for-message-identification 4.2"
	rep := RecordReport{Name: name}
	recs, ok := fetchOne(ctx, r, f, name, "v=BIMI1")
	if org := OrgDomain(domain); ok && len(recs) == 0 && org != domain {
		// The BIMI draft (assertion record discovery): without a record of
		// its own, the organisational domain's record applies.
		orgName := "default._bimi." + org
		if recs, ok = fetchOne(ctx, r, f, orgName, "v=BIMI1"); ok && len(recs) > 0 {
			f.add(SevInfo, "org-record", orgName, "", ref, "%s has no BIMI record of its own, so the one of its organisational domain at %s applies", domain, orgName)
			name, rep.Name = orgName, orgName
		}
	}
	switch {
	case !ok:
	case len(recs) == 0:
		f.add(SevInfo, "none", name, "", ref, "no BIMI record: mail clients show no brand logo; to show one, publish \"v=BIMI1; l=https://HOST/logo.svg; a=https://HOST/vmc.pem\" at %s", name)
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
			} else if !strings.HasSuffix(strings.ToLower(u.Path), ".svg") {
				f.add(SevWarning, "logo-format", name, recs[0], ref, "l=%s does not name an SVG file; the logo must be SVG Tiny PS", l)
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
		} else {
			f.add(SevInfo, "no-vmc", name, recs[0], ref, "no a= (Verified Mark Certificate): Gmail and Apple Mail show no logo without one")
		}
		if len(facts) > 0 {
			// A fact, so that an ok check still shows what it found.
			f.add(SevInfo, "urls", name, recs[0], ref, "mail clients that show BIMI logos fetch %s", strings.Join(facts, " and "))
		}
		policy, pct := dmarc.Effective()
		switch {
		case policy == "":
			f.add(SevWarning, "dmarc-policy", name, recs[0], ref,
				"BIMI requires a DMARC policy of quarantine or reject, and %s has no usable DMARC record, so no logo is shown: publish \"v=DMARC1; p=quarantine; rua=mailto:dmarc@%s\" at _dmarc.%s", domain, OrgDomain(domain), OrgDomain(domain))
		case policy != "quarantine" && policy != "reject":
			f.add(SevWarning, "dmarc-policy", name, recs[0], ref,
				"BIMI requires a DMARC policy of quarantine or reject, but mail from %s gets %s (at _dmarc.%s), so no logo is shown: set %s=quarantine or reject", domain, policy, dmarc.PolicyDomain, policyTag(dmarc))
		case pct < 100:
			f.add(SevWarning, "dmarc-policy", name, recs[0], ref,
				"BIMI requires the DMARC policy to apply to all mail, but _dmarc.%s has pct=%d, so no logo is shown: remove pct or set pct=100", dmarc.PolicyDomain, pct)
		}
	}
	rep.Findings, rep.Status = f.list, f.status()
	log.Debug("bimi checked", "domain", domain, "status", rep.Status)
	return rep
}

// policyTag names the tag that sets the effective policy of d.
func policyTag(d *DMARCReport) string {
	if d.PolicyDomain != strings.TrimSuffix(strings.ToLower(d.Domain), ".") && d.Parsed.SubPolicy != "" {
		return "sp"
	}
	return "p"
}
