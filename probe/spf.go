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
	// spfWalkBudget bounds the walk, whatever the records: once the
	// lookups counted in evaluation order pass it, includes and
	// redirects are counted but not followed and no more names are
	// asked. Receivers stop at the 11th (RFC 7208 4.6.4); counting on
	// to 20 shows how far over a policy is without asking for more.
	spfWalkBudget = 20
	// spfWorkBudget bounds the names one CheckSPF asks, the walks of a
	// name's several records joined (spfWalker.multiple) included.
	spfWorkBudget = 60
	// spfListMax is how many void terms a finding names before "and N
	// more".
	spfListMax = 5
)

// SPFNode is one record of the include/redirect tree of a domain's SPF
// policy, with the DNS lookups it costs.
type SPFNode struct {
	Domain  string `json:"domain"`
	Via     string `json:"via,omitempty"` // "include" or "redirect"; "" at the root
	Record  string `json:"record,omitempty"`
	Lookups int    `json:"lookups"`    // DNS-querying terms in this record
	Void    int    `json:"void"`       // lookups that find nothing for an IPv4 sender
	Total   int    `json:"total"`      // Lookups here and below
	VoidSum int    `json:"void_total"` // Void here and below
	// Void6 and Void6Sum are Void and VoidSum for an IPv6 sender: an "a"
	// term asks A records for one and AAAA for the other (RFC 7208 5.3),
	// so a name with only AAAA records is void for IPv4 senders only.
	Void6    int        `json:"void6"`
	Void6Sum int        `json:"void6_total"`
	Children []*SPFNode `json:"children,omitempty"`
	Error    string     `json:"error,omitempty"`
	// Repeat marks a name already walked elsewhere in the tree: its
	// counts are those of that walk (receivers evaluate it again, so
	// they count again), its children are shown there only.
	Repeat bool `json:"repeat,omitempty"`
	// Partial marks counts that are lower bounds: the walk stopped
	// here or below (more than spfWalkBudget lookups, or includes
	// nested more than spfMaxDepth deep).
	Partial bool `json:"partial,omitempty"`
	// orig is the node a Repeat stands for; unfollowed counts the
	// includes and redirects of this record not followed (Partial).
	orig       *SPFNode
	unfollowed int
}

// SPFReport is the result of CheckSPF.
type SPFReport struct {
	Domain string `json:"domain"`
	// Record is the domain's SPF record; absent when it has none or
	// several (spf.multiple), which receivers treat as no usable record.
	Record string `json:"record,omitempty"`
	// Records is every SPF record the domain publishes, in the order
	// served: Record alone, or the several of spf.multiple.
	Records  []string  `json:"records"`
	Tree     *SPFNode  `json:"tree,omitempty"`
	Status   Status    `json:"status"`
	Findings []Finding `json:"findings"`
}

type spfWalker struct {
	ctx context.Context
	r   resolver.Resolver
	log *slog.Logger
	f   *findings
	// voids4 and voids6 name the terms whose lookups found nothing for
	// IPv4 and IPv6 senders, for the void-limit finding.
	voids4, voids6 []string
	// rootRecords is every SPF record of the domain checked.
	rootRecords []string
	// count is the DNS-querying terms met so far in the order receivers
	// evaluate them, an include met again counted again; eleventh is
	// the term that needs the 11th lookup.
	count    int
	eleventh string
	tooDeep  bool // spf.too-deep said
	loop     bool // spf.loop said: the lookups cannot be counted
	// repeats are the includes and redirects met again, in the order
	// met, for spf.repeated-include.
	repeats []spfRepeat
	// done holds each name whose record was walked, so that a name
	// included from several records is asked and walked once.
	done map[string]*spfDone
	// work counts the names asked by the whole check, shared with the
	// walks of spfWalker.multiple.
	work *int
}

// spfDone is a name walked: its node, and the void terms found at it
// and below, which count again wherever it is included again.
type spfDone struct {
	node           *SPFNode
	voids4, voids6 []string
	// term and in are the include or redirect that first led to it and
	// the domain whose record has that term.
	term, in string
}

// spfRepeat is an include or redirect of a name walked before: term as
// written in the record of in.
type spfRepeat struct {
	domain, term, in string
}

func newSPFWalker(ctx context.Context, r resolver.Resolver, log *slog.Logger, work *int) *spfWalker {
	return &spfWalker{ctx: ctx, r: r, log: log, f: &findings{check: "spf"}, done: map[string]*spfDone{}, work: work}
}

// over reports whether the walk has used its budget: from then on terms
// are counted but nothing more is asked.
func (w *spfWalker) over() bool { return w.count > spfWalkBudget || *w.work >= spfWorkBudget }

// lookup counts t, a DNS-querying term of n's record, and reports
// whether the walk may still ask DNS for it; when not, n is Partial.
func (w *spfWalker) lookup(n *SPFNode, t SPFTerm) bool {
	n.Lookups++
	w.count++
	if w.count == spfLookupLimit+1 {
		w.eleventh = fmt.Sprintf("%s, in the record of %s", t.String(), n.Domain)
	}
	if w.over() {
		n.Partial = true
		if t.Name == "include" || t.Name == "redirect" {
			n.unfollowed++
		}
		return false
	}
	*w.work++
	return true
}

// repeat is the node of a name walked before (d), met again through
// via: its counts, counted again, and its void terms, found again.
func (w *spfWalker) repeat(d *spfDone, via, parent string) *SPFNode {
	o := d.node
	n := &SPFNode{Domain: o.Domain, Via: via, Record: o.Record, Lookups: o.Lookups, Void: o.Void, Total: o.Total,
		VoidSum: o.VoidSum, Void6: o.Void6, Void6Sum: o.Void6Sum, Error: o.Error, Partial: o.Partial, Repeat: true, orig: o}
	if w.count <= spfLookupLimit && w.count+o.Total > spfLookupLimit {
		w.eleventh = fmt.Sprintf("a term of %s, which %s includes again", o.Domain, parent)
	}
	w.count += o.Total
	w.voids4 = append(w.voids4, d.voids4...)
	w.voids6 = append(w.voids6, d.voids6...)
	return n
}

