package sink

import (
	"regexp"
	"slices"
	"strings"
)

// nearRE splits a piece of a local part that may have been meant as a
// directive: an optional stage, then a directive's word or the first digit
// of a reply code, then the rest.
var nearRE = regexp.MustCompile(`^(rcpt|data[-_]?end|dot|data|rset|quit|mail)?[-_]?` +
	`(defer|delay|tarpit|greylist|bounce|hang|drop|accept|ok|unknown|full|[0-9])(.*)$`)

// countRE: the rest of a piece goes on as xN or pN would.
var countRE = regexp.MustCompile(`^[xp][0-9]`)

// unitWords are the ways of writing a unit that a directive's duration
// does not take, and the unit meant.
var unitWords = []struct{ word, unit string }{
	{"milliseconds", "ms"}, {"millisecond", "ms"}, {"millis", "ms"}, {"msecs", "ms"}, {"msec", "ms"},
	{"seconds", "s"}, {"second", "s"}, {"secs", "s"}, {"sec", "s"},
	{"minutes", "m"}, {"minute", "m"}, {"mins", "m"}, {"min", "m"},
	{"hours", "h"}, {"hour", "h"}, {"hrs", "h"}, {"hr", "h"},
	{"days", "d"}, {"day", "d"},
}

// nearMiss says why seg, which does not parse as a directive, still looks
// meant as one (greylist5min, delay30sec, defer2x, rcpt55O), naming the
// directive meant when one edit makes it parse; "" when seg reads as a
// plain name (bounces, deferred, database, dropbox, rcpt99, 2024). The
// sink takes such a piece as a name all the same: a tester may really
// have such a mailbox, and the note is the signal.
func nearMiss(seg string) string {
	if why := orderMiss(seg); why != "" {
		return why
	}
	if why := shapeMiss(seg); why != "" {
		return why
	}
	return wordMiss(seg)
}

// orderMiss is nearMiss for a piece that gives a directive's count or
// probability first (p50rcpt550, x2defer): the directive with it moved to
// the end, where it goes, when that parses.
func orderMiss(seg string) string {
	if len(seg) < 3 || (seg[0] != 'p' && seg[0] != 'x') || seg[1] < '0' || seg[1] > '9' {
		return ""
	}
	n := 1
	for n < len(seg) && seg[n] >= '0' && seg[n] <= '9' {
		n++
	}
	if n == len(seg) {
		return ""
	}
	meant := seg[n:] + seg[:n]
	if d, why := parseDirective(meant); why != "" || d.Text == "" {
		return ""
	}
	what := "probability"
	if seg[0] == 'x' {
		what = "count"
	}
	return "did you mean " + meant + "? A directive's " + what + " goes after it ([stage]action[xN][pP]), and a piece that is not exactly a directive is taken as a name"
}

// shapeMiss is nearMiss for a piece that starts with a directive's word
// or a stage and a code.
func shapeMiss(seg string) string {
	m := nearRE.FindStringSubmatch(seg)
	if m == nil {
		return ""
	}
	stage, word, rest := m[1], m[2], m[3]
	digit := word[0] >= '0' && word[0] <= '9'
	goesOn := rest != "" && (rest[0] >= '0' && rest[0] <= '9' || countRE.MatchString(rest))
	var form string
	switch {
	case digit:
		if !codeLike(word+rest, stage != "") && (stage != "mail" || len(word+rest) != 3) {
			return ""
		}
		form = "[stage]CODE[-ENHANCED][xN][pP]: a code of three digits, as in rcpt550, rcpt550-5.7.1 or dot451x2"
	case word == "delay" || word == "tarpit" || word == "greylist" || word == "bounce":
		if !goesOn {
			return ""
		}
		form = "[stage]" + word + "[DURATION][xN][pP]: a duration is a whole number of ms, s, m, h or d, as in " + word + "5m"
	case word == "defer":
		if !goesOn {
			return ""
		}
		form = "defer[N][xN][pP]: defer2 defers twice, then accepts"
	case word == "drop" || word == "hang":
		if !goesOn && !strings.Contains(rest, "after") {
			return ""
		}
		form = "[stage]" + word + "[xN][pP], or " + word + "afterdot"
	default: // accept, ok, unknown, full
		if !countRE.MatchString(rest) && !bareCount(rest) {
			return ""
		}
		form = "[stage]" + word + "[xN][pP]"
	}
	if stage == "mail" {
		// No directive acts at MAIL: the recipient is not known yet.
		return "directives have no mail stage, only rcpt, data, dot, rset and quit (a sink rule with stage: mail acts at MAIL)"
	}
	why := "it looks like a directive but does not parse as " + form
	if s := suggest(seg, stage, word, digit); s != "" {
		why = "did you mean " + s + "? I" + why[1:]
	}
	return why
}

