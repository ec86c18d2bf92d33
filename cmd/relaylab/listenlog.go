package main

import (
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"

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
	if w := relayListenerWarning(name, key, addr.String()); w != "" {
		log.Warn(w, "component", "relay", "addr", addr.String())
	}
}

// relayListenerWarning is the warning about a relay listener (name, set
// by key) at addr beyond loopback; "" on loopback. relaylab config says
// it of the address configured, serve of the one bound.
func relayListenerWarning(name, key, addr string) string {
	if config.LoopbackAddr(addr) {
		return ""
	}
	return fmt.Sprintf("the relay's %s listener (%s) is on %s, beyond loopback: any host that reaches it can connect, and only relay.allowed_networks and AUTH with relay.users decide who may send through the relay; check both, or listen on 127.0.0.1", name, key, addr)
}

// warnSinkBeyondLoopback warns of each sink listener other hosts can
// reach (the sink logs where it listens itself): any of them can send to
// it, and it records what it gets.
func warnSinkBeyondLoopback(log *slog.Logger, sk *sink.Sink) {
	eachSinkListener(sk, func(name, addr string) { warnSinkListenerRisk(log, name, addr, "") })
}

// warnServeSinkBeyondLoopback is warnSinkBeyondLoopback for serve, whose
// own relay (rc, as the file gives it) sends the sink's late bounces when
// sink.bounce.relay is unset (bounceRelaySet false): then a listener
// beyond loopback lets any host have serve send DSNs, through the relay's
// paths that leave the machine, to whatever sender it claims
// (backscatter), and the warning says so.
func warnServeSinkBeyondLoopback(log *slog.Logger, sk *sink.Sink, rc relay.Config, bounceRelaySet bool) {
	risk := ""
	if !bounceRelaySet {
		risk = backscatterRisk(rc)
	}
	eachSinkListener(sk, func(name, addr string) { warnSinkListenerRisk(log, name, addr, risk) })
}

// eachSinkListener calls fn with each of the sink's listeners and where
// it is bound (host:port), by name.
func eachSinkListener(sk *sink.Sink, fn func(name, addr string)) {
	addrs := sk.HostPorts()
	names := make([]string, 0, len(addrs))
	for n := range addrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fn(n, addrs[n])
	}
}

// warnSinkListener warns when the sink's listener name, bound at addr
// (host:port), is beyond loopback.
func warnSinkListener(log *slog.Logger, name, addr string) {
	warnSinkListenerRisk(log, name, addr, "")
}

// warnSinkListenerRisk is warnSinkListener with backscatterRisk's words
// (risk) after its own, when there are any.
func warnSinkListenerRisk(log *slog.Logger, name, addr, risk string) {
	msg := sinkListenerWarning(name, addr, risk)
	if msg == "" {
		return
	}
	args := []any{"component", "sink", "listener", name, "addr", addr}
	if risk != "" {
		args = append(args, "backscatter", true)
	}
	log.Warn(msg, args...)
}

// sinkListenerWarning is the warning about the sink's listener name at
// addr beyond loopback, with risk's words when there are any; "" on
// loopback. relaylab config says it of the address configured, serve of
// the one bound.
func sinkListenerWarning(name, addr, risk string) string {
	if config.LoopbackAddr(addr) {
		return ""
	}
	msg := fmt.Sprintf("the sink's listener %s is on %s, beyond loopback: any host that reaches it can send mail to it, which it answers and records; listen on 127.0.0.1 unless that is meant", name, addr)
	if risk != "" {
		msg += ". " + risk
	}
	return msg
}

// backscatterRisk says, for serve with sink.bounce.relay unset, that the
// sink's late bounces go through its own relay (rc) to the sender a
// client claims, when some of the relay's paths leave the machine: an mx
// path, or a smarthost neither on loopback nor the sink's own listener;
// "" when none does.
func backscatterRisk(rc relay.Config) string {
	var out []string
	for _, p := range rc.Paths {
		switch _, own := relay.SinkHost(p.Host); {
		case p.Type == "mx":
			out = append(out, p.Name+" (mx)")
		case !own && !config.LoopbackAddr(p.Host):
			out = append(out, p.Name+" ("+p.Host+")")
		}
	}
	if len(out) == 0 {
		return ""
	}
	return fmt.Sprintf("Its late bounces (the bounce@ and bounce5m@ directives, rules with bounce:) go to the sender a client claims, through serve's own relay (sink.bounce.relay is unset), whose paths %s leave this machine: any host that reaches the listener can have this serve send DSNs to any address (backscatter). Set sink.bounce.relay: \"\" to send none, or to a relay that keeps them on this machine, or listen on 127.0.0.1",
		strings.Join(out, ", "))
}
