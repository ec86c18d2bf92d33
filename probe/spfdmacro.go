package probe

import (
	"slices"
	"strconv"
	"strings"
)

// expandDomainMacros expands a domain-spec whose macros are all of the
// current domain (%{d}, with its transformers) or literal (%%, %_, %-),
// for domain, as check_host would for any sender and IP (RFC 7208 7.3);
// false when it holds another macro, whose value depends on the mail.
func expandDomainMacros(spec, domain string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(spec); i++ {
		if spec[i] != '%' {
			b.WriteByte(spec[i])
			continue
		}
		if i+1 >= len(spec) {
			return "", false
		}
		i++
		switch spec[i] {
		case '%':
			b.WriteByte('%')
			continue
		case '_':
			b.WriteByte(' ')
			continue
		case '-':
			b.WriteString("%20")
			continue
		case '{':
		default:
			return "", false
		}
		end := strings.IndexByte(spec[i:], '}')
		if end < 0 {
			return "", false
		}
		body := spec[i+1 : i+end]
		i += end
		if body == "" || (body[0] != 'd' && body[0] != 'D') {
			return "", false
		}
		// transformers = *DIGIT [ "r" ], then delimiters (RFC 7208 7.1).
		rest := body[1:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		keep := 0
		if j > 0 {
			n, err := strconv.Atoi(rest[:j])
			if err != nil || n == 0 {
				return "", false
			}
			keep = n
		}
		rest = rest[j:]
		reverse := rest != "" && (rest[0] == 'r' || rest[0] == 'R')
		if reverse {
			rest = rest[1:]
		}
		if strings.Trim(rest, ".-+,/_=") != "" {
			return "", false
		}
		delims := rest
		if delims == "" {
			delims = "."
		}
		parts := strings.FieldsFunc(strings.TrimSuffix(domain, "."), func(r rune) bool { return strings.ContainsRune(delims, r) })
		if reverse {
			slices.Reverse(parts)
		}
		if keep > 0 && keep < len(parts) {
			parts = parts[len(parts)-keep:]
		}
		b.WriteString(strings.Join(parts, "."))
	}
	out := b.String()
	// RFC 7208 7.3: a name over 253 characters loses labels on the left.
	for len(out) > 253 {
		k := strings.IndexByte(out, '.')
		if k < 0 {
			break
		}
		out = out[k+1:]
	}
	return out, true
}
