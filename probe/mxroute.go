package probe

import (
	"fmt"
	"net/netip"
	"strings"
)

// unroutable says why senders on the internet cannot reach ip: a
// loopback, private, link-local, unspecified or multicast address (RFC
// 6890); "" otherwise. The documentation ranges (RFC 5737, RFC 3849) pass:
// examples and test zones use them for public addresses.
func unroutable(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return "a loopback address (this machine's own)"
	case ip.IsPrivate():
		return "a private address (RFC 1918, or RFC 4193 for IPv6)"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	case ip.IsUnspecified():
		return "the unspecified address"
	case ip.IsMulticast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	return ""
}

// unroutableMX warns of MX hosts with addresses that senders on the
// internet cannot reach. A warning, not an error: zones served on this
// machine for tests (relaylab probe --zone) use loopback addresses on
// purpose, and a host with another, public address is still reached.
func unroutableMX(f *findings, rep *MXReport) {
	for _, h := range rep.Hosts {
		var bad []string
		reachable := 0
		for _, ip := range h.IPs {
			if why := unroutable(ip); why != "" {
				bad = append(bad, fmt.Sprintf("%s, %s", ip, why))
			} else {
				reachable++
			}
		}
		if len(bad) == 0 {
			continue
		}
		effect := "so senders on the internet cannot deliver to it"
		if reachable > 0 {
			effect = "which senders on the internet cannot reach: those that try it first lose time before the host's other addresses"
		}
		f.add(SevWarning, "unroutable", h.Host, h.Host, "RFC 5321 5.1",
			"MX %s resolves to %s, %s; right for a test zone served on this machine, wrong for a real domain: publish the host's public address instead",
			h.Host, strings.Join(bad, "; "), effect)
	}
}