// Which senders a void lookup counts for.
const (
	voidBoth = iota
	voidIPv4 // an A query found nothing
	voidIPv6 // an AAAA query found nothing
)

// addVoid counts a lookup of term (in n's record) that found nothing for
// the senders fam says; why, when set, says what it found.
func (w *spfWalker) addVoid(n *SPFNode, term string, fam int, why string) {
	s := term + " (in " + n.Domain + why + ")"
	if fam != voidIPv6 {
		n.Void++
		w.voids4 = append(w.voids4, s)
	}
	if fam != voidIPv4 {
		n.Void6++
		w.voids6 = append(w.voids6, s)
	}
}

// CheckSPF fetches and validates domain's SPF record and every record it
// includes or redirects to.
func CheckSPF(ctx context.Context, r resolver.Resolver, log *slog.Logger, domain string) SPFReport {
	w := newSPFWalker(ctx, r, log, new(int))
	rep := SPFReport{Domain: domain}
	root := w.visit(nil, domain, "", "", nil)
	rep.Tree, rep.Record, rep.Records = root, root.Record, w.rootRecords
	if root.Record != "" {
		w.assess(root)
	}
	w.typeSPF(domain)
	rep.Findings, rep.Status = w.f.list, w.f.status()
	return rep
}

// typeSPF reports records of DNS type SPF (99) at domain: RFC 7208 3.1
// (and 14.1) ended that type, receivers read only TXT, and a copy of
// another type goes stale when the TXT one changes. A failed query says
// nothing: many servers do not answer the type at all.
func (w *spfWalker) typeSPF(domain string) {
	m, err := exchange(w.ctx, w.r, domain, dns.TypeSPF)
	if err != nil || m == nil {
		return
	}
	for _, rr := range m.Answer {
		if s, ok := rr.(*dns.SPF); ok {
			rec := strings.Join(s.Txt, "")
			w.f.add(SevWarning, "type-spf", domain, rec, "RFC 7208 3.1",
				"%s publishes a record of DNS type SPF (99), which RFC 7208 retired: receivers read SPF from TXT records only, so this one is never used and goes stale when the TXT record changes; remove the record of type SPF and keep the policy in TXT", domain)
			return
		}
	}
}

// assess reports on a whole policy, from its root record: its DNS lookups
// against the limits, and how it ends for senders it does not list.
func (w *spfWalker) assess(root *SPFNode) {
	domain := root.Domain
	if w.loop && root.Total <= spfLookupLimit {
		// The count of the walk stops at the loop; an evaluation does
		// not.
		w.f.add(SevInfo, "lookups", domain, root.Record, "RFC 7208 4.6.4",
			"the DNS lookups the policy needs cannot be counted: its include/redirect chain loops back (spf.loop), so an evaluation that reaches the loop would go round it without end; receivers stop it at the limit of %d lookups, or when they see the loop, and return permerror",
			spfLookupLimit)
	} else if root.Total > spfLookupLimit {
		needs := fmt.Sprintf("%d DNS lookups", root.Total)
		if root.Partial {
			needs = fmt.Sprintf("at least %d DNS lookups (relaylab stops following includes once it has counted %d, or %d deep)", root.Total, spfWalkBudget, spfMaxDepth)
		}
		eleventh := ""
		if w.eleventh != "" {
			eleventh = " (here " + w.eleventh + ")"
		}
		w.f.add(SevError, "lookup-limit", domain, root.Record, "RFC 7208 4.6.4",
			"the policy needs %s, more than the limit of %d: receivers return permerror when an evaluation needs the 11th%s, so SPF fails for mail from every server that the terms within the first %d lookups do not match (one matched earlier still passes): %s; flatten includes or drop unused ones",
			needs, spfLookupLimit, eleventh, spfLookupLimit, branches(root))
	} else if root.Total >= 8 {
		w.f.add(SevWarning, "lookup-near-limit", domain, root.Record, "RFC 7208 4.6.4",
			"the policy needs %s%d of the %d DNS lookups allowed: %s; one more include will break it", atLeast(root), root.Total, spfLookupLimit, branches(root))
	} else {
		how := ""
		if root.Total > 0 {
			how = " (" + branches(root) + ")"
		}
		voids := fmt.Sprint(root.VoidSum)
		if root.Void6Sum != root.VoidSum {
			voids = fmt.Sprintf("%d for mail from IPv4 addresses and %d for IPv6", root.VoidSum, root.Void6Sum)
		}
		voidPart := fmt.Sprintf("%s of the %d lookups that may find nothing (void lookups)", voids, spfVoidLimit)
		if root.VoidSum > spfVoidLimit || root.Void6Sum > spfVoidLimit {
			// Said as over the limit, not as "3 of the 2": the
			// void-limit finding says which.
			voidPart = fmt.Sprintf("%s lookups that find nothing (void lookups), more than the %d allowed", voids, spfVoidLimit)
		}
		w.f.add(SevInfo, "lookups", domain, root.Record, "RFC 7208 4.6.4",
			"the policy needs %s%d of the %d DNS lookups allowed%s, and %s", atLeast(root), root.Total, spfLookupLimit, how, voidPart)
	}
	w.repeated()
	w.voidLimit(root)
	w.checkAll(root)
}

