package main

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// The header fields of a message built from the web API's fields are
// written within the line limits of RFC 5322 2.1.1: each line at most 78
// characters where a field can be folded there, and never more than 998,
// which a receiver may refuse ("500 5.4.0 Line too long").

const (
	// foldAt is the length a folded line is kept to when the field
	// allows (RFC 5322 2.1.1 SHOULD).
	foldAt = 78
	// maxLine is the length no line may pass (RFC 5322 2.1.1 MUST).
	maxLine = 998
	// maxWord is the longest encoded-word (RFC 2047 2).
	maxWord = 75
)

// foldField writes "name: value" folded (RFC 5322 2.2.3): a line break is
// put before a space or tab of value, so that unfolding gives value back,
// where a line would pass foldAt characters. It fails, saying so, when a
// run of value without white space leaves a line over maxLine.
func foldField(name, value string) (string, error) {
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(":")
	line := b.Len()
	for i, seg := range foldSegments(value) {
		if i == 0 {
			// The first segment follows the colon and its space on the
			// field's first line, whatever its length.
			seg = " " + seg
		} else if line+len(seg) > foldAt && line > len(name)+1 {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteString(seg)
		line += len(seg)
	}
	out := b.String()
	for l := range strings.SplitSeq(out, "\r\n") {
		if len(l) > maxLine {
			return "", fmt.Errorf("%s has a run of %d characters without a space or tab to fold its line at, and a line may hold at most %d (RFC 5322 2.1.1; "+
				"a receiver refuses a longer one, 500 5.4.0 Line too long): put spaces in the value, or send the whole message as raw",
				name, longestRun(value), maxLine)
		}
	}
	return out + "\r\n", nil
}

// foldSegments cuts value before each run of white space that has text
// after it: the places a line may be folded at without leaving a line of
// white space alone (RFC 5322 3.2.2).
func foldSegments(value string) []string {
	var segs []string
	start := 0
	for i := 1; i < len(value); i++ {
		if isWSP(value[i]) && !isWSP(value[i-1]) && strings.TrimLeft(value[i:], " \t") != "" {
			segs = append(segs, value[start:i])
			start = i
		}
	}
	return append(segs, value[start:])
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// longestRun is the length of the longest run of s without white space.
func longestRun(s string) int {
	n := 0
	for f := range strings.FieldsSeq(s) {
		n = max(n, len(f))
	}
	return n
}

// needsEncoding reports whether a field value holds what a 7-bit header
// cannot carry as it is: bytes over 126 or control characters but tab.
func needsEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c > 126 || c < ' ' && c != '\t' {
			return true
		}
	}
	return false
}

// encodeWords writes s as RFC 2047 "Q" encoded-words in UTF-8, each at
// most maxWord characters and holding whole characters (RFC 2047 5), in
// the characters allowed anywhere an encoded-word is (RFC 2047 5(3)),
// separated by spaces: a reader joins adjacent encoded-words without the
// space between them (RFC 2047 6.2), so s reads back whole, spaces too.
// The first word is shorter by what precedes it on its line (lead: the
// field's name, colon and space), since a line with an encoded-word holds
// at most 76 characters (RFC 2047 2) where the name leaves room for one;
// the others start a folded line each.
func encodeWords(s string, lead int) string {
	const prefix, suffix = "=?utf-8?q?", "?="
	room := maxWord - len(prefix) - len(suffix)
	if first := 76 - lead - len(prefix) - len(suffix); first >= 12 { // 12: one character, encoded
		room = min(room, first)
	}
	var words []string
	var w strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			r = utf8.RuneError // a bad byte is sent as U+FFFD, valid UTF-8
		}
		var enc strings.Builder
		for _, c := range []byte(string(r)) {
			switch {
			case c == ' ':
				enc.WriteByte('_')
			case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!*+-/", c) >= 0:
				enc.WriteByte(c)
			default:
				fmt.Fprintf(&enc, "=%02X", c)
			}
		}
		if w.Len()+enc.Len() > room && w.Len() > 0 {
			words = append(words, prefix+w.String()+suffix)
			w.Reset()
			room = maxWord - len(prefix) - len(suffix)
		}
		w.WriteString(enc.String())
		s = s[n:]
	}
	if w.Len() > 0 || len(words) == 0 {
		words = append(words, prefix+w.String()+suffix)
	}
	return strings.Join(words, " ")
}

// textField writes an unstructured field (Subject, X-...): as it is and
// folded at its white space when it is 7-bit text that folds into lines
// of at most maxLine, else as encoded-words, which fold anywhere. A value
// that does not need encoding is encoded only when encode is set.
func textField(name, value string, encode bool) (string, error) {
	if !needsEncoding(value) {
		out, err := foldField(name, value)
		if err == nil || !encode {
			return out, err
		}
	}
	return foldField(name, encodeWords(value, len(name)+2))
}

// literalField is textField for text given as it should read (the web
// API's subject and headers): one holding "=?", which a reader could take
// for the start of an encoded-word ("=?utf-8?q?fake?=" reads "fake"), is
// encoded, as RFC 2047 6.2 has it, so that it reads as given. send's
// --subject keeps textField: there a pre-encoded subject is meant.
func literalField(name, value string, encode bool) (string, error) {
	if strings.Contains(value, "=?") {
		return foldField(name, encodeWords(value, len(name)+2))
	}
	return textField(name, value, encode)
}

// addressFields are the fields, other than those built from the request's
// own, whose value is a list of addresses (RFC 5322 3.6.2, 3.6.3).
var addressFields = map[string]bool{"cc": true, "bcc": true, "reply-to": true, "sender": true,
	"resent-from": true, "resent-to": true, "resent-cc": true, "resent-bcc": true, "resent-sender": true}

// extraField writes one of the request's headers: an address list with
// its names encoded when they are not 7-bit, any other field as
// unstructured text, encoded when it is not 7-bit; both folded at their
// white space. An address that is not 7-bit cannot be encoded (RFC 2047
// 5(3)) and goes in UTF-8 as written (RFC 6532), as one in "to" does in
// the To field and a --header's does in relaylab send: the relay sends
// such a message with SMTPUTF8 to a server that offers it.
func extraField(name, value string) (string, error) {
	if !addressFields[strings.ToLower(name)] {
		return literalField(name, value, false)
	}
	if !needsEncoding(value) {
		return textField(name, value, false)
	}
	list, _, err := encodedNames(value)
	if err != nil {
		return "", fmt.Errorf("%s holds characters that are not 7-bit, and is not a list of addresses whose names could be encoded (RFC 2047 5(3)): %v", name, err)
	}
	return foldField(name, list)
}

// encodedNames is the address list value with its display names encoded
// where they are not 7-bit (RFC 2047 5(3)) and its addresses as written,
// with the first address in it that is not 7-bit, which no encoding
// allows and only SMTPUTF8 carries (RFC 6532); or the error of a value
// that is no address list.
func encodedNames(value string) (list, addr string, err error) {
	addrs, err := mail.ParseAddressList(value)
	if err != nil {
		return "", "", err
	}
	parts := make([]string, len(addrs))
	for i, a := range addrs {
		if addr == "" && needsEncoding(a.Address) {
			addr = a.Address
		}
		parts[i] = a.String() // encodes a name that is not 7-bit, keeps a UTF-8 address
	}
	return strings.Join(parts, ", "), addr, nil
}

// addressList is the To field's value: each address in angle brackets,
// separated by ", ", where the field folds.
func addressList(addrs []string) string {
	return "<" + strings.Join(addrs, ">, <") + ">"
}
