package probe

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// SPFTerm is one directive or modifier of an SPF record (RFC 7208 4.6.1).
type SPFTerm struct {
	Qualifier byte   // '+', '-', '~', '?' for mechanisms; 0 for modifiers
	Name      string // "all", "include", "a", ..., or the modifier name, lower case
	Value     string // the domain-spec or address, without CIDR lengths
	Modifier  bool
	CIDR4     int // -1 when absent
	CIDR6     int // -1 when absent
}

// String writes the term back in record syntax.
func (t SPFTerm) String() string {
	if t.Modifier {
		return t.Name + "=" + t.Value
	}
	s := ""
	if t.Qualifier != '+' {
		s = string(t.Qualifier)
	}
	s += t.Name
	if t.Value != "" {
		s += ":" + t.Value
	}
	if t.CIDR4 >= 0 && t.Name != "ip6" {
		s += "/" + strconv.Itoa(t.CIDR4)
	}
	switch {
	case t.CIDR6 >= 0 && t.Name == "ip6":
		s += "/" + strconv.Itoa(t.CIDR6) // ip6-cidr-length: one slash (RFC 7208 5.6)
	case t.CIDR6 >= 0:
		s += "//" + strconv.Itoa(t.CIDR6) // the IPv6 half of a dual-cidr-length
	}
	return s
}

// SPFRecord is a parsed SPF record.
type SPFRecord struct {
	Terms []SPFTerm
}

// ErrSPFSyntax is wrapped by ParseSPF errors.
var ErrSPFSyntax = errors.New("SPF syntax error")

func spfErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSPFSyntax, fmt.Sprintf(format, args...))
}

// IsSPF reports whether a TXT record is an SPF record: "v=spf1" alone or
// followed by a space (RFC 7208 4.5).
func IsSPF(txt string) bool {
	l := strings.ToLower(txt)
	return l == "v=spf1" || strings.HasPrefix(l, "v=spf1 ")
}

// ParseSPF parses an SPF record (RFC 7208 12, the ABNF). Every error wraps
// ErrSPFSyntax and names the offending term.
func ParseSPF(record string) (*SPFRecord, error) {
	if !IsSPF(record) {
		return nil, spfErr("the record does not start with \"v=spf1\"")
	}
	rec := &SPFRecord{}
	seen := map[string]bool{}
	for _, f := range strings.Split(record[len("v=spf1"):], " ") {
		if f == "" {
			continue
		}
		t, err := parseSPFTerm(f)
		if err != nil {
			return nil, err
		}
		if t.Modifier && (t.Name == "redirect" || t.Name == "exp") {
			// RFC 7208 6: these modifiers appear at most once.
			if seen[t.Name] {
				return nil, spfErr("modifier %q appears more than once", t.Name)
			}
			seen[t.Name] = true
		}
		rec.Terms = append(rec.Terms, t)
	}
	return rec, nil
}

func parseSPFTerm(f string) (SPFTerm, error) {
	t := SPFTerm{Qualifier: '+', CIDR4: -1, CIDR6: -1}
	// A modifier is name=value with a name of ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
	if i := strings.IndexByte(f, '='); i > 0 && !strings.ContainsAny(f[:i], ":/") {
		name := strings.ToLower(f[:i])
		if !validModifierName(name) {
			return t, spfErr("%q is not a valid modifier name", f[:i])
		}
		t.Modifier, t.Qualifier, t.Name, t.Value = true, 0, name, f[i+1:]
		if (name == "redirect" || name == "exp") && t.Value == "" {
			return t, spfErr("%q needs a domain", f)
		}
		check := checkDomainSpec
		if name != "redirect" && name != "exp" {
			// An unknown modifier's value is never expanded (RFC 7208 6).
			check = func(s string) error { return checkMacroString(s, false) }
		}
		if err := check(t.Value); err != nil {
			return t, spfErr("%q: %v", f, err)
		}
		return t, nil
	}
	s := f
	if strings.ContainsRune("+-~?", rune(s[0])) {
		t.Qualifier, s = s[0], s[1:]
	}
	name, val, hasVal := strings.Cut(s, ":")
	name = strings.ToLower(name)
	// a and mx take "/len" without a colon too: "a/24".
	if !hasVal {
		if i := strings.IndexByte(name, '/'); i >= 0 {
			val, name = name[i:], name[:i]
		}
	}
	t.Name = name
	switch name {
	case "all":
		if hasVal || val != "" {
			return t, spfErr("%q: \"all\" takes no argument", f)
		}
	case "include", "exists":
		if !hasVal || val == "" {
			return t, spfErr("%q needs a domain", f)
		}
		if err := checkDomainSpec(val); err != nil {
			return t, spfErr("%q: %v", f, err)
		}
		t.Value = val
	case "a", "mx", "ptr":
		if hasVal && val == "" {
			return t, spfErr("%q: empty domain after the colon", f)
		}
		dom, c4, c6, err := splitCIDR(val, name != "ptr")
		if err != nil {
			return t, spfErr("%q: %v", f, err)
		}
		if dom != "" {
			if err := checkDomainSpec(dom); err != nil {
				return t, spfErr("%q: %v", f, err)
			}
		}
		t.Value, t.CIDR4, t.CIDR6 = dom, c4, c6
	case "ip4", "ip6":
		if !hasVal || val == "" {
			return t, spfErr("%q needs an address", f)
		}
		addr, bits, hasBits := strings.Cut(val, "/")
		a, err := netip.ParseAddr(addr)
		if err != nil || (name == "ip4") != a.Is4() || a.Zone() != "" {
			return t, spfErr("%q: %q is not an %s address", f, addr, map[string]string{"ip4": "IPv4", "ip6": "IPv6"}[name])
		}
		t.Value = addr
		if hasBits {
			n, ok := prefixLen(bits, a.BitLen())
			if !ok {
				return t, spfErr("%q: bad prefix length %q", f, bits)
			}
			if name == "ip4" {
				t.CIDR4 = n
			} else {
				t.CIDR6 = n
			}
		}
	default:
		return t, spfErr("unknown mechanism %q", f)
	}
	return t, nil
}