// spfTermOf is the include or redirect of domain as its record writes
// it: written when a macro was expanded to domain.
func spfTermOf(via, domain, written string) string {
	switch {
	case written != "":
		return written
	case via == "redirect":
		return "redirect=" + domain
	}
	return via + ":" + domain
}

// repeated reports each name that the policy includes (or redirects to)
// more than once: receivers evaluate it, and count its DNS lookups, each
// time it is met (RFC 7208 4.6.4 limits the DNS-querying terms an
// evaluation meets, not the distinct names it asks).
func (w *spfWalker) repeated() {
	var order []string
	by := map[string][]spfRepeat{}
	for _, r := range w.repeats {
		if by[r.domain] == nil {
			order = append(order, r.domain)
		}
		by[r.domain] = append(by[r.domain], r)
	}
	for _, d := range order {
		first, again := w.done[d], by[d]
		if first == nil {
			continue
		}
		places := []string{fmt.Sprintf("%s in the record of %s", first.term, first.in)}
		one := true // every term in one record
		for _, r := range again {
			places = append(places, fmt.Sprintf("%s in the record of %s", r.term, r.in))
			one = one && r.in == first.in
		}
		where := strings.Join(places, ", ")
		if one {
			where = "the record of " + first.in + " names it " + timesWord(len(again)+1)
		}
		cost := first.node.Total + 1 // the term itself, and the lookups of its record
		later := again[len(again)-1]
		rec := ""
		if n := w.done[later.in]; n != nil {
			rec = n.node.Record
		}
		w.f.add(SevWarning, "repeated-include", later.in, rec, "RFC 7208 4.6.4",
			"%s is met %s in an evaluation (%s), and receivers count its DNS lookups each time it is met (RFC 7208 4.6.4 limits the DNS-querying terms an evaluation meets, not the distinct names it asks), so it takes %d of the %d lookups allowed where once would take %d: a record gives the same result each time, so the later ones can match only where the first already did; remove the later %s from the record of %s, if that record is yours",
			d, timesWord(len(again)+1), where, cost*(len(again)+1), spfLookupLimit, cost, later.term, later.in)
	}
}

