// Package mailaddr checks the mailboxes of SMTP paths (RFC 5321 4.1.2,
// 4.1.3) where the sink and the relay must agree on what SMTP can carry.
package mailaddr

import (
	"fmt"
	"net/netip"
	"strings"
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
	switch {
	case !tagged:
		if ip, err := netip.ParseAddr(lit); err != nil || !ip.Is4() {
			return fmt.Sprintf("%s is not an IPv4 address literal (four numbers from 0 to 255, RFC 5321 4.1.3)", dom)
		}
	case !strings.EqualFold(tag, "IPv6"):
		return fmt.Sprintf("%s is not an address literal: an IPv6 address needs the tag \"IPv6:\", and no other tag is registered (RFC 5321 4.1.3)", dom)
	default:
		if ip, err := netip.ParseAddr(v); err != nil || !ip.Is6() || ip.Zone() != "" {
			return fmt.Sprintf("%s is not an IPv6 address literal (RFC 5321 4.1.3)", dom)
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