func validModifierName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// prefixLen parses a prefix length of at most max bits: "0", or digits
// without a leading zero or a sign (RFC 7208 5.6, ip4-cidr-length and
// ip6-cidr-length).
func prefixLen(s string, max int) (int, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n <= max
}

// splitCIDR splits "domain/24//64" (RFC 7208 5.6 dual-cidr-length).
func splitCIDR(v string, allowed bool) (string, int, int, error) {
	c4, c6 := -1, -1
	dom := v
	if i := strings.Index(v, "//"); i >= 0 {
		n, ok := prefixLen(v[i+2:], 128)
		if !ok {
			return "", 0, 0, fmt.Errorf("bad IPv6 prefix length %q", v[i+2:])
		}
		c6, dom = n, v[:i]
	}
	if i := strings.LastIndexByte(dom, '/'); i >= 0 {
		n, ok := prefixLen(dom[i+1:], 32)
		if !ok {
			return "", 0, 0, fmt.Errorf("bad IPv4 prefix length %q", dom[i+1:])
		}
		c4, dom = n, dom[:i]
	}
	if !allowed && (c4 >= 0 || c6 >= 0) {
		return "", 0, 0, errors.New("ptr takes no prefix length")
	}
	return dom, c4, c6, nil
}

// checkDomainSpec checks a domain-spec: a macro-string whose expansion ends
// in a toplabel, or that ends in a macro (RFC 7208 7.1).
func checkDomainSpec(s string) error {
	if err := checkMacroString(s, true); err != nil {
		return err
	}
	if strings.Contains(s, "%") {
		return nil
	}
	d := strings.TrimSuffix(s, ".")
	if _, ok := dns.IsDomainName(d); !ok || !strings.Contains(d, ".") {
		return fmt.Errorf("%q is not a domain name", s)
	}
	top := d[strings.LastIndexByte(d, '.')+1:]
	allDigits := true
	for _, c := range top {
		if c < '0' || c > '9' {
			allDigits = false
		}
	}
	if allDigits || strings.HasPrefix(top, "-") || strings.HasSuffix(top, "-") {
		return fmt.Errorf("%q does not end in a valid top-level label", s)
	}
	return nil
}

// checkMacroString validates macros: %{letter digits r delimiters}, %%, %_,
// %- (RFC 7208 7.1). When expanded is set, the string is one that
// receivers expand (a domain-spec), where c, r and t are not allowed (RFC
// 7208 7.2: explanation text only) and the DIGIT transformer is not zero
// (RFC 7208 7.3); receivers return permerror for either.
func checkMacroString(s string, expanded bool) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e {
			return fmt.Errorf("character %q is not allowed", c)
		}
		if c != '%' {
			continue
		}
		if i+1 >= len(s) {
			return errors.New("a lone % at the end (write %% for a percent sign)")
		}
		switch s[i+1] {
		case '%', '_', '-':
			i++
			continue
		case '{':
		default:
			return fmt.Errorf("%%%c is not a macro (write %%%% for a percent sign)", s[i+1])
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return errors.New("a macro is not closed with }")
		}
		body := s[i+2 : i+end]
		if body == "" || !strings.ContainsRune("slodiphcrtvSLODIPHCRTV", rune(body[0])) {
			return fmt.Errorf("%%{%s} has an unknown macro letter", body)
		}
		if expanded && strings.ContainsRune("crtCRT", rune(body[0])) {
			return fmt.Errorf("%%{%s}: the macro %%{%c} is allowed only in explanation text (RFC 7208 7.2), not in a domain name", body, body[0])
		}
		rest := body[1:]
		digits := strings.TrimLeft(rest, "0123456789")
		if d := rest[:len(rest)-len(digits)]; expanded && d != "" && strings.Trim(d, "0") == "" {
			return fmt.Errorf("%%{%s}: the number of labels to keep is zero, which is not allowed (RFC 7208 7.3)", body)
		}
		rest = digits
		if len(rest) > 0 && (rest[0] == 'r' || rest[0] == 'R') {
			rest = rest[1:]
		}
		for _, d := range rest {
			if !strings.ContainsRune(".-+,/_=", d) {
				return fmt.Errorf("%%{%s}: %q is not a delimiter", body, d)
			}
		}
		i += end
	}
	return nil
}
