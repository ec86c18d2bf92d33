package probe

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/resolver"
)

// RFC 7208 4.6.4: limits on DNS-querying terms and on void lookups.
const (
	spfLookupLimit = 10
	spfVoidLimit   = 2
	spfMaxDepth    = 12
)

// SPFNode is one record of the include/redirect tree of a domain's SPF
// policy, with the DNS lookups it costs.
type SPFNode struct {
	Domain   string     `json:"domain"`
	Via      string     `json:"via,omitempty"` // "include" or "redirect"; "" at the root
	Record   string     `json:"record,omitempty"`
	Lookups  int        `json:"lookups"`    // DNS-querying terms in this record
	Void     int        `json:"void"`       // of which returned nothing
	Total    int        `json:"total"`      // Lookups here and below
	VoidSum  int        `json:"void_total"` // Void here and below
	Children []*SPFNode `json:"children,omitempty"`
	Error    string     `json:"error,omitempty"`
}

// SPFReport is the result of CheckSPF.
type SPFReport struct {
	Domain   string    `json:"domain"`
	Record   string    `json:"record,omitempty"`
	Tree     *SPFNode  `json:"tree,omitempty"`
	Status   Status    `json:"status"`
	Findings []Finding `json:"findings"`
}

type spfWalker struct {
	ctx context.Context
	r   resolver.Resolver
	log *slog.Logger
	f   *findings
}

// CheckSPF fetches and validates domain's SPF record and every record it
// includes or redirects to.
func CheckSPF(ctx context.Context, r resolver.Resolver, log *slog.Logger, domain string) SPFReport {
	w := &spfWalker{ctx: ctx, r: r, log: log, f: &findings{check: "spf"}}
	rep := SPFReport{Domain: domain}
	root := w.visit(domain, "", nil)
	rep.Tree, rep.Record = root, root.Record
	if root.Record != "" {
		if root.Total > spfLookupLimit {
			w.f.add(SevError, "lookup-limit", domain, root.Record, "RFC 7208 4.6.4",
				"the policy needs %d DNS lookups, more than the limit of %d, so receivers return permerror and SPF fails for all mail: %s; flatten includes or drop unused ones",
				root.Total, spfLookupLimit, branches(root))
		} else if root.Total >= 8 {
			w.f.add(SevWarning, "lookup-near-limit", domain, root.Record, "RFC 7208 4.6.4",
				"the policy needs %d of the %d DNS lookups allowed: %s; one more include will break it", root.Total, spfLookupLimit, branches(root))
		}
		if root.VoidSum > spfVoidLimit {
			w.f.add(SevError, "void-limit", domain, root.Record, "RFC 7208 4.6.4",
				"%d lookups return no records, more than the limit of %d, so receivers return permerror: remove the terms that point at names that do not exist", root.VoidSum, spfVoidLimit)
		}
		w.checkAll(root)
	}
	rep.Findings, rep.Status = w.f.list, w.f.status()
	return rep
}

// branches describes the lookups of each include and redirect.
func branches(n *SPFNode) string {
	parts := []string{fmt.Sprintf("%d in the record's own terms", n.Lookups-len(n.Children))}
	for _, c := range n.Children {
		parts = append(parts, fmt.Sprintf("%s:%s %d", c.Via, c.Domain, c.Total+1))
	}
	return strings.Join(parts, ", ")
}

// checkAll reports on the root record's final "all" (RFC 7208 5.1).
func (w *spfWalker) checkAll(root *SPFNode) {
	rec, err := ParseSPF(root.Record)
	if err != nil {
		return
	}
	var all *SPFTerm
	redirect := false
	for i, t := range rec.Terms {
		if !t.Modifier && t.Name == "all" {
			all = &rec.Terms[i]
		}
		if t.Modifier && t.Name == "redirect" {
			redirect = true
		}
	}
	switch {
	case all == nil && redirect:
	case all == nil:
		w.f.add(SevWarning, "no-all", root.Domain, root.Record, "RFC 7208 4.7",
			"the record has no \"all\" and no redirect, so unlisted senders get neutral: end it with -all or ~all")
	case all.Qualifier == '+':
		w.f.add(SevError, "pass-all", root.Domain, root.Record, "RFC 7208 5.1",
			"\"+all\" authorises every host on the internet to send as this domain: use -all or ~all")
	case all.Qualifier == '?':
		w.f.add(SevWarning, "neutral-all", root.Domain, root.Record, "RFC 7208 5.1",
			"\"?all\" gives unlisted senders neutral, which protects nothing: use -all or ~all")
	}
}

