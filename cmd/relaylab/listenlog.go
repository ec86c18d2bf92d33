package main

import (
	"fmt"
	"log/slog"
	"net"
	"sort"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
)

// The banner on stdout says where each listener is; the log says it too,
// for a daemon run under a supervisor that keeps the log alone, and warns
// of a listener that other hosts can reach.

// logRelayListeners logs where the relay listens, as bound, and warns of
// a listener beyond loopback: there, who may submit is what
// relay.allowed_networks and relay.users say.
func logRelayListeners(log *slog.Logger, rl *relay.Relay, key string) {
	for _, l := range []struct {
		name, key string
		addr      net.Addr
	}{{"submission", key, rl.Addr()}, {"implicit TLS", "relay.tls_listen", rl.TLSAddr()}} {
		if l.addr != nil {
			logRelayListener(log, l.name, l.key, l.addr)
		}
	}
}

// logRelayListener logs one relay listener (name, set by key) bound at
// addr.
func logRelayListener(log *slog.Logger, name, key string, addr net.Addr) {
	log.Info("relay listening", "component", "relay", "listener", name, "addr", addr.String())
	if !config.LoopbackAddr(addr.String()) {
		log.Warn(fmt.Sprintf("the relay's %s listener (%s) is on %s, beyond loopback: any host that reaches it can connect, and only relay.allowed_networks and AUTH with relay.users decide who may send through the relay; check both, or listen on 127.0.0.1", name, key, addr),
			"component", "relay", "addr", addr.String())
	}
}

// warnSinkBeyondLoopback warns of each sink listener other hosts can
// reach (the sink logs where it listens itself): any of them can send to
// it, and it records what it gets.
func warnSinkBeyondLoopback(log *slog.Logger, sk *sink.Sink) {
	addrs := sk.HostPorts()
	names := make([]string, 0, len(addrs))
	for n := range addrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		warnSinkListener(log, n, addrs[n])
	}
}

// warnSinkListener warns when the sink's listener name, bound at addr
// (host:port), is beyond loopback.
func warnSinkListener(log *slog.Logger, name, addr string) {
	if !config.LoopbackAddr(addr) {
		log.Warn(fmt.Sprintf("the sink's listener %s is on %s, beyond loopback: any host that reaches it can send mail to it, which it answers and records; listen on 127.0.0.1 unless that is meant", name, addr),
			"component", "sink", "listener", name, "addr", addr)
	}
}
