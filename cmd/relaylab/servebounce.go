package main

import (
	"fmt"
	"net"
	"net/netip"
)

// serveBounceRelay is where serve's sink sends its asynchronous bounces
// and the address serve's relay is to listen on. Unless the file names
// sink.bounce.relay, the bounces go to serve's own relay, wherever
// relay.listen puts it, rather than to the default 127.0.0.1:2587, where
// another program (or nothing) may listen. A relay.listen on port 0 is
// given its port here, so that the sink knows it before the relay starts
// (the relay starts after the sink: its paths to "sink" need the sink's
// addresses). With no plain submission listener there is nothing of ours
// to send a bounce to: "", and the sink records that none is configured.
func serveBounceRelay(cfg *fileConfig) (bounce, relayListen string, err error) {
	relayListen = cfg.Relay.Listen
	if cfg.bounceRelaySet {
		return cfg.Sink.Bounce.Relay, relayListen, nil
	}
	if relayListen == "" {
		return "", "", nil
	}
	host, port, err := net.SplitHostPort(relayListen)
	if err != nil {
		return "", "", fmt.Errorf("relay.listen %q: %v", relayListen, err)
	}
	if port == "0" {
		ln, err := net.Listen("tcp", relayListen)
		if err != nil {
			return "", "", fmt.Errorf("relay: listen on %s: %w", relayListen, err)
		}
		relayListen = ln.Addr().String()
		ln.Close()
		host, port, _ = net.SplitHostPort(relayListen)
	}
	return net.JoinHostPort(dialHost(host), port), relayListen, nil
}

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
