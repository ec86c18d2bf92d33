package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"

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

// boundAt is one listener serve binds: the key that gives its address,
// the flag that gave it instead, if any, and the flag that could.
type boundAt struct {
	listenAt
	flag string // "--relay-listen" when that flag gave the address; "" when the file or a default did
	alt  string // the flag that could give it ("--sink-listen"); "" for none
}

// serveListeners is every listener serve binds (c.listenAddrs), with the
// flag that gave its address: the first sinkFlags sink listeners come
// from --sink-listen, relay.listen from --relay-listen when relayFlag,
// web.listen from --web-listen when webFlag.
func serveListeners(c *fileConfig, sinkFlags int, relayFlag, webFlag bool) []boundAt {
	var out []boundAt
	for i, l := range c.listenAddrs() {
		b := boundAt{listenAt: l}
		given := false
		switch {
		case i < len(c.Sink.Listeners):
			b.alt, given = "--sink-listen", i < sinkFlags
		case l.key == "relay.listen":
			b.alt, given = "--relay-listen", relayFlag
		case l.key == "web.listen":
			b.alt, given = "--web-listen", webFlag
		}
		if given {
			b.flag = b.alt
		}
		out = append(out, b)
	}
	return out
}

// ownFlag is list, serve's listeners (serveListeners), for a command
// that runs one component with its own flag for the address (relaylab
// sink's and relay's --listen) where serve has serveFlag.
func ownFlag(list []boundAt, serveFlag, flag string) []boundAt {
	for i := range list {
		if list[i].alt == serveFlag {
			list[i].alt = flag
			if list[i].flag != "" {
				list[i].flag = flag
			}
		}
	}
	return list
}

// bindFailure adds to err, the failure of serve's component (the prefix
// of its keys: "sink.", "relay." or "web.") to start, when a listener
// could not bind, where its address comes from (the configuration file's
// line and key, the flag, or the default the file leaves) and what to
// do, in place of the component's hint, which lists every key and flag
// that might have given it. file is the configuration file ("" for
// none). An error that is not a failed listen is returned as it is.
func bindFailure(err error, component string, list []boundAt, file string) error {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "listen" {
		return err
	}
	var cands []boundAt
	for _, b := range list {
		if strings.HasPrefix(b.key, component) {
			cands = append(cands, b)
		}
	}
	b, ok := failedListener(op, cands)
	if !ok {
		return err
	}
	var data []byte
	if file != "" && b.flag == "" {
		data, _ = os.ReadFile(file) // read by the start a moment ago
	}
	line := config.KeyLine(data, b.key)
	// where says what gives the address; move, what moves the listener.
	var where, move string
	switch {
	case b.flag != "":
		where, move = "It comes from "+b.flag, "move it with "+b.flag
	case line > 0:
		where, move = fmt.Sprintf("It is %s, at %s:%d", b.key, file, line), "move "+b.key+" in the configuration"
	case file != "":
		where, move = fmt.Sprintf("It is %s's default (%s does not set it)", b.key, file), "set "+b.key+" in the configuration"
	default:
		where, move = fmt.Sprintf("It is %s's default (no configuration file)", b.key), "set "+b.key+" in a configuration file (--config)"
	}
	if b.flag == "" && b.alt != "" {
		move += " or move it with " + b.alt
	}
	// The component's words up to the system's error: what it is and
	// why it failed, without its hint.
	msg := err.Error()
	if i := strings.Index(msg, op.Error()); i >= 0 {
		msg = msg[:i+len(op.Error())]
	}
	return fmt.Errorf("%s. %s: %s", msg, where, bindAdvice(op, b.addr, move))
}

// failedListener is the listener of cands whose address op failed to
// listen on; the only one when op names none that matches.
func failedListener(op *net.OpError, cands []boundAt) (boundAt, bool) {
	if op.Addr != nil {
		host, port, err := net.SplitHostPort(op.Addr.String())
		for _, b := range cands {
			h, p, err2 := net.SplitHostPort(b.addr)
			if err == nil && err2 == nil && p == port && normHost(h) == normHost(host) {
				return b, true
			}
		}
	}
	if len(cands) == 1 {
		return cands[0], true
	}
	return boundAt{}, false
}

// bindAdvice says what to do about op, a failed listen on addr, with
// move saying what moves the listener.
func bindAdvice(op *net.OpError, addr, move string) string {
	host, port, _ := net.SplitHostPort(addr)
	switch {
	case errors.Is(op.Err, syscall.EADDRINUSE):
		return fmt.Sprintf("another program listens there (another relaylab, or an MTA; lsof -iTCP:%s -sTCP:LISTEN names it): stop it, or %s; port 0 takes any free one", port, move)
	case errors.Is(op.Err, syscall.EACCES):
		return fmt.Sprintf("a port below 1024 needs root, or on Linux the capability CAP_NET_BIND_SERVICE: %s to a port of 1024 or more (such as 2525), or give relaylab that capability", move)
	case errors.Is(op.Err, syscall.EADDRNOTAVAIL):
		return fmt.Sprintf("%s is not an address of this machine: %s to one it has, such as 127.0.0.1", host, move)
	}
	return move + " to an address it can listen on"
}
