package sink

import (
	"regexp"
	"strings"
)

// nearRE splits a piece of a local part that may have been meant as a
// directive: an optional stage, then a directive's word or the first digit
// of a reply code, then the rest.
var nearRE = regexp.MustCompile(`^(rcpt|dataend|dot|data|rset|quit|mail)?[-_]?` +
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
		if !countRE.MatchString(rest) {
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
// x or p with no number after it, x and p in the wrong order.
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
