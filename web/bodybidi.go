package web

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// isBidiControl reports whether r is one of the explicit directional
// formatting characters of UAX #9 (embeddings and overrides
// U+202A-U+202E, isolates U+2066-U+2069, the marks U+200E, U+200F and
// U+061C): internal/textsafe's set, and the UI's (web/ui/dom.js).
func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

// bidiToken is what stands for control r where it was: the token the UI
// shows for one in any other text of a message, "⟨U+202E⟩".
func bidiToken(r rune) string { return fmt.Sprintf("⟨U+%04X⟩", r) }

// markBidiText is text with each direction control replaced by its
// token, for a body served as text/plain.
func markBidiText(s string) string {
	if !strings.ContainsFunc(s, isBidiControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isBidiControl(r) {
			b.WriteString(bidiToken(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// markBidiHTML is a message's HTML with each direction control replaced
// by its token, whether written as a character or as a character
// reference that the browser decodes into one (&#x202E;, &#8238;,
// &#x0202e without its semicolon, &rlm;): in the body's frame too, none
// is applied, and "gnp.exe" after a U+202E does not read "exe.png". The
// token is text without markup, so it is harmless wherever it lands: in
// text, in an attribute's value (an alt or a title that is shown), or in
// a script or a style that does not run. s is valid UTF-8.
func markBidiHTML(s string) string {
	if !strings.ContainsFunc(s, isBidiControl) && !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] == '&' {
			if r, n := charRef(s[i:]); n > 0 && isBidiControl(r) {
				b.WriteString(bidiToken(r))
				i += n
				continue
			}
			b.WriteByte('&')
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isBidiControl(r) {
			b.WriteString(bidiToken(r))
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// charRef reads the character reference at the start of s, as the HTML
// tokenizer does for the ones that can name a direction control: a
// numeric one, decimal or hexadecimal, with any number of leading zeros
// and its semicolon optional (a parse error, but decoded), or &lrm; and
// &rlm;, the only named references to one (they need their semicolon).
// n is the bytes it takes, 0 when s starts with none of these.
func charRef(s string) (r rune, n int) {
	switch {
	case strings.HasPrefix(s, "&lrm;"):
		return 0x200e, 5
	case strings.HasPrefix(s, "&rlm;"):
		return 0x200f, 5
	case !strings.HasPrefix(s, "&#"):
		return 0, 0
	}
	i, base := 2, 10
	if i < len(s) && (s[i] == 'x' || s[i] == 'X') {
		i, base = 3, 16
	}
	start, v := i, 0
	for ; i < len(s); i++ {
		d := digit(s[i], base)
		if d < 0 {
			break
		}
		if v <= utf8.MaxRune {
			v = v*base + d // past MaxRune it stays past: no control
		}
	}
	if i == start {
		return 0, 0
	}
	if i < len(s) && s[i] == ';' {
		i++
	}
	if v > utf8.MaxRune {
		return utf8.RuneError, i
	}
	return rune(v), i
}

// digit is c's value as a digit in base 10 or 16, -1 if it is none.
func digit(c byte, base int) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case base == 16 && c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case base == 16 && c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
