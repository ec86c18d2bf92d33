package probe

import (
	"context"
	"log/slog"
	"net/url"
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
	PolicyDomain string       `json:"policy_domain,omitempty"`
	Record       string       `json:"record,omitempty"`
	Parsed       *DMARCRecord `json:"parsed,omitempty"`
	Status       Status       `json:"status"`
	Findings     []Finding    `json:"findings"`
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
		f.add(SevError, "none", "_dmarc."+domain, "", "RFC 7489 6.6.3",
			"no DMARC record at _dmarc.%s or its organisational domain: large receivers (Gmail, Yahoo) require one from bulk senders; publish \"v=DMARC1; p=none; rua=mailto:...\" and move to quarantine or reject", domain)
	case len(recs) > 1:
		f.add(SevError, "multiple", name, strings.Join(recs, " | "), "RFC 7489 6.6.3",
			"%d DMARC records at %s: receivers then apply no policy at all; keep one", len(recs), name)
	default:
		rep.PolicyDomain, rep.Record = where, recs[0]
		p, err := ParseDMARC(recs[0])
		if err != nil {
			f.add(SevError, "syntax", name, recs[0], "RFC 7489 6.4", "%v: receivers ignore the record", err)
			break
		}
		rep.Parsed = p
		checkDMARCPolicy(ctx, r, f, name, where, domain, recs[0], p)
	}
	rep.Findings, rep.Status = f.list, f.status()
	log.Debug("dmarc checked", "domain", domain, "status", rep.Status)
	return rep
}

func checkDMARCPolicy(ctx context.Context, r resolver.Resolver, f *findings, name, where, domain, rec string, p *DMARCRecord) {
	effective := p.Policy
	if where != domain && p.SubPolicy != "" {
		effective = p.SubPolicy
	}
	switch {
	case p.Policy == "":
		f.add(SevWarning, "no-policy", name, rec, "RFC 7489 6.6.3", "the p tag is missing, so receivers treat it as p=none")
	case effective == "none":
		f.add(SevWarning, "p-none", name, rec, "RFC 7489 6.3",
			"the policy is none: forged mail from %s is still delivered; once reports show your own mail aligned, move to quarantine and then reject", domain)
	}
	if p.Pct < 100 && effective != "none" {
		f.add(SevInfo, "pct", name, rec, "RFC 7489 6.3", "pct=%d: the policy applies to only %d%% of failing mail", p.Pct, p.Pct)
	}
	if p.SubPolicy == "none" && p.Policy != "none" {
		f.add(SevWarning, "sp-none", name, rec, "RFC 7489 6.3", "sp=none leaves every subdomain open to forgery while the domain itself is protected")
	}
	if len(p.RUA) == 0 {
		f.add(SevInfo, "no-rua", name, rec, "RFC 7489 7.2", "no rua: you get no aggregate reports, so you cannot see who sends as your domain")
	}
	for _, k := range p.Unknown {
		f.add(SevInfo, "unknown-tag", name, rec, "RFC 7489 6.3", "tag %q is not a DMARC tag and is ignored", k)
	}
	for _, list := range [][]string{p.RUA, p.RUF} {
		for _, u := range list {
			checkReportURI(ctx, r, f, name, where, rec, u)
		}
	}
}

// checkReportURI checks that an external report destination agreed to get
// reports (RFC 7489 7.1): <policy domain>._report._dmarc.<destination>.
func checkReportURI(ctx context.Context, r resolver.Resolver, f *findings, name, where, rec, u string) {
	pu, err := url.Parse(u)
	if err != nil || !strings.EqualFold(pu.Scheme, "mailto") {
		f.add(SevWarning, "uri-scheme", name, rec, "RFC 7489 6.2", "report URI %q is not mailto:, which few receivers support", u)
		return
	}
	addr := pu.Opaque
	_, host, _ := strings.Cut(addr, "@")
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if OrgDomain(host) == OrgDomain(where) {
		return
	}
	auth := where + "._report._dmarc." + host
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
		"reports for %s go to %s, but %s has no \"v=DMARC1\" record, so receivers will not send them there; ask the destination to publish it", where, addr, auth)
}

// DKIMPass is one DKIM signature that verified, for DMARC.
type DKIMPass struct {
	Domain string // the d= of the signature
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
	for _, d := range in.DKIMPasses {
		if Aligned(d.Domain, in.From, p.ADKIM == "s") {
			ev.DKIMAligned = true
		}
	}
	ev.Result = "fail"
	if ev.SPFAligned || ev.DKIMAligned {
		ev.Result = "pass"
	}
	log.Debug("dmarc evaluated", "from", in.From, "result", ev.Result)
	return ev
}