// codeLike reports whether s, after a stage (staged) or alone, starts
// like a reply code: three characters of which the digits are at least
// two and the rest letters often typed for digits (55O, 5S0), or three
// digits and then more of a directive (550x, 550-5.1, 5500 after a
// stage). Digits alone of another length are a name (2024, rcpt99).
func codeLike(s string, staged bool) bool {
	if len(s) < 3 {
		return false
	}
	digits := 0
	for i := 0; i < 3; i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case !strings.ContainsRune("oOlIsS", rune(s[i])):
			return false
		}
	}
	if digits < 3 {
		return digits == 2
	}
	if len(s) == 3 {
		return false // three digits parse, or were noted as out of range
	}
	return staged || strings.ContainsRune("xp-_", rune(s[3]))
}

// suggest returns the directive seg most likely meant, when one of a few
// edits makes it parse: a unit written out (5min: 5m), letters typed for
// digits (55O: 550), a drop or hang after the dot spelled another way, an
// x or p with no number after it, x and p in the wrong order, a count
// without its x (dotdrop1: dotdropx1).
func suggest(seg, stage, word string, digit bool) string {
	var tries []string
	for _, u := range unitWords {
		if i := strings.Index(seg, u.word); i > 0 && seg[i-1] >= '0' && seg[i-1] <= '9' {
			tries = append(tries, seg[:i]+u.unit+seg[i+len(u.word):])
			break
		}
	}
	if digit {
		// The code's three characters only: the stage has letters of
		// its own (dot, rset).
		at := strings.Index(seg[len(stage):], word) + len(stage)
		code := []byte(seg[at : at+3])
		for i, c := range code {
			switch c {
			case 'o', 'O':
				code[i] = '0'
			case 'l', 'I':
				code[i] = '1'
			case 's', 'S':
				code[i] = '5'
			}
		}
		tries = append(tries, seg[:at]+string(code)+seg[at+3:])
	}
	if (word == "drop" || word == "hang") && strings.Contains(seg, "after") {
		tries = append(tries, word+"afterdot")
	}
	tries = append(tries, strings.TrimRight(seg, "xp"))
	if i, j := strings.LastIndexByte(seg, 'p'), strings.LastIndexByte(seg, 'x'); i > 0 && j > i {
		tries = append(tries, seg[:i]+seg[j:]+seg[i:j])
	}
	for _, t := range append(tries, seg) {
		// A count without its x, alone or after another slip
		// (delay5sec2: delay5sx2).
		tries = append(tries, withCountX(t, word)...)
	}
	for _, t := range tries {
		if t == seg {
			continue
		}
		if d, why := parseDirective(t); why == "" && d.Text != "" {
			return t
		}
	}
	return ""
}

// bareCount reports whether rest, after a directive's word, is a count
// written without its x, perhaps with a probability after it (accept2,
// full3p50).
func bareCount(rest string) bool {
	n, _ := splitProb(rest)
	return n != "" && strings.Trim(n, "0123456789") == ""
}

// splitProb splits a trailing probability (p50) from seg, when the piece
// before it ends in a digit: "dotdrop1p50" is "dotdrop1" and "p50".
func splitProb(seg string) (string, string) {
	i := strings.LastIndexByte(seg, 'p')
	if i < 1 || i == len(seg)-1 || seg[i-1] < '0' || seg[i-1] > '9' || strings.Trim(seg[i+1:], "0123456789") != "" {
		return seg, ""
	}
	return seg[:i], seg[i:]
}

