package mailtext

import (
	"mime"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MediaType parses a Content-Type or Content-Disposition value as
// mime.ParseMediaType does, and reads the parameters in RFC 2231's
// encoded form itself: mime leaves out, or cuts to the sections after the
// first, a value in a charset other than UTF-8 or US-ASCII (as older mail
// programs write filename*=iso-8859-1'de'n%E4me.pdf), whole or in
// sections (filename*0*=, filename*1=). Such a value is decoded with
// Text, and wins over a plain parameter of the same name (RFC 6266 4.3);
// unread lists the charsets among them that Text cannot read (their
// bytes shown as UTF-8, U+FFFD for what is not), each once.
func MediaType(v string) (mt string, params map[string]string, unread []string, err error) {
	mt, params, err = mime.ParseMediaType(v)
	if params == nil || !strings.Contains(v, "*") {
		return mt, params, nil, err
	}
	for base, value := range extendedParams(v) {
		cs, _, rest, ok := splitExtValue(value[0].text)
		if !ok || !value[0].encoded {
			continue
		}
		var b []byte
		for i, sec := range value {
			s := sec.text
			if i == 0 {
				s = rest
			}
			if sec.encoded {
				d, derr := url.PathUnescape(s) // %XX only: a + stays a +
				if derr != nil {
					b = nil
					break
				}
				s = d
			}
			b = append(b, s...)
		}
		if b == nil {
			continue
		}
		params[base] = Text(b, cs)
		if !Known(cs) && !slices.ContainsFunc(unread, func(u string) bool { return strings.EqualFold(u, cs) }) {
			unread = append(unread, cs)
		}
	}
	return mt, params, unread, err
}

// section is one RFC 2231 section of a parameter's value, as written.
type section struct {
	text    string
	encoded bool // written name*N*= or name*=: percent-encoded
}

// extendedParams are v's parameters written with RFC 2231's asterisks,
// by lower-case name, their sections in order: name* alone, or name*0,
// name*1 and so on without a gap (what follows a gap is left out, as
// RFC 2231 3 says sections are numbered from 0 up).
func extendedParams(v string) map[string][]section {
	byNum := map[string]map[int]section{}
	_, rest, _ := strings.Cut(v, ";")
	for _, p := range splitParams(rest) {
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = unquote(strings.TrimSpace(val))
		base, ext, ok := strings.Cut(k, "*")
		if !ok || base == "" {
			continue
		}
		if byNum[base] == nil {
			byNum[base] = map[int]section{}
		}
		if ext == "" { // name*=
			byNum[base][-1] = section{val, true}
			continue
		}
		num, enc := strings.CutSuffix(ext, "*")
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 || (len(num) > 1 && num[0] == '0') {
			continue
		}
		byNum[base][n] = section{val, enc}
	}
	out := map[string][]section{}
	for base, secs := range byNum {
		if s, ok := secs[-1]; ok {
			out[base] = []section{s}
			continue
		}
		nums := make([]int, 0, len(secs))
		for n := range secs {
			nums = append(nums, n)
		}
		sort.Ints(nums)
		var list []section
		for i, n := range nums {
			if n != i {
				break
			}
			list = append(list, secs[n])
		}
		if len(list) > 0 {
			out[base] = list
		}
	}
	return out
}

// splitExtValue splits an RFC 2231 ext-value, charset'language'text.
func splitExtValue(s string) (charset, lang, text string, ok bool) {
	charset, s, ok = strings.Cut(s, "'")
	if !ok {
		return "", "", "", false
	}
	lang, text, ok = strings.Cut(s, "'")
	return charset, lang, text, ok
}

// splitParams splits a parameter list at the semicolons outside quoted
// strings.
func splitParams(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote is a quoted-string's content, or s itself when not quoted.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
