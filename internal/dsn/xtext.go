package dsn

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// This file holds the two encodings DSN values travel in: the xtext of
// RFC 3461 4 (ENVID, ORCPT of type rfc822) and the utf-8-addr-xtext and
// utf-8-addr-unitext of RFC 6533 3 (ORCPT and report fields of type
// utf-8). Each has an encoder, a strict decoder for a server that must
// refuse what the RFCs do not allow, and a lenient decoder for what other
// MTAs write back.

// XtextError is why DecodeXtext or DecodeUTF8AddrXtext refused a value.
type XtextError struct {
	// Octet is where the fault is, counting the value's first octet as 1.
	Octet int
	// Reason says what is wrong there, naming the octet, as in
	// `octet 2 must be written as +3D`.
	Reason string
}

func (e *XtextError) Error() string { return e.Reason }

func xtextError(octet int, format string, args ...any) *XtextError {
	return &XtextError{Octet: octet, Reason: fmt.Sprintf(format, args...)}
}

// Xtext encodes s as RFC 3461 4 xtext: printable ASCII as itself but "+"
// and "=", and every other octet as "+" and two upper-case hex digits.
func Xtext(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' || c == '+' || c == '=' {
			b.WriteByte('+')
			b.WriteString(hexOctet(c))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// DecodeXtext decodes RFC 3461 4 xtext strictly: every "+" must be followed
// by two upper-case hex digits, and every other octet must be printable
// ASCII other than "=". It refuses anything else with an *XtextError.
func DecodeXtext(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			if i+2 >= len(s) || !isUpperHex(s[i+1]) || !isUpperHex(s[i+2]) {
				return "", xtextError(i+1, `"+" at octet %d is not followed by two upper-case hex digits`, i+1)
			}
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		case c < '!' || c > '~' || c == '=':
			return "", xtextError(i+1, "octet %d must be written as +%s", i+1, hexOctet(c))
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// DecodeXtextLenient decodes xtext as other MTAs write it: "+" and two
// upper-case hex digits is that octet, and everything else, a "+" without
// them included, is kept as it is. It never fails.
func DecodeXtextLenient(s string) string {
	if !strings.Contains(s, "+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '+' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// UTF8AddrXtext encodes a utf-8 address in the utf-8-addr-xtext form of
// RFC 6533 3: printable ASCII as itself, but "+", "=" and "\" (which
// QCHAR leaves out, so that an escape stays unambiguous) and every other
// character as \x{HEX}, uppercase, without leading zeros but at least two
// digits. The result is ASCII: it fits an ORCPT parameter without SMTPUTF8
// and the Original-Recipient of a message/delivery-status.
func UTF8AddrXtext(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f && r != '+' && r != '=' && r != '\\' {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, "\\x{%02X}", r)
	}
	return b.String()
}

// DecodeUTF8AddrXtext decodes RFC 6533 3 utf-8-addr-xtext and
// utf-8-addr-unitext strictly: valid UTF-8, printable ASCII other than
// "+" and "=" and non-ASCII characters as themselves, and "\" only to
// start an escape \x{HEX} of one to six upper-case hex digits that stands
// for a character that is neither a control nor a space (an address in
// an ORCPT has neither). It refuses anything else with an *XtextError.
func DecodeUTF8AddrXtext(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", xtextError(firstInvalidUTF8(s)+1, "it is not valid UTF-8")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			hex, n := embeddedChar(s[i:])
			if n == 0 {
				return "", xtextError(i+1, `"\" at octet %d does not start an escape like \x{2B}`, i+1)
			}
			r, ok := hexRune(hex, isUpperHex)
			if !ok {
				return "", xtextError(i+1, "the escape at octet %d has a character that is not an upper-case hex digit", i+1)
			}
			// RFC 6533 3 escapes a space as \x{20} (a quoted local part
			// may hold one); controls are refused, since the value goes
			// into header fields of a DSN.
			if r < ' ' || r == 0x7f || !utf8.ValidRune(r) {
				return "", xtextError(i+1, "the escape at octet %d stands for a control or no character at all", i+1)
			}
			b.WriteRune(r)
			i += n - 1
			continue
		}
		if c < '!' || c == '+' || c == '=' || c == 0x7f {
			return "", xtextError(i+1, `octet %d must be written as \x{%s}`, i+1, hexOctet(c))
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// DecodeUTF8AddrLenient turns the utf-8-addr-xtext and utf-8-addr-unitext
// forms of a utf-8 address (RFC 6533 3: a character as \x{HEX}) into the
// address itself, as other MTAs write them: hex digits in either case,
// and an escape of no valid character, of a control or of DEL, or a "\"
// that starts no escape, kept as written. It never fails.
func DecodeUTF8AddrLenient(s string) string {
	if !strings.Contains(s, `\x{`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		hex, n := "", 0
		if s[i] == '\\' {
			hex, n = embeddedChar(s[i:])
		}
		r, ok := hexRune(hex, isHex)
		if n == 0 || !ok {
			b.WriteByte(s[i])
			continue
		}
		if !utf8.ValidRune(r) || r < ' ' || r == 0x7f {
			b.WriteString(s[i : i+n])
		} else {
			b.WriteRune(r)
		}
		i += n - 1
	}
	return b.String()
}

// embeddedChar splits off the EmbeddedUnicodeChar of RFC 6533 3 at the
// start of s, "\x{" HEXPOINT "}" with one to six characters for the
// HEXPOINT: it returns those characters, unchecked, and the escape's
// length, or n == 0 when s does not start with such an escape.
func embeddedChar(s string) (hex string, n int) {
	end := strings.IndexByte(s, '}')
	if !strings.HasPrefix(s, `\x{`) || end < 4 || end > 9 {
		return "", 0
	}
	return s[3:end], end + 1
}

// hexRune is the value of hex, one to six hex digits as digit accepts
// them; ok is false when hex is empty or has another character.
func hexRune(hex string, digit func(byte) bool) (r rune, ok bool) {
	for i := 0; i < len(hex); i++ {
		if !digit(hex[i]) {
			return 0, false
		}
		r = r<<4 | rune(unhex(hex[i]))
	}
	return r, hex != ""
}

func firstInvalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

// hexOctet writes c as two upper-case hex digits.
func hexOctet(c byte) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// ORCPTParam is the value of the ORCPT parameter (RFC 3461 4.2) that
// carries orcpt, a recipient's "type;address" with the address decoded
// (a bare address is rfc822): the address in xtext, or in
// utf-8-addr-xtext for type utf-8 (RFC 6533 3), which is ASCII and so
// safe with or without SMTPUTF8; plain xtext of the UTF-8 bytes is not a
// utf-8 address and is refused. The relay's client and relaylab send
// write it so.
func ORCPTParam(orcpt string) string {
	typ, addr, ok := strings.Cut(orcpt, ";")
	if !ok {
		typ, addr = "rfc822", orcpt
	}
	if strings.EqualFold(typ, "utf-8") {
		return typ + ";" + UTF8AddrXtext(addr)
	}
	return typ + ";" + Xtext(addr)
}
