package probe

import (
	"fmt"
	"strings"
)

// spfMerge is the one record that several SPF records of a name become,
// with what had to change on the way.
type spfMerge struct {
	Record string
	// Ptr holds the ptr terms left out (RFC 7208 5.5: do not use ptr).
	Ptr []string
	// Ending says how the record ends and why, when the records did not
	// all end the same way or none ended in -all or ~all; "" otherwise.
	Ending string
}

// spfQualifierRank orders the qualifiers of "all" from the most to the
// least protective.
var spfQualifierRank = map[byte]int{'-': 4, '~': 3, '?': 2, '+': 1}

// mergeSPF joins several SPF records into one that lists every sender any
// of them lists: each term once, ip4 and ip6 first (they cost no lookup
// and end most evaluations early), then the other mechanisms in order,
// then the strictest "all" of the records. ptr is left out (RFC 7208 5.5).
// An "all" that protects nothing (+all, ?all) or no "all" at all becomes
// ~all. A redirect stays only when no record has "all" (RFC 7208 6.1
// ignores it beside one); otherwise, like any further redirect, it
// becomes an include of the same domain, which keeps its senders.
func mergeSPF(recs []string) spfMerge {
	var m spfMerge
	var ips, mechs, mods, redirects, endings []string
	best := byte(0)
	seen := map[string]bool{}
	for _, r := range recs {
		ending := ""
		for _, t := range strings.Fields(r)[1:] {
			lt := strings.ToLower(t)
			name, modifier := spfTermName(lt)
			key := strings.TrimPrefix(lt, "+")
			switch {
			case name == "all" && !modifier:
				q := byte('+')
				if strings.ContainsRune("+-~?", rune(lt[0])) {
					q = lt[0]
				}
				if ending == "" {
					ending = string(q) + "all"
				}
				if spfQualifierRank[q] > spfQualifierRank[best] {
					best = q
				}
			case seen[key]:
			case modifier && name == "redirect":
				seen[key] = true
				redirects = append(redirects, t[len("redirect="):])
				if ending == "" {
					ending = t
				}
			case modifier && name == "exp" && hasModifier(mods, "exp"):
				// One explanation only (RFC 7208 6: at most once).
			case modifier:
				seen[key] = true
				mods = append(mods, t)
			case name == "ptr":
				seen[key] = true
				m.Ptr = append(m.Ptr, t)
			case name == "ip4" || name == "ip6":
				seen[key] = true
				ips = append(ips, t)
			default:
				seen[key] = true
				mechs = append(mechs, t)
			}
		}
		if ending == "" {
			ending = "no all"
		}
		endings = append(endings, ending)
	}
	var tail string
	switch {
	case best == '-' || best == '~':
		tail = string(best) + "all"
		if distinct(endings) > 1 {
			m.Ending = fmt.Sprintf("it ends in %s, the strictest ending of the records (%s): senders that any record lists still pass", tail, strings.Join(endings, ", "))
		}
	case best == 0 && len(redirects) > 0:
		tail = "redirect=" + redirects[0]
		redirects = redirects[1:]
	default:
		tail = "~all"
		m.Ending = fmt.Sprintf("it ends in ~all, because none of the records ends in -all or ~all (%s), and +all, ?all or no all protects nothing; make it -all once you are sure it lists every server that sends your mail", strings.Join(endings, ", "))
	}
	for _, d := range redirects {
		mechs = append(mechs, "include:"+d)
	}
	terms := append(append(append([]string{"v=spf1"}, ips...), mechs...), tail)
	m.Record = strings.Join(append(terms, mods...), " ")
	return m
}

// spfTermName is the name of a term written in lower case, and whether it
// is a modifier ("exp=..." rather than "include:..." or "-all").
func spfTermName(lt string) (name string, modifier bool) {
	body := strings.TrimLeft(lt, "+-~?")
	if i := strings.IndexAny(body, ":/="); i >= 0 {
		return body[:i], body[i] == '='
	}
	return body, false
}

func hasModifier(mods []string, name string) bool {
	for _, t := range mods {
		if n, _ := spfTermName(strings.ToLower(t)); n == name {
			return true
		}
	}
	return false
}

func distinct(list []string) int {
	seen := map[string]bool{}
	for _, s := range list {
		seen[s] = true
	}
	return len(seen)
}