// withCountX are the ways of reading the number that ends seg (before a
// probability) as a directive's count whose x was left out: x put before
// each of its digits, the shortest count first (dot4513: dot451x3;
// accept12: accept1x2, acceptx12). None when the number has its x, or
// follows a word that takes a number of its own: defer's (defer2), or a
// duration's whose unit is missing (delay30), which unitWords and the
// form in the note are about.
func withCountX(seg, word string) []string {
	base, prob := splitProb(seg)
	k := len(strings.TrimRight(base, "0123456789"))
	if k == 0 || k == len(base) || base[k-1] == 'x' {
		return nil
	}
	switch word {
	case "defer", "delay", "tarpit", "greylist", "bounce":
		if strings.HasSuffix(base[:k], word) {
			return nil
		}
	}
	var out []string
	for i := len(base) - 1; i >= k; i-- {
		out = append(out, base[:i]+"x"+base[i:]+prob)
	}
	return out
}

// typoWords are the directive words a misspelling of which wordMiss
// notes: those of five letters or more, as a shorter one is one edit from
// too many names (hang: hand, drop: drip, full: fall, ok: oak).
var typoWords = []string{"defer", "delay", "tarpit", "greylist", "bounce", "accept", "unknown", "dropafterdot", "hangafterdot"}

// shortWords are the directive words too short for typoWords, whose
// misspelling wordMiss notes only after a stage (dotdrp, rcpthnag),
// which a name seldom starts with.
var shortWords = []string{"drop", "hang"}

// stagePrefixes are the stages a directive may start with, longest first.
var stagePrefixes = []string{"dataend", "data-end", "data_end", "rcpt", "data", "rset", "quit", "dot"}

// wordMiss notes a piece whose word is one edit from a directive's word
// (dealy5s, greylst, tarpitt, graylist), or a directive's word with a '-'
// or '_' before its number (defer-2), when the piece then parses as a
// directive. A word without anything after it must have six letters or
// more and not be the directive's word with s or d added (relay, bounces,
// bounced and delays are names). It runs for each piece that is no
// directive, so it costs a few comparisons of lengths for most names, and
// a scan of the word for those of a directive word's length.
func wordMiss(seg string) string {
	stage, rest := "", seg
	for _, p := range stagePrefixes {
		if strings.HasPrefix(seg, p) && len(seg) > len(p) {
			stage, rest = seg[:len(p)], seg[len(p):]
			if rest[0] == '-' || rest[0] == '_' {
				stage, rest = seg[:len(p)+1], rest[1:]
			}
			break
		}
	}
	if w, s := wordMissIn(rest); w != "" {
		return s + stage + w + "? " + wordWhy(stage+w)
	}
	if stage != "" {
		n := 0
		for n < len(rest) && rest[n] >= 'a' && rest[n] <= 'z' {
			n++
		}
		// The word may end in the x or p of a count or probability
		// (dotdrpx2): try each length of the letters.
		for k := n; k > 0; k-- {
			for _, w := range shortWords {
				if rest[:k] == w || !oneEdit(rest[:k], w) {
					continue
				}
				meant := stage + w + rest[k:]
				if d, why := parseDirective(meant); why == "" && d.Text != "" {
					return "did you mean " + meant + "? " + wordWhy(meant)
				}
			}
		}
	}
	if stage != "" {
		// The stage may have been the start of a name (database).
		if w, s := wordMissIn(seg); w != "" {
			return s + w + "? " + wordWhy(w)
		}
	}
	return ""
}

// wordWhy says why the piece is taken for a misspelt directive.
func wordWhy(meant string) string {
	return "It is one edit from the directive " + meant + ", and a piece that is not exactly a directive is taken as a name"
}