// timesWord says n as "twice", "3 times".
func timesWord(n int) string {
	if n == 2 {
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// voidLimit reports a policy whose void lookups exceed the limit for IPv4
// senders (an error: most mail comes from IPv4), for IPv6 senders only (a
// warning: it matters once mail leaves over IPv6), or for both.
func (w *spfWalker) voidLimit(root *SPFNode) {
	over4, over6 := root.VoidSum > spfVoidLimit, root.Void6Sum > spfVoidLimit
	const fix = "remove those terms or correct the names they point at"
	least := atLeast(root)
	switch {
	case over4 && over6 && strings.Join(w.voids4, "") == strings.Join(w.voids6, ""):
		w.f.add(SevError, "void-limit", root.Domain, root.Record, "RFC 7208 4.6.4",
			"%s%d lookups find nothing (%s), more than the limit of %d: receivers return permerror when an evaluation comes to the %s of them, so SPF fails for mail from every server that no term before it matches: %s", least, root.VoidSum, countedList(w.voids4), spfVoidLimit, ordinal(spfVoidLimit+1), fix)
	case over4:
		also := ""
		if over6 {
			also = fmt.Sprintf(" (and %s%d for mail from IPv6 addresses: %s)", least, root.Void6Sum, countedList(w.voids6))
		}
		w.f.add(SevError, "void-limit", root.Domain, root.Record, "RFC 7208 4.6.4",
			"for mail from IPv4 addresses, %s%d lookups find nothing (%s), more than the limit of %d: receivers return permerror when an evaluation comes to the %s of them, so SPF fails for mail from every IPv4 server that no term before it matches%s: an \"a\" term asks only the A records of its name for an IPv4 sender (RFC 7208 5.3), so a name with only AAAA records finds nothing; %s, or use ip6 terms for IPv6-only hosts",
			least, root.VoidSum, countedList(w.voids4), spfVoidLimit, ordinal(spfVoidLimit+1), also, fix)
	case over6:
		w.f.add(SevWarning, "void-limit", root.Domain, root.Record, "RFC 7208 4.6.4",
			"for mail from IPv6 addresses, %s%d lookups find nothing (%s), more than the limit of %d: receivers return permerror when an evaluation comes to the %s of them, so SPF fails for mail you send over IPv6 from every server that no term before it matches: an \"a\" term asks only the AAAA records of its name for an IPv6 sender (RFC 7208 5.3), so a name with only A records finds nothing; %s, or use ip4 terms for IPv4-only hosts",
			least, root.Void6Sum, countedList(w.voids6), spfVoidLimit, ordinal(spfVoidLimit+1), fix)
	}
}

// ordinal says n (1 to 12) as "first", "second", ..., "twelfth".
func ordinal(n int) string {
	words := []string{"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth"}
	if n >= 1 && n <= len(words) {
		return words[n-1]
	}
	return fmt.Sprintf("%dth", n)
}

// atLeast is "at least " for the counts of a node that are lower bounds
// (Partial), else "".
func atLeast(n *SPFNode) string {
	if n.Partial {
		return "at least "
	}
	return ""
}

// countedList joins items, each once, in the order first seen, with how
// many times it occurs when more than once: "a:x (in d; 3 times), a:y
// (in d)"; past spfListMax of them, "and N more".
func countedList(items []string) string {
	n := map[string]int{}
	var order []string
	for _, s := range items {
		if n[s] == 0 {
			order = append(order, s)
		}
		n[s]++
	}
	more := 0
	if len(order) > spfListMax {
		order, more = order[:spfListMax], len(order)-spfListMax
	}
	for i, s := range order {
		switch {
		case n[s] == 1:
		case strings.HasSuffix(s, ")"):
			order[i] = fmt.Sprintf("%s; %d times)", s[:len(s)-1], n[s])
		default:
			order[i] = fmt.Sprintf("%s (%d times)", s, n[s])
		}
	}
	if more > 0 {
		order = append(order, fmt.Sprintf("and %s", counted(more, "other term")))
	}
	return strings.Join(order, ", ")
}

// branches describes the lookups of each include and redirect: of the
// first spfListMax*2 of them when there are a few more.
func branches(n *SPFNode) string {
	parts := []string{fmt.Sprintf("%d in the record's own terms", n.Lookups-len(n.Children)-n.unfollowed)}
	for i, c := range n.Children {
		if i == 2*spfListMax && len(n.Children) > i+2 {
			parts = append(parts, fmt.Sprintf("and %s", counted(len(n.Children)-i, "other include")))
			break
		}
		sep := ":"
		if c.Via == "redirect" {
			sep = "="
		}
		parts = append(parts, fmt.Sprintf("%s%s%s %s%d", c.Via, sep, c.Domain, atLeast(c), c.Total+1))
	}
	if n.unfollowed > 0 {
		parts = append(parts, fmt.Sprintf("%s not followed, at least 1 each", counted(n.unfollowed, "further include")))
	}
	return strings.Join(parts, ", ")
}

// checkAll reports on how the policy ends for unlisted senders (RFC 7208
// 5.1): the root's "all", or, when it has none, that of the record its
// redirect leads to (RFC 7208 6.1); and on any term that gives pass to
// every address, directly or through an include.
func (w *spfWalker) checkAll(root *SPFNode) {
	end, all, via := effectiveAll(root)
	if how, open := opensToAll(root, 0); open {
		fix := passAllFix(how, root.Domain)
		if how == "+all" || how == "all" {
			same := ""
			if how == "all" {
				same = " (without a qualifier, the same as \"+all\")"
			}
			w.f.add(SevError, "pass-all", root.Domain, root.Record, "RFC 7208 5.1",
				"%q%s authorises every host on the internet to send as this domain: end the record with -all or ~all instead", how, same)
		} else {
			w.f.add(SevError, "pass-all", root.Domain, root.Record, "RFC 7208 5.1",
				"the policy gives pass to every host on the internet (%s), so anyone can send mail as %s and pass SPF: %s", how, root.Domain, fix)
		}
		return
	}
	if w.checkRanges(root) {
		return
	}
	where := ""
	if end != root {
		where = fmt.Sprintf(" (the record that %s leads to)", via)
	}
	switch {
	case end == nil:
		// A redirect that could not be followed is reported where it fails.
	case all == nil:
		w.f.add(SevWarning, "no-all", end.Domain, end.Record, "RFC 7208 4.7",
			"the record of %s%s has no \"all\" and no redirect, so unlisted senders get neutral, which protects nothing: end it with -all (or ~all while testing)", end.Domain, where)
	case all.Qualifier == '?':
		w.f.add(SevWarning, "neutral-all", end.Domain, end.Record, "RFC 7208 5.1",
			"the record of %s%s ends in \"?all\", which gives unlisted senders neutral and protects nothing: end it with -all or ~all", end.Domain, where)
	}
}

// passAllFix says how to end the pass for everyone that opensToAll
// found (how) in the policy of domain: for a term of the record itself,
// what to write instead; for an include or redirect, to remove it or
// have the record it leads to mended, as fits the term found there.
func passAllFix(how, domain string) string {
	final := how
	if i := strings.LastIndex(how, "which has "); i >= 0 {
		final = how[i+len("which has "):]
	}
	via := ""
	if strings.HasPrefix(how, "include:") || strings.HasPrefix(how, "redirect=") {
		via, _, _ = strings.Cut(how, ",")
	}
	switch {
	case via != "" && (final == "+all" || final == "all"):
		return fmt.Sprintf("remove %s, or have the record it leads to end with -all or ~all instead", via)
	case via != "":
		return fmt.Sprintf("remove %s, or have the owner of the record it leads to list only its senders' addresses in place of %s", via, strings.TrimSuffix(strings.Fields(final)[0], ","))
	case strings.Contains(final, zeroPrefix):
		return "remove the /0 (without a prefix length, a and mx match only the addresses of their names), or the term"
	}
	return fmt.Sprintf("replace %s with the addresses of the servers that send as %s %s", final, domain, spfAddrTerms)
}

// effectiveAll follows redirects from n until a record with "all" and
// returns that record, its "all" (nil when the chain ends without one),
// and the redirect that leads there. end is nil when a redirect target has
// no usable record.
func effectiveAll(n *SPFNode) (end *SPFNode, all *SPFTerm, via string) {
	for depth := 0; n != nil && depth <= spfMaxDepth; depth++ {
		_, all, redirect, ok := passTerms(n)
		if !ok {
			return nil, nil, via
		}
		if all != nil || redirect == "" {
			return n, all, via
		}
		via = "redirect=" + redirect
		n = childFor(n, "redirect", redirect)
	}
	return nil, nil, via
}

// passTerms reads n's record as check_host evaluates it: the mechanisms
// with the "+" qualifier before its "all", which give pass when they
// match, in order; that "all" (nil when there is none), after which no
// term runs (RFC 7208 4.6.2); and the domain of its redirect, which
// applies only when there is no "all" (RFC 7208 6.1), so "" when there
// is one. ok is false when the record does not parse.
func passTerms(n *SPFNode) (pass []SPFTerm, all *SPFTerm, redirect string, ok bool) {
	rec, err := ParseSPF(n.Record)
	if err != nil {
		return nil, nil, "", false
	}
	for i, t := range rec.Terms {
		switch {
		case t.Modifier:
			if t.Name == "redirect" {
				redirect = t.Value
			}
		case t.Name == "all":
			return pass, &rec.Terms[i], "", true
		case t.Qualifier == '+':
			pass = append(pass, t)
		}
	}
	return pass, nil, redirect, true
}

// opensToAll reports whether n's record gives pass to every address of a
// family before anything else ends the evaluation, and how: "+all",
// "ip4:0.0.0.0/0", or a chain such as "include:x.example, which ends in
// +all". Terms after "all" never run (RFC 7208 4.6.2).
func opensToAll(n *SPFNode, depth int) (string, bool) {
	return openWalk{}.opens(n, depth)
}

// openWalk remembers the nodes opensToAll has judged: a name included
// from several records is judged once, so the work stays that of the
// tree's distinct nodes.
type openWalk map[*SPFNode]openVerdict

type openVerdict struct {
	how  string
	open bool
}

func (ow openWalk) opens(n *SPFNode, depth int) (string, bool) {
	if n == nil || n.Record == "" || depth > spfMaxDepth {
		return "", false
	}
	if v, ok := ow[n]; ok {
		return v.how, v.open
	}
	how, open := ow.judge(n, depth)
	ow[n] = openVerdict{how, open}
	return how, open
}

func (ow openWalk) judge(n *SPFNode, depth int) (string, bool) {
	pass, all, redirect, ok := passTerms(n)
	if !ok {
		return "", false
	}
	for _, t := range pass {
		switch {
		case t.Name == "ip4" && t.CIDR4 == 0, t.Name == "ip6" && t.CIDR6 == 0:
			return t.String(), true
		case (t.Name == "a" || t.Name == "mx") && (t.CIDR4 == 0 || t.CIDR6 == 0):
			// RFC 7208 5.6: the prefix length applies to the names'
			// addresses, so /0 covers every address of the family.
			fam := "IPv4"
			if t.CIDR4 != 0 {
				fam = "IPv6"
			}
			return fmt.Sprintf("%s, whose %s every %s address as soon as its name has one", t.String(), zeroPrefix, fam), true
		case t.Name == "include":
			// An include matches when the included record gives pass.
			if how, ok := ow.opens(childFor(n, "include", t.Value), depth+1); ok {
				return "include:" + t.Value + ", which " + passesWith(how), true
			}
		}
	}
	switch {
	case all != nil && all.Qualifier == '+':
		return allAsWritten(n.Record), true
	case redirect != "":
		if how, ok := ow.opens(childFor(n, "redirect", redirect), depth+1); ok {
			return "redirect=" + redirect + ", which " + passesWith(how), true
		}
	}
	return "", false
}

// allAsWritten is the "all" term of record that gives pass as the record
// writes it: "+all", or "all" without a qualifier (the same).
func allAsWritten(record string) string {
	for _, f := range strings.Fields(record) {
		if l := strings.ToLower(f); l == "all" || l == "+all" {
			return l
		}
	}
	return "+all"
}

// zeroPrefix is how opensToAll names an a or mx term with a prefix
// length of 0.
const zeroPrefix = "prefix length of 0 covers"

func passesWith(how string) string {
	if strings.HasPrefix(how, "include:") || strings.HasPrefix(how, "redirect=") {
		return "leads to " + how
	}
	return "has " + how
}

// childFor returns the node that an include or redirect of n led to.
func childFor(n *SPFNode, via, domain string) *SPFNode {
	if exp, ok := expandDomainMacros(domain, n.Domain); ok {
		domain = exp // as fixedTarget walked it
	}
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	for _, c := range n.Children {
		if c.Via == via && c.Domain == domain {
			if c.orig != nil {
				return c.orig // walked where first met
			}
			return c
		}
	}
	return nil
}

// visit fetches the SPF record of domain, which parent includes or
// redirects to (nil at the root), and walks its terms. written is the
// term as the record writes it when that is not via and domain (a macro
// that expandDomainMacros expanded to domain), "" otherwise. path holds
// the domains above, to catch loops.
func (w *spfWalker) visit(parent *SPFNode, domain, via, written string, path []string) *SPFNode {
	n := &SPFNode{Domain: strings.TrimSuffix(strings.ToLower(domain), "."), Via: via}
	for _, p := range path {
		if p == n.Domain {
			n.Error = "loop: " + strings.Join(append(path, n.Domain), " -> ")
			w.loop = true
			w.f.add(SevError, "loop", n.Domain, "", "RFC 7208 5.2", "the include/redirect chain loops (%s), so receivers return permerror: remove the include or redirect that leads back", strings.Join(append(path, n.Domain), " -> "))
			return n
		}
	}
	if len(path) >= spfMaxDepth {
		n.Error, n.Partial = "too deep", true
		if !w.tooDeep {
			// Once: every branch of a wide tree gets this deep.
			w.tooDeep = true
			w.f.add(SevError, "too-deep", n.Domain, "", "RFC 7208 4.6.4",
				"includes and redirects nest %d deep down to %s (%s), so the policy needs at least %d DNS lookups, more than the limit of %d, and receivers return permerror before they get this far; relaylab follows them no deeper: flatten the chain (list the addresses with ip4 and ip6)",
				len(path), n.Domain, strings.Join(path, " -> "), len(path), spfLookupLimit)
		}
		return n
	}
	if d := w.done[n.Domain]; d != nil {
		w.repeats = append(w.repeats, spfRepeat{domain: n.Domain, term: spfTermOf(via, domain, written), in: path[len(path)-1]})
		return w.repeat(d, via, path[len(path)-1])
	}
	path = append(path, n.Domain)
	txt, err := w.r.LookupTXT(w.ctx, spfQueryName(n.Domain))
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
	if parent == nil {
		w.rootRecords = recs
	}
	switch {
	case len(recs) == 0 && via == "":
		if near := nearSPF(txt.Joined()); near != "" {
			advice, fixed := nearSPFFix(near)
			w.f.add(SevError, "none", n.Domain, near, "RFC 7208 4.5",
				"%s has no SPF record, so receivers cannot tell its mail from forgeries: its TXT record %q is not read as SPF, because %s; %s", n.Domain, near, whyNotSPF(near), advice)
			w.f.proposes(n.Domain, "TXT", fixed)
			return n
		}
		w.f.add(SevError, "none", n.Domain, "", "RFC 7208 4.5",
			"%s has no SPF record, so receivers cannot tell its mail from forgeries: publish one that lists the servers sending as it, such as \"v=spf1 ip4:192.0.2.25 include:_spf.provider.example -all\" (your addresses and your email provider's include), or \"v=spf1 -all\" if it sends no mail", n.Domain)
		return n
	case len(recs) == 0:
		n.Error = "no SPF record"
		what := "has no SPF record"
		if notFound {
			what, n.Error = "does not exist (NXDOMAIN)", "no such domain"
		} else if near := nearSPF(txt.Joined()); near != "" {
			what = fmt.Sprintf("has no SPF record (its TXT record %q is not read as SPF, because %s; %s)", near, whyNotSPF(near), nearSPFAdvice(near))
		}
		term := via + ":" + n.Domain
		if via == "redirect" {
			term = "redirect=" + n.Domain
		}
		if written != "" {
			// The finding names the term to correct, and what it
			// expands to for this domain (for any sender).
			term = fmt.Sprintf("%s (here %s)", written, n.Domain)
		}
		// RFC 7208 4.6.4: NXDOMAIN or an empty answer is a void lookup,
		// of the record whose term asked (parent), not of the name asked.
		if notFound || len(txt.Records) == 0 {
			w.addVoid(parent, term, voidBoth, "")
		}
		w.f.add(SevError, "include-none", n.Domain, "", "RFC 7208 5.2",
			"%s %s, so every evaluation that reaches it is a permerror and SPF fails for all mail that is not matched before it: remove the %s, or correct the name (the provider's documentation gives it)", term, what, via)
		n.VoidSum, n.Void6Sum = n.Void, n.Void6
		return n
	case len(recs) > 1:
		n.Error = "multiple SPF records"
		w.multiple(n, recs, path)
		return n
	}
	n.Record = recs[0]
	w.checkStrings(n, strs[0], txt.Records)
	v4, v6 := len(w.voids4), len(w.voids6)
	w.walk(n, path)
	w.done[n.Domain] = &spfDone{node: n, voids4: w.voids4[v4:len(w.voids4):len(w.voids4)], voids6: w.voids6[v6:len(w.voids6):len(w.voids6)],
		term: spfTermOf(via, domain, written), in: path[max(len(path)-2, 0)]}
	return n
}

// walk checks n's record and visits what it includes or redirects to;
// path holds the domains above and n's own.
func (w *spfWalker) walk(n *SPFNode, path []string) {
	rec, err := ParseSPF(n.Record)
	if err != nil {
		n.Error = err.Error()
		w.f.add(SevError, "syntax", n.Domain, n.Record, "RFC 7208 12",
			"%v, so receivers return permerror and SPF fails for all mail that reaches this record: correct or remove that term", err)
		return
	}
	hasAll, pastAll := hasAllTerm(rec), false
	var after []string
	for _, t := range rec.Terms {
		switch {
		case !t.Modifier && pastAll:
			// RFC 7208 4.6.2: evaluation stops at "all", so these never
			// run and cost no lookups.
			after = append(after, t.String())
			continue
		case !t.Modifier && t.Name == "all":
			pastAll = true
		}
		w.term(n, t, hasAll, path)
	}
	if len(after) > 0 {
		w.f.add(SevWarning, "after-all", n.Domain, n.Record, "RFC 7208 4.6.2",
			"%s comes after \"all\", where receivers stop, so it is never used: move it before the \"all\" (or remove it)", strings.Join(after, " "))
	}
	n.Total, n.VoidSum, n.Void6Sum = n.Lookups, n.Void, n.Void6
	for _, c := range n.Children {
		n.Total += c.Total
		n.VoidSum += c.VoidSum
		n.Void6Sum += c.Void6Sum
		n.Partial = n.Partial || c.Partial
	}
}

// nearSPF returns the first TXT record that looks meant as an SPF record
// but is not one to receivers (RFC 7208 4.5: exactly "v=spf1", then a
// space or the end), or "". nearSPFAdvice says what to publish instead.
func nearSPF(txts []string) string {
	for _, t := range txts {
		s := strings.Trim(t, " \t\"'")
		if !IsSPF(t) && strings.HasPrefix(strings.ToLower(s), "v=spf1") {
			return t
		}
	}
	return ""
}

// nearSPFAdvice says what to publish instead of near, a TXT record that
// nearSPF took for a mistyped SPF record: the record fixedNearSPF makes
// of it, or, when that would not pass the probe's own parser (ParseSPF)
// either, what is wrong with it: the advice never leads to a record that
// fails again.
func nearSPFAdvice(near string) string {
	advice, _ := nearSPFFix(near)
	return advice
}

// nearSPFFix is nearSPFAdvice and the record it says to publish ("" when
// it proposes none).
func nearSPFFix(near string) (advice, fixed string) {
	fixed, err := fixedNearSPF(strings.Trim(near, " \t\"'"))
	if err == nil {
		return fmt.Sprintf("publish it as %q", fixed), fixed
	}
	return fmt.Sprintf("with that mended it would still not be valid (%v), so publish a record that starts with \"v=spf1 \" and lists the servers sending as it, such as \"v=spf1 ip4:192.0.2.25 -all\"", strings.TrimPrefix(err.Error(), ErrSPFSyntax.Error()+": ")), ""
}

// fixedNearSPF is the SPF record that s (a TXT record starting with
// "v=spf1" but not read as SPF) was meant to be: its terms separated by
// single spaces, and a space after "v=spf1" in place of digits or
// punctuation stuck to it ("v=spf10 ...", "v=spf1;ip4:..."), which belong
// to no term; "" and ParseSPF's error when that record would still not
// parse.
func fixedNearSPF(s string) (string, error) {
	tail := s[len("v=spf1"):]
	if tail != "" && tail[0] != ' ' && tail[0] != '\t' && tail[0] != '\r' && tail[0] != '\n' {
		// Stuck to the version: a qualifier (+-~?) or a letter starts a
		// term ("v=spf1ip4:...", "v=spf1-all"); anything else is stray.
		tail = strings.TrimLeftFunc(tail, func(c rune) bool {
			return !strings.ContainsRune("+-~? \t", c) && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
		})
	}
	fixed := strings.Join(append([]string{"v=spf1"}, strings.Fields(tail)...), " ")
	if _, err := ParseSPF(fixed); err != nil {
		return "", err
	}
	return fixed, nil
}

func isDigits(s string) bool { return strings.Trim(s, "0123456789") == "" }

// whyNotSPF says why nearSPF took txt for no SPF record.
func whyNotSPF(txt string) string {
	switch {
	case !strings.HasPrefix(strings.ToLower(txt), "v=spf1"):
		return fmt.Sprintf("it starts with %q, not with \"v=spf1\" (quotes or spaces that belong to the zone file's syntax, not to the record)", txt[:strings.Index(strings.ToLower(txt), "v=spf1")])
	case strings.ContainsAny(txt, "\t\r\n"):
		return "its terms are separated by tabs or line breaks, and only spaces separate SPF terms (RFC 7208 12)"
	default:
		return fmt.Sprintf("\"v=spf1\" is followed by %q instead of a space", txt[6:7])
	}
}

func hasAllTerm(rec *SPFRecord) bool {
	for _, t := range rec.Terms {
		if !t.Modifier && t.Name == "all" {
			return true
		}
	}
	return false
}

// checkStrings looks at how the record is laid out in DNS: the size of the
// whole TXT answer it comes in (all records holds every TXT record of the
// name), and the boundaries between its strings.
func (w *spfWalker) checkStrings(n *SPFNode, strs []string, all [][]string) {
	// RFC 7208 3.4: keep the whole answer within 512 bytes, so that it
	// fits a plain UDP reply.
	if size := txtAnswerSize(n.Domain, all); size > 512 {
		others := ""
		if len(all) > 1 {
			others = fmt.Sprintf(" and %s of %s", counted(len(all)-1, "other TXT record"), n.Domain)
		}
		w.f.add(SevWarning, "long", n.Domain, n.Record, "RFC 7208 3.4",
			"the reply to a TXT query for %s is about %d bytes (the SPF record is %d%s), %s: shorten the record (write neighbouring ip4 addresses as one range, or move some to an include) or remove TXT records that are no longer needed, such as old verification tokens",
			n.Domain, size, len(n.Record), others, replyNeeds(size))
	}
	// Said once, of the first boundary, however many strings: a record
	// of hundreds of short strings must not make hundreds of findings.
	pos, first, more := 0, "", 0
	for i, s := range strs[:len(strs)-1] {
		pos += len(s)
		next := strs[i+1]
		if strings.HasSuffix(s, " ") || strings.HasPrefix(next, " ") || next == "" || s == "" {
			continue
		}
		if first != "" {
			more++
			continue
		}
		// The term on each side of the boundary, whole: a cut by bytes
		// would show "=spf1" for "v=spf1".
		left, right := s[strings.LastIndex(s, " ")+1:], next
		if i := strings.IndexByte(next, ' '); i >= 0 {
			right = next[:i]
		}
		first = fmt.Sprintf("the boundary after byte %d falls inside a term: %q ends one string and %q starts the next, which receivers read as the one term %q; that is right if the term was split only to fit strings of 255 bytes, but if %q and %q were meant as two terms, add a space at the end of the first string",
			pos, left, right, left+right, left, right)
	}
	if first == "" {
		return
	}
	switch {
	case more == 1:
		first += " (1 more boundary falls inside a term too)"
	case more > 1:
		first += fmt.Sprintf(" (%d more boundaries fall inside terms too)", more)
	}
	w.f.add(SevWarning, "string-split", n.Domain, n.Record, "RFC 7208 3.3", "the TXT strings are joined with nothing between them, and %s", first)
}

// replyNeeds says what carries a DNS reply of size bytes, which is over
// the 512 of plain UDP (RFC 1035 4.2.1).
func replyNeeds(size int) string {
	switch {
	case size <= 1232:
		// RFC 6891: a larger UDP buffer, announced in EDNS0.
		return "over the 512 that fit a plain UDP reply, so it needs EDNS0 or TCP, which some receivers do not use"
	case size <= 4096:
		// 1232 is the buffer most resolvers announce (DNS Flag Day
		// 2020), and 4096 about the largest any does.
		return "more than the 1232 bytes of UDP that most resolvers take (the EDNS0 buffer size of DNS Flag Day 2020), so most receivers must ask again over TCP, and those that cannot get no answer"
	}
	return "more than the 4096 bytes that any resolver takes over UDP, even with EDNS0, so only TCP carries it, and receivers that cannot ask over TCP get no answer"
}

// txtAnswerSize is the size of the DNS reply to a TXT query for name that
// holds records: header, question, and each record with its owner name
// compressed to a pointer (RFC 1035 4.1).
func txtAnswerSize(name string, records [][]string) int {
	size := 12 + len(dns.Fqdn(name)) + 1 + 4
	for _, r := range records {
		size += 2 + 10
		for _, s := range r {
			size += 1 + len(s)
		}
	}
	return size
}

func (w *spfWalker) term(n *SPFNode, t SPFTerm, hasAll bool, path []string) {
	target := t.Value
	if target == "" {
		target = n.Domain
	}
	macro := strings.Contains(target, "%")
	if macro && strings.Contains(strings.ToLower(target), "%{p") && (!t.Modifier || t.Name == "redirect" || t.Name == "exp") {
		// RFC 7208 7.2: like the ptr mechanism (5.5), the p macro
		// should not be used.
		w.once(n, "p-macro", SevWarning, "RFC 7208 7.2",
			"%s uses the p macro (the sender's validated reverse DNS name), which should not be used: it costs a PTR lookup and address lookups at every evaluation, fails for senders without reverse DNS, and large receivers ignore it as they ignore ptr; use the i macro (the sender's address) or list the addresses with ip4/ip6", t.String())
	}
	switch {
	case t.Modifier && t.Name == "redirect":
		if hasAll {
			w.f.add(SevInfo, "redirect-ignored", n.Domain, n.Record, "RFC 7208 6.1", "redirect=%s is ignored because the record has \"all\"", t.Value)
			return
		}
		if !w.lookup(n, t) {
			return
		}
		if target, written, ok := w.fixedTarget(n, t); ok {
			n.Children = append(n.Children, w.visit(n, target, "redirect", written, path))
		}
	case t.Modifier:
	case t.Name == "include":
		if !w.lookup(n, t) {
			return
		}
		if target, written, ok := w.fixedTarget(n, t); ok {
			n.Children = append(n.Children, w.visit(n, target, "include", written, path))
		}
	case t.Name == "a":
		// RFC 7208 5.3, 4.6.4: the sender's address family picks the one
		// query (A or AAAA), and that query alone is void or not.
		if !w.lookup(n, t) || macro {
			return
		}
		void4, void6 := w.void(n, target, dns.TypeA), w.void(n, target, dns.TypeAAAA)
		switch {
		case void4 && void6:
			w.addVoid(n, t.String(), voidBoth, "")
		case void4:
			w.addVoid(n, t.String(), voidIPv4, ": "+target+" has no A record")
		case void6:
			w.addVoid(n, t.String(), voidIPv6, ": "+target+" has no AAAA record")
		}
	case t.Name == "mx":
		if !w.lookup(n, t) || macro {
			return
		}
		mx, err := w.r.LookupMX(w.ctx, spfQueryName(target))
		switch {
		case err != nil && !resolver.IsNotFound(err):
			w.f.dnsFailed(target, err)
		case len(mx.MX) == 0:
			w.addVoid(n, t.String(), voidBoth, "")
		case len(mx.MX) > 10:
			w.f.add(SevError, "mx-limit", target, n.Record, "RFC 7208 4.6.4",
				"the %s term of %s finds %d MX records at %s, more than the 10 whose addresses it may look up, so receivers return permerror when an evaluation comes to it, and SPF fails for mail from every server that no term before it matches: list the servers that send mail with ip4 and ip6 terms (or an a term for a name that has their addresses) in place of %s; the hosts that receive mail are rarely the ones that send it",
				t.String(), n.Domain, len(mx.MX), target, t.String())
		}
	case t.Name == "ptr":
		w.lookup(n, t) // asks nothing here: the names depend on the sender
		w.once(n, "ptr", SevWarning, "RFC 7208 5.5",
			"the ptr mechanism is slow and unreliable and should not be used; large receivers ignore it: list the servers it stands for with ip4 and ip6 terms, or with an a term for a host name that has their addresses")
	case t.Name == "exists":
		// RFC 7208 5.7: exists asks A records whatever the sender.
		if w.lookup(n, t) && !macro && w.void(n, target, dns.TypeA) {
			w.addVoid(n, t.String(), voidBoth, "")
		}
	}
}

// once adds a finding about n's record unless one of its code is there
// already: a record that repeats a term gets one finding, not one per
// term (its record is in every finding).
func (w *spfWalker) once(n *SPFNode, code string, sev Severity, rfc, format string, args ...any) {
	for _, f := range w.f.list {
		if f.Code == w.f.check+"."+code && f.Name == n.Domain {
			return
		}
	}
	w.f.add(sev, code, n.Domain, n.Record, rfc, format, args...)
}

// fixedTarget is the name that the include or redirect t of n's record
// asks, when it is the same for every sender and IP: the value itself,
// or one whose only macros are of the domain (d) and literal ones
// (RFC 7208 7.2), expanded for n.Domain, with the term as written. A
// name that depends on the sender or IP is not walked (false): its
// lookups are counted, its record is not known.
func (w *spfWalker) fixedTarget(n *SPFNode, t SPFTerm) (target, written string, ok bool) {
	if !strings.Contains(t.Value, "%") {
		return t.Value, "", true
	}
	exp, ok := expandDomainMacros(t.Value, n.Domain)
	if !ok {
		return "", "", false
	}
	return exp, t.String(), true
}

// void reports whether a lookup returns no records; failures are reported
// and do not count as void.
func (w *spfWalker) void(n *SPFNode, name string, qtype uint16) bool {
	ips, err := w.r.LookupIP(w.ctx, spfQueryName(name), qtype)
	if err != nil && !resolver.IsNotFound(err) {
		w.f.dnsFailed(name, err)
		return false
	}
	return len(ips.IPs) == 0
}
