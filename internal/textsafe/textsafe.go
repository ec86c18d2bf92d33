// Package textsafe makes text from outside (DNS records, SMTP replies,
// message headers) safe to print on a terminal.
package textsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every control character but newline and tab, and
// every byte that is not UTF-8, written out as an escape (\x1b, \u009b),
// so that text a stranger chose cannot move the cursor, clear the screen
// or retitle the window of whoever reads the output. The Unicode
// bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
// U+061C) are escaped too (\u202e): with them an address shows its
// domain backwards, "a\u202emoc.elgoog@x" reading as "a@x" at
// "google.com", on a terminal or in a browser. So are the characters that
// take no room and show nothing in an address (U+200B, U+2060-U+2064,
// U+FEFF, U+180E: \u200b): "pay\u200bpal@x" is not "paypal@x", and must
// not print as it. The zero width joiner and non-joiner stay: emoji and
// Persian or Indic text need them. Text without such characters comes
// back as it is.
func Escape(s string) string {
	if !needs(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\u%04x`, r) // C1 controls: 0x9b is a CSI to some terminals
		case IsBidiControl(r) || isInvisible(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// IsBidiControl reports whether r is one of the explicit directional
// formatting characters of Unicode's bidirectional algorithm (UAX #9:
// embeddings, overrides, isolates and the three marks).
func IsBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

// isInvisible reports whether r is a character that shows nothing and
// takes no room, and has no use in a name or an address that the text
// around it could not do without: the zero width space, the word joiner
// and the invisible operators, the byte order mark (zero width no-break
// space) and the Mongolian vowel separator.
func isInvisible(r rune) bool {
	return r == 0x200b || r >= 0x2060 && r <= 0x2064 || r == 0xfeff || r == 0x180e
}

func needs(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c >= 0x80 {
			if c >= 0x80 {
				// Only invalid UTF-8, C1 controls, bidi controls and
				// invisible characters need escaping.
				r, size := utf8.DecodeRuneInString(s[i:])
				if r != utf8.RuneError && (r < 0x80 || r > 0x9f) && !IsBidiControl(r) && !isInvisible(r) {
					i += size - 1
					continue
				}
			}
			return true
		}
	}
	return false
}

// Cut is s cut to at most max octets, for a reply or a line that echoes
// it: its start, "...", and its last quarter (an address's domain), each
// cut at a UTF-8 character boundary. s within max comes back as it is.
func Cut(s string, max int) string {
	const mark = "..."
	if len(s) <= max {
		return s
	}
	tail := max / 4
	head := max - tail - len(mark)
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	from := len(s) - tail
	for from < len(s) && !utf8.RuneStart(s[from]) {
		from++
	}
	return s[:head] + mark + s[from:]
}

// FirstNonUTF8 is the index of the first octet of b that does not begin
// or continue a valid UTF-8 sequence, or -1 when b is all UTF-8.
func FirstNonUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}
