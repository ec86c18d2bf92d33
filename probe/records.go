package probe

import (
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
			fixed := fixedNearTLSRPT(near)
			f.add(SevWarning, "none", name, near, "RFC 8460 3",
				"%q at %s is not read as TLS-RPT, because %s, so senders send no reports of TLS failures delivering to %s: publish it as %q",
				near, name, whyNotTLSRPT(near), domain, fixed)
			f.proposes(name, "TXT", fixed)
			break
		}
		f.add(SevInfo, "none", name, "", "RFC 8460 3", "no TLS-RPT record: you get no reports of TLS failures delivering to %s; to get them, publish %q at %s", domain, tlsrptFor(domain), name)
		f.proposes(name, "TXT", tlsrptFor(domain))
	case len(recs) > 1:
		keep := "keep one"
		merged := mergeTLSRPT(recs)
		if merged != "" {
			keep = fmt.Sprintf("publish the one record %q in their place, which sends reports to every address of both (rua takes a comma-separated list)", merged)
		}
		f.add(SevError, "multiple", name, strings.Join(recs, " | "), "RFC 8460 3", "%d TLS-RPT records, so senders use none: %s", len(recs), keep)
		f.proposes(name, "TXT", merged)
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
			f.proposes(name, "TXT", fixed)
			break
		}
		if !ok || order[0] != "v" || tags["v"] != "TLSRPTv1" {
			f.add(SevError, "syntax", name, recs[0], "RFC 8460 3",
				"the record is not of the form \"v=TLSRPTv1; rua=...\", so senders send no reports: publish %q", tlsrptFor(domain))
			f.proposes(name, "TXT", tlsrptFor(domain))
			break
		}
		rep.Tags = tags
		if tags["rua"] == "" {
			f.add(SevError, "no-rua", name, recs[0], "RFC 8460 3",
				"the required rua tag is missing, so no report can be sent: publish %q", tlsrptFor(domain))
			f.proposes(name, "TXT", tlsrptFor(domain))
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

// tlsrptFor is the TLS-RPT record the probe proposes for a domain that
// has none it can use: reports to tlsrpt@DOMAIN.
func tlsrptFor(domain string) string { return "v=TLSRPTv1; rua=mailto:tlsrpt@" + domain }

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

// startsWithVersion reports whether the TXT record s starts with the
// version tag prefix ("v=BIMI1") as a whole value: followed by nothing, a
// ';' or white space, so that "v=BIMI10" is not a BIMI1 record.
func startsWithVersion(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	return ok && (rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t')
}
