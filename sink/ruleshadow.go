package sink

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
)

// ShadowedRules are the rules of rs that never apply, as a rule before
// each answers everything it matches (shadowedBy), each a
// *config.FieldError at its key under prefix ("sink.rules"); inProfile
// says rs are a profile's. A rule that does not compile is left to the
// check that refuses it. They are warnings, not errors: the sink runs
// such rules as written, first match first.
func ShadowedRules(prefix string, rs []Rule, inProfile bool) []error {
	var out []error
	cs := make([]*rule, len(rs))
	for i, r := range rs {
		c, err := r.compileIn(fmt.Sprintf("%s[%d]", prefix, i), inProfile)
		if err != nil {
			continue
		}
		if j := shadowedBy(c, cs[:i]); j >= 0 {
			out = append(out, shadowError(prefix, i, j, rs, c.stage))
		}
		cs[i] = c
	}
	return out
}

// shadowedBy returns the index of the first rule of before that answers
// everything r matches, on every attempt, so that r never applies (the
// first rule that matches decides: Sink.choose, Sink.profileRule), or -1;
// nil rules of before (that did not compile) are passed over.
// The test is sound, not complete: it says so only when it is sure, such
// as "*@qa.test" before "bob@qa.test" at one stage, or a rule with no
// conditions before any other of its stage.
func shadowedBy(r *rule, before []*rule) int {
	for i, a := range before {
		if a != nil && a.covers(r) {
			return i
		}
	}
	return -1
}

// covers reports whether every input b matches a matches too, and a
// always applies when it matches (no probability).
func (a *rule) covers(b *rule) bool {
	if a.prob < 1 || a.stage != b.stage {
		return false
	}
	if a.src.Listener != "" && a.src.Listener != b.src.Listener {
		return false
	}
	if a.hasClient && (!b.hasClient || a.client.Bits() > b.client.Bits() || !a.client.Contains(b.client.Addr())) {
		return false
	}
	if !patternCovers(a.src.Recipient, b.src.Recipient) || !patternCovers(a.src.Sender, b.src.Sender) || !patternCovers(a.src.HELO, b.src.HELO) {
		return false
	}
	if a.attLo > 0 && (b.attLo == 0 || a.perMessage != b.perMessage || b.attLo < a.attLo || a.attHi >= 0 && (b.attHi < 0 || b.attHi > a.attHi)) {
		return false
	}
	if a.dmarc != "" && a.dmarc != b.dmarc {
		return false
	}
	if !resultsCover(a.spf, b.spf) || !resultsCover(a.dkim, b.dkim) {
		return false
	}
	if a.content != nil && (a.src.Header != b.src.Header || a.src.Body != b.src.Body || a.src.Size != b.src.Size) {
		return false
	}
	return true
}

// resultsCover: an spf: or dkim: condition a (nil: none) holds wherever b
// does.
func resultsCover(a, b []string) bool {
	if a == nil {
		return true
	}
	if b == nil {
		return false
	}
	for _, v := range b {
		if !slices.Contains(a, v) {
			return false
		}
	}
	return true
}

// patternCovers reports whether pattern a (as written in a rule; "" is
// none) matches every value pattern b matches: a is none or all stars,
// or both are globs and globCovers says so, or both are one pattern.
func patternCovers(a, b string) bool {
	switch {
	case a == "" || strings.Trim(a, "*") == "":
		// "*" matches the empty value too (the null sender); a recipient
		// is never empty where a rule may name one (neverMatches).
		return true
	case b == "":
		return false
	case a == b:
		return true
	case isRegexpPattern(a) || isRegexpPattern(b) || isNullSender(a) || isNullSender(b):
		return false
	}
	return globCovers([]rune(a), []rune(b))
}

// isRegexpPattern: p is a regexp between slashes (compilePattern).
func isRegexpPattern(p string) bool { return len(p) >= 2 && p[0] == '/' && p[len(p)-1] == '/' }

// globCovers reports whether glob a matches every string glob b matches,
// case aside (globs ignore case): a's * may stand for any run of b's
// characters and wildcards, a's ? for one character or ? of b, and a's
// other characters for the same one of b. Sound (true only when a does
// cover b), and complete enough for the patterns people write.
func globCovers(a, b []rune) bool {
	memo := map[[2]int]bool{}
	var cov func(i, j int) bool
	cov = func(i, j int) bool {
		k := [2]int{i, j}
		if v, ok := memo[k]; ok {
			return v
		}
		var v bool
		switch {
		case i == len(a):
			v = j == len(b)
		case a[i] == '*':
			v = cov(i+1, j) || j < len(b) && cov(i, j+1)
		case j == len(b):
			v = false
		case a[i] == '?':
			v = b[j] != '*' && cov(i+1, j+1)
		default:
			v = b[j] != '*' && b[j] != '?' && strings.EqualFold(string(a[i]), string(b[j])) && cov(i+1, j+1)
		}
		memo[k] = v
		return v
	}
	return cov(0, 0)
}

// shadowError says that rule i of prefix never applies, as rule j before
// it answers for it: a test that relies on it would pass unseen.
func shadowError(prefix string, i, j int, rs []Rule, stage Stage) error {
	by := fmt.Sprintf("%s[%d]", prefix, j)
	if rs[j].Name != "" {
		by += " (" + strconv.Quote(rs[j].Name) + ")"
	}
	what := "matches everything this rule matches"
	if rs[j].Recipient == "" && rs[j].Sender == "" && rs[j].HELO == "" && rs[j].Client == "" && rs[j].Attempt == "" &&
		rs[j].DMARC == "" && rs[j].SPF == "" && rs[j].DKIM == "" && rs[j].Header == "" && rs[j].Body == "" && rs[j].Size == "" {
		what = "has no condition but its stage, so it matches everything"
		if rs[j].Listener != "" {
			what = "has no condition but its stage and listener, so it matches everything there"
		}
	}
	every := ", on every attempt"
	if rs[j].Attempt != "" {
		every = fmt.Sprintf(" (its attempt: %q takes in this rule's %q)", rs[j].Attempt, rs[i].Attempt)
	}
	also := ""
	if rs[j].Reply == "" && !rs[j].Hang && !rs[j].Drop && rs[j].Greylist == nil && rs[j].Bounce == nil {
		also = " (a rule that only delays or tarpits decides too: the sink's own reply follows its wait)"
	}
	return config.Errorf(fmt.Sprintf("%s[%d]", prefix, i),
		"never applies: %s comes before it at stage %s and %s%s, and the first rule that matches decides the reply%s; "+
			"move this rule above %s, or narrow that one (the more specific rule goes first)", by, stage, what, every, also, by)
}