// multiple reports a name with several SPF records, which receivers treat
// as a permerror (RFC 7208 4.5), and says what to publish instead. The one
// record the records become is checked as a published record would be:
// it is proposed only when it passes; otherwise the finding says what
// fails, so that the advice never leads to a record that fails again.
func (w *spfWalker) multiple(n *SPFNode, recs []string, path []string) {
	m := mergeSPF(recs)
	sub := newSPFWalker(w.ctx, w.r, w.log, w.work)
	joined := &SPFNode{Domain: n.Domain, Via: n.Via, Record: m.Record}
	sub.walk(joined, path)
	sub.assess(joined)

	var fails []string
	flatten := false
	for _, f := range sub.f.list {
		switch {
		case f.Severity != SevError:
		case f.Code == "spf.lookup-limit":
			flatten = true
			fails = append(fails, fmt.Sprintf("it would need %d DNS lookups, more than the limit of %d (%s)", joined.Total, spfLookupLimit, branches(joined)))
		case f.Code == "spf.void-limit":
			fails = append(fails, voidFailure(sub, joined)+": remove those terms or correct their names")
		default:
			fails = append(fails, f.Message)
		}
	}
	head := fmt.Sprintf("%s has %d SPF records, so receivers return permerror and SPF fails for all its mail", n.Domain, len(recs))
	var notes []string
	if len(m.Ptr) > 0 {
		notes = append(notes, fmt.Sprintf("it leaves out %s, which RFC 7208 5.5 says not to use and large receivers ignore: list the servers it stood for with ip4, ip6 or a", strings.Join(m.Ptr, " ")))
	}
	if m.Ending != "" {
		notes = append(notes, m.Ending)
	}
	if len(m.Record) > 255 {
		notes = append(notes, fmt.Sprintf("it is %d bytes, more than one TXT string holds (255): publish it as several quoted strings, which receivers join (RFC 7208 3.3)", len(m.Record)))
	}
	if len(fails) > 0 {
		fix := "then publish it as the only SPF record and run the probe again"
		if flatten {
			fix = "flatten the includes (list the addresses they stand for with ip4 and ip6) or remove the ones no longer used until it fits, " + fix
		} else {
			fix = "fix that, " + fix
		}
		w.f.add(SevError, "multiple", n.Domain, strings.Join(recs, " | "), "RFC 7208 4.5",
			"%s; they must become one record, but their terms joined (\"%s\") would fail too: %s; %s%s",
			head, m.Record, strings.Join(fails, "; "), fix, noteList(notes))
		return
	}
	cost := fmt.Sprintf("it needs %d of the %d DNS lookups allowed", joined.Total, spfLookupLimit)
	if sub.f.unknown {
		cost = fmt.Sprintf("relaylab counted %d DNS lookups of the %d allowed, but a lookup failed, so run the probe again before publishing it", joined.Total, spfLookupLimit)
	}
	w.f.add(SevError, "multiple", n.Domain, strings.Join(recs, " | "), "RFC 7208 4.5",
		"%s: replace them with this one record, which lists every sender they list: \"%s\" (%s)%s",
		head, m.Record, cost, noteList(notes))
	w.f.proposes(n.Domain, "TXT", m.Record)
}

// noteList writes notes as a sentence tail: "; NOTE; NOTE".
func noteList(notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	return "; " + strings.Join(notes, "; ")
}

// voidFailure says which lookups of a walk find nothing, for IPv4 senders
// when they are over the limit, else for IPv6 ones.
func voidFailure(w *spfWalker, root *SPFNode) string {
	if root.VoidSum > spfVoidLimit {
		s := fmt.Sprintf("%d of its lookups find nothing, more than the %d allowed (%s)", root.VoidSum, spfVoidLimit, countedList(w.voids4))
		if root.Void6Sum > spfVoidLimit && root.Void6Sum != root.VoidSum {
			s += fmt.Sprintf(", and %d for mail from IPv6 addresses", root.Void6Sum)
		}
		return s
	}
	return fmt.Sprintf("for mail from IPv6 addresses, %d of its lookups find nothing, more than the %d allowed (%s)", root.Void6Sum, spfVoidLimit, countedList(w.voids6))
}
