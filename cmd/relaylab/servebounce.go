package main

import "net/netip"

// dialHost is the host to connect to for a listener bound to host: the
// loopback address of its family for an unspecified one (0.0.0.0, ::, "").
func dialHost(host string) string {
	if host == "" {
		return "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil || !ip.IsUnspecified():
		return host
	case ip.Is4():
		return "127.0.0.1"
	}
	return "::1"
}
