// Package mailaddr checks the mailboxes of SMTP paths (RFC 5321 4.1.2,
// 4.1.3) where the sink and the relay must agree on what SMTP can carry.
package mailaddr

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/relaylab/relaylab/internal/textsafe"
)

// Fault explains why a path from MAIL or RCPT cannot be a mailbox, or
// returns "" when it may be one: a control character anywhere (RFC 5321
// 4.1.2 allows none, quoted or not: qtextSMTP and atext start at %d32,
// and RFC 6531 adds only UTF-8 above %d127), or an address literal that
// is no address (LiteralFault).
func Fault(addr string) string {
	if i := ControlAt(addr); i >= 0 {
		return fmt.Sprintf("control character 0x%02x at octet %d is not allowed in a mailbox (RFC 5321 4.1.2)", addr[i], i+1)
	}
	return LiteralFault(addr)
}

// LiteralFault explains why the domain of addr, when it is an address
// literal ("[...]"), is not one, or returns "". RFC 5321 4.1.3: an
// address literal is an IPv4 address, or "IPv6:" and an IPv6 address, or
// a tag registered with IANA and its content; the registry holds IPv6
// alone.
func LiteralFault(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	dom := addr[at+1:]
	if len(dom) < 2 || dom[0] != '[' || dom[len(dom)-1] != ']' {
		return ""
	}
	lit := dom[1 : len(dom)-1]
	tag, v, tagged := strings.Cut(lit, ":")
	// The reply that quotes it stays within 512 octets (RFC 5321
	// 4.5.3.1.5), however long the literal.
	shown := textsafe.Cut(dom, 64)
	switch {
	case !tagged:
		if ip, err := netip.ParseAddr(lit); err != nil || !ip.Is4() {
			return fmt.Sprintf("%s is not an IPv4 address literal (four numbers from 0 to 255, RFC 5321 4.1.3)", shown)
		}
	case !strings.EqualFold(tag, "IPv6"):
		return fmt.Sprintf("%s is not an address literal: an IPv6 address needs the tag \"IPv6:\", and no other tag is registered (RFC 5321 4.1.3)", shown)
	default:
		if ip, err := netip.ParseAddr(v); err != nil || !ip.Is6() || ip.Zone() != "" {
			return fmt.Sprintf("%s is not an IPv6 address literal (RFC 5321 4.1.3)", shown)
		}
	}
	return ""
}

// ControlAt returns the index of the first control character (below
// %d32, or DEL) in s, or -1.
func ControlAt(s string) int {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == 0x7f {
			return i
		}
	}
	return -1
}

// DomainFault explains why domain, the part of a path after its '@' that
// is not an address literal, or the argument of EHLO, is not a domain
// name, or returns "": RFC 5321 4.1.2 has a Domain be labels of letters,
// digits and hyphens, neither starting nor ending with a hyphen, joined by
// dots; RFC 1035 2.3.4 bounds a label at 63 octets and RFC 5321 4.5.3.1.2
// the domain at 255. An octet above 127 counts as a letter (a U-label of
// RFC 6531 3.3; whether it is UTF-8 is the caller's to check), and one
// trailing dot (the root, WithoutRootDot) is allowed. It allocates only
// for its answer, so a server can run it on every path.
func DomainFault(domain string) string {
	d := WithoutRootDot(domain)
	switch {
	case d == "":
		return "the domain is empty"
	case len(d) > 255:
		return fmt.Sprintf("the domain is %d octets long, over the 255 RFC 5321 4.5.3.1.2 allows", len(d))
	}
	start := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			if b := d[i]; !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b >= 0x80) {
				return fmt.Sprintf("%q is not a letter, digit or hyphen, all a domain name may hold (RFC 5321 4.1.2)", rune(b))
			}
			continue
		}
		l := d[start:i]
		switch {
		case l == "":
			return "it has an empty label (two dots in a row, or a leading dot)"
		case len(l) > 63:
			return fmt.Sprintf("the label %.20q... is over 63 octets (RFC 1035 2.3.4)", l)
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Sprintf("the label %q starts or ends with a hyphen (RFC 5321 4.1.2)", l)
		}
		start = i + 1
	}
	return ""
}