// visit fetches the SPF record of domain and walks its terms. path holds the
// domains above, to catch loops.
func (w *spfWalker) visit(domain, via string, path []string) *SPFNode {
	n := &SPFNode{Domain: strings.TrimSuffix(strings.ToLower(domain), "."), Via: via}
	for _, p := range path {
		if p == n.Domain {
			n.Error = "loop: " + strings.Join(append(path, n.Domain), " -> ")
			w.f.add(SevError, "loop", n.Domain, "", "RFC 7208 5.2", "the include/redirect chain loops (%s): receivers return permerror", strings.Join(append(path, n.Domain), " -> "))
			return n
		}
	}
	if len(path) >= spfMaxDepth {
		n.Error = "too deep"
		w.f.add(SevError, "too-deep", n.Domain, "", "RFC 7208 4.6.4", "includes nest %d deep; the lookup limit is exceeded long before", len(path))
		return n
	}
	path = append(path, n.Domain)
	txt, err := w.r.LookupTXT(w.ctx, n.Domain)
	notFound := resolver.IsNotFound(err)
	if err != nil && !notFound {
		n.Error = err.Error()
		w.f.dnsFailed(n.Domain, err)
		return n
	}
	var recs []string
	var strs [][]string
	for i, t := range txt.Joined() {
		if IsSPF(t) {
			recs = append(recs, t)
			strs = append(strs, txt.Records[i])
		}
	}
	switch {
	case len(recs) == 0 && via == "":
		w.f.add(SevError, "none", n.Domain, "", "RFC 7208 4.5",
			"%s has no SPF record, so receivers cannot tell its mail from forgeries: publish one such as \"v=spf1 mx -all\"", n.Domain)
		return n
	case len(recs) == 0:
		n.Error = "no SPF record"
		n.Void++
		w.f.add(SevError, "include-none", n.Domain, "", "RFC 7208 5.2",
			"%s:%s has no SPF record, so every evaluation that reaches it is a permerror", via, n.Domain)
		n.VoidSum = n.Void
		return n
	case len(recs) > 1:
		n.Error = "multiple SPF records"
		w.f.add(SevError, "multiple", n.Domain, strings.Join(recs, " | "), "RFC 7208 4.5",
			"%s has %d SPF records; receivers return permerror: merge them into one", n.Domain, len(recs))
		return n
	}
	n.Record = recs[0]
	w.checkStrings(n, strs[0])
	rec, err := ParseSPF(n.Record)
	if err != nil {
		n.Error = err.Error()
		w.f.add(SevError, "syntax", n.Domain, n.Record, "RFC 7208 12", "%v: receivers return permerror", err)
		return n
	}
	hasAll := false
	for _, t := range rec.Terms {
		if !t.Modifier && t.Name == "all" {
			hasAll = true
		}
	}
	for _, t := range rec.Terms {
		w.term(n, t, hasAll, path)
	}
	n.Total, n.VoidSum = n.Lookups, n.Void
	for _, c := range n.Children {
		n.Total += c.Total
		n.VoidSum += c.VoidSum
	}
	return n
}

// checkStrings looks at how the record is laid out in DNS.
func (w *spfWalker) checkStrings(n *SPFNode, strs []string) {
	if len(n.Record) > 450 {
		// RFC 7208 3.4: keep the answer within 512 bytes.
		w.f.add(SevWarning, "long", n.Domain, n.Record, "RFC 7208 3.4",
			"the record is %d bytes; with the rest of the DNS answer it may exceed 512 bytes and need TCP, which some receivers do not retry", len(n.Record))
	}
	pos := 0
	for i, s := range strs[:len(strs)-1] {
		pos += len(s)
		next := strs[i+1]
		if !strings.HasSuffix(s, " ") && !strings.HasPrefix(next, " ") && next != "" {
			w.f.add(SevWarning, "string-split", n.Domain, n.Record, "RFC 7208 3.3",
				"the TXT strings are joined without spaces, and the boundary after byte %d falls inside a term (%q + %q): check that this is meant", pos, tail(s, 20), head(next, 20))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (w *spfWalker) term(n *SPFNode, t SPFTerm, hasAll bool, path []string) {
	target := t.Value
	if target == "" {
		target = n.Domain
	}
	macro := strings.Contains(target, "%")
	switch {
	case t.Modifier && t.Name == "redirect":
		if hasAll {
			w.f.add(SevInfo, "redirect-ignored", n.Domain, n.Record, "RFC 7208 6.1", "redirect=%s is ignored because the record has \"all\"", t.Value)
			return
		}
		n.Lookups++
		if !macro {
			n.Children = append(n.Children, w.visit(t.Value, "redirect", path))
		}
	case t.Modifier:
	case t.Name == "include":
		n.Lookups++
		if !macro {
			n.Children = append(n.Children, w.visit(t.Value, "include", path))
		}
	case t.Name == "a":
		n.Lookups++
		if !macro && w.void(n, target, dns.TypeA) && w.void(n, target, dns.TypeAAAA) {
			n.Void++
		}
	case t.Name == "mx":
		n.Lookups++
		if macro {
			return
		}
		mx, err := w.r.LookupMX(w.ctx, target)
		switch {
		case err != nil && !resolver.IsNotFound(err):
			w.f.dnsFailed(target, err)
		case len(mx.MX) == 0:
			n.Void++
		case len(mx.MX) > 10:
			w.f.add(SevError, "mx-limit", target, n.Record, "RFC 7208 4.6.4",
				"the mx term of %s returns %d MX records, more than the 10 allowed: receivers return permerror", n.Domain, len(mx.MX))
		}
	case t.Name == "ptr":
		n.Lookups++
		w.f.add(SevWarning, "ptr", n.Domain, n.Record, "RFC 7208 5.5",
			"the ptr mechanism is slow and unreliable and should not be used; large receivers ignore it: list the addresses with ip4/ip6 or a")
	case t.Name == "exists":
		n.Lookups++
		if !macro && w.void(n, target, dns.TypeA) {
			n.Void++
		}
	}
}

// void reports whether a lookup returns no records; failures are reported
// and do not count as void.
func (w *spfWalker) void(n *SPFNode, name string, qtype uint16) bool {
	ips, err := w.r.LookupIP(w.ctx, name, qtype)
	if err != nil && !resolver.IsNotFound(err) {
		w.f.dnsFailed(name, err)
		return false
	}
	return len(ips.IPs) == 0
}
