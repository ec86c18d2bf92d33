package main

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/sink"
)

// listenAt is one address a command listens on and the key (or flag) that
// gives it.
type listenAt struct {
	key  string // "sink.listeners[1].listen", "relay.tls_listen", "web.listen"
	addr string
}

// listenAddrs is every address serve listens on: the sink's listeners
// (one with tls: implicit too listens on its one address), the relay's
// submission listeners and the web UI, in the order of the file's sections.
func (c *fileConfig) listenAddrs() []listenAt {
	var out []listenAt
	for i, l := range c.Sink.Listeners {
		out = append(out, listenAt{fmt.Sprintf("sink.listeners[%d].listen", i), l.Listen})
	}
	if c.Relay.Listen != "" {
		out = append(out, listenAt{"relay.listen", c.Relay.Listen})
	}
	if c.Relay.TLSListen != "" {
		out = append(out, listenAt{"relay.tls_listen", c.Relay.TLSListen})
	}
	if !c.Web.Disabled && c.Web.Listen != "" {
		out = append(out, listenAt{"web.listen", c.Web.Listen})
	}
	return out
}

// checkListenClash refuses a file in which two listeners would bind the
// same address and port, with an error at the second key that names the
// first and its line (or that it is a default): the bind would fail later with "address already in
// use", which reads as if another program held the port.
func checkListenClash(name string, data []byte, c *fileConfig) error {
	first, second, ok := findClash(c.listenAddrs())
	if !ok {
		return nil
	}
	// The error goes at a key the file gives, not at a default.
	if config.KeyLine(data, second.key) == 0 {
		first, second = second, first
	}
	where := "its default"
	if line := config.KeyLine(data, first.key); line > 0 {
		where = fmt.Sprintf("line %d", line)
	}
	err := config.Errorf(second.key, "%q: %s (%s) listens on %q already%s; two listeners cannot share a port: give one of them another port (or port 0 for any free one)",
		second.addr, first.key, where, first.addr, wildcardNote(first.addr, second.addr))
	return config.Locate(name, data, err)
}

// findClash returns the first pair of addresses in list that would bind
// the same port on the same address, earlier one first.
func findClash(list []listenAt) (first, second listenAt, ok bool) {
	for j := range list {
		for i := 0; i < j; i++ {
			if sameSocket(list[i].addr, list[j].addr) {
				return list[i], list[j], true
			}
		}
	}
	return listenAt{}, listenAt{}, false
}

// sameSocket reports whether listening on a and on b would collide: the
// same port, and the same host or a wildcard host on either side. Go
// listens on "", "0.0.0.0" and "::" with one socket for IPv4 and IPv6, so
// any of them takes the port on every address. Port 0 is a free port
// each time and never collides.
func sameSocket(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil || pa != pb || pa == "0" {
		return false
	}
	ha, hb = normHost(ha), normHost(hb)
	return ha == hb || ha == "*" || hb == "*"
}

// normHost is host as sameSocket compares it: "*" for a wildcard, an IP
// in its canonical form, "localhost" as the 127.0.0.1 Go listens on, and
// any other name in lower case.
func normHost(host string) string {
	if strings.EqualFold(host, "localhost") {
		return "127.0.0.1"
	}
	if host == "" {
		return "*"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return strings.ToLower(host)
	}
	if ip.Unmap().IsUnspecified() {
		return "*"
	}
	return ip.Unmap().String()
}

// wildcardNote explains a collision between two different addresses
// that comes from a wildcard host.
func wildcardNote(a, b string) string {
	ha, _, _ := net.SplitHostPort(a)
	hb, _, _ := net.SplitHostPort(b)
	if normHost(ha) == normHost(hb) {
		return ""
	}
	return "; a host of 0.0.0.0, :: or none listens on every address, loopback included"
}

// sinkListenAt is the sink's listeners as findClash takes them, the first
// n named by the flag that set them.
func sinkListenAt(c *sink.Config, n int, flag string) []listenAt {
	var list []listenAt
	for i, l := range c.Listeners {
		key := fmt.Sprintf("sink.listeners[%d].listen", i)
		if i < n {
			key = fmt.Sprintf("--%s %q (listener %s)", flag, l.Listen, l.Name)
		}
		list = append(list, listenAt{key, l.Listen})
	}
	return list
}

// checkSinkListenClash is checkListenClash for the sink's listeners after
// `relaylab sink --listen` has replaced or added some: n of them come
// from the flags.
func checkSinkListenClash(c *sink.Config, n int, flag string) error {
	first, second, ok := findClash(sinkListenAt(c, n, flag))
	if !ok {
		return nil
	}
	return usageError("%s and %s would listen on the same port%s: give each listener its own port (or port 0 for any free one)",
		second.key, first.key, wildcardNote(first.addr, second.addr))
}