// wordMissIn returns the directive s (without a stage) is one edit from,
// and "did you mean ", or "" when there is none.
func wordMissIn(s string) (string, string) {
	n := 0
	for n < len(s) && s[n] >= 'a' && s[n] <= 'z' {
		n++
	}
	word, after := s[:n], s[n:]
	if len(after) >= 2 && (after[0] == '-' || after[0] == '_') && after[1] >= '0' && after[1] <= '9' {
		// defer-2, delay-5s: no separator before a number.
		if d, why := parseDirective(word + after[1:]); why == "" && d.Text != "" {
			return word + after[1:], "did you mean "
		}
	}
	for _, w := range typoWords {
		if len(word) < len(w)-1 || len(word) > len(w)+1 || word == w {
			continue
		}
		if after == "" && (len(word) < 6 || word == w+"s" || word == w+"d") {
			continue
		}
		if !oneEdit(word, w) {
			continue
		}
		if d, why := parseDirective(w + after); why == "" && d.Text != "" {
			return w + after, "did you mean "
		}
	}
	return "", ""
}

// oneEdit reports whether a and b, which differ, are one edit apart: a
// letter added, taken out or changed, or two neighbours swapped.
func oneEdit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	switch {
	case len(a) == len(b):
		if i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] {
			return true // swapped
		}
		return i < len(a) && a[i+1:] == b[i+1:]
	case len(a)+1 == len(b):
		return a[i:] == b[i+1:]
	}
	return false
}

// MendPattern is a rule's glob (recipient:, sender:) edited as little as
// can be to match addr, its * and ? kept, for a "did you mean" that
// offers a pattern where a pattern was written: "*@example.tst", near
// receipts@example.test, is "*@example.test", not that one address.
// Letters are compared without case, as the sink matches globs, and keep
// the case written. "" for a regexp, a glob without * or ? (addr itself
// is the suggestion), or one that already matches.
func MendPattern(glob, addr string) string {
	if glob == "" || glob[0] == '/' || !strings.ContainsAny(glob, "*?") {
		return ""
	}
	if m, err := compilePattern(glob); err != nil || m.match(addr) {
		return ""
	}
	p, s := []rune(glob), []rune(addr)
	// cost[i][j]: the fewest edits for p[:i] to match s[:j]; * takes any
	// run of s for nothing, ? one character; a literal is kept, replaced,
	// dropped, or has a character of s put before it, each but the first
	// for 1 (as reports.GlobDistance counts).
	cost := make([][]int, len(p)+1)
	for i := range cost {
		cost[i] = make([]int, len(s)+1)
	}
	for j := range cost[0] {
		cost[0][j] = j
	}
	same := func(a, b rune) bool { return a == b || strings.EqualFold(string(a), string(b)) }
	for i := 1; i <= len(p); i++ {
		c := p[i-1]
		cost[i][0] = cost[i-1][0]
		if c != '*' {
			cost[i][0]++
		}
		for j := 1; j <= len(s); j++ {
			switch {
			case c == '*':
				cost[i][j] = min(cost[i-1][j], cost[i][j-1])
			case c == '?':
				cost[i][j] = min(cost[i-1][j-1], cost[i-1][j]+1, cost[i][j-1]+1)
			default:
				sub := 1
				if same(c, s[j-1]) {
					sub = 0
				}
				cost[i][j] = min(cost[i-1][j-1]+sub, cost[i-1][j]+1, cost[i][j-1]+1)
			}
		}
	}
	// Back from the end: the edits that cost what the table says, written
	// out in reverse.
	var out []rune
	i, j := len(p), len(s)
	for i > 0 || j > 0 {
		var c rune
		if i > 0 {
			c = p[i-1]
		}
		switch {
		case i > 0 && c == '*' && cost[i][j] == cost[i-1][j]:
			out = append(out, '*')
			i--
		case i > 0 && c == '*': // it takes s[j-1]
			j--
		case i > 0 && j > 0 && c == '?' && cost[i][j] == cost[i-1][j-1]:
			out = append(out, '?')
			i, j = i-1, j-1
		case i > 0 && j > 0 && c != '?' && same(c, s[j-1]) && cost[i][j] == cost[i-1][j-1]:
			out = append(out, c)
			i, j = i-1, j-1
		case i > 0 && j > 0 && c != '?' && cost[i][j] == cost[i-1][j-1]+1:
			out = append(out, s[j-1]) // replaced
			i, j = i-1, j-1
		case i > 0 && cost[i][j] == cost[i-1][j]+1:
			i-- // dropped
		default:
			out = append(out, s[j-1]) // put in
			j--
		}
	}
	slices.Reverse(out)
	return string(out)
}
