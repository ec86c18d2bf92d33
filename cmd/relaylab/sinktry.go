package main

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/relaylab/relaylab/sink"
)

// sinkTry is the start of the swaks line that sink and serve print: the
// first listener in configuration order that takes mail without AUTH and
// without TLS from the first byte, or, when none does, the first that
// takes it without AUTH, or else the first, with the swaks flags its
// settings need: --tls-on-connect for implicit TLS, --auth-user for
// required AUTH, and -tls (swaks's STARTTLS, as the relay's try: line
// has it) before an AUTH that auth.require_tls takes only under TLS.
// Sink.Addrs is a map, so taking its first entry named a random
// listener, one that may answer MAIL with 530. A listener that a connect
// rule of rules refuses to every client (a 4xx or 5xx greeting, a drop,
// a hang) comes after the others: the line's "rejected at RCPT" would
// not hold there.
func sinkTry(listeners []sink.ListenerConfig, rules []sink.Rule, addrs map[string]net.Addr) string {
	var order, refused []sink.ListenerConfig
	for _, lc := range listeners {
		switch {
		case addrs[lc.Name] == nil:
		case refusedAtConnect(rules, lc.Name):
			refused = append(refused, lc)
		default:
			order = append(order, lc)
		}
	}
	order = append(order, refused...)
	if len(order) == 0 { // the names are not the configuration's: keep them stable
		names := make([]string, 0, len(addrs))
		for n := range addrs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			order = append(order, sink.ListenerConfig{Name: n})
		}
	}
	if len(order) == 0 {
		return "swaks --server 127.0.0.1:2525"
	}
	pick := order[0]
	for _, better := range []func(sink.ListenerConfig) bool{
		func(lc sink.ListenerConfig) bool { return lc.Auth.Mode != "required" && lc.TLS != "implicit" },
		func(lc sink.ListenerConfig) bool { return lc.Auth.Mode != "required" },
	} {
		if i := indexOf(order, better); i >= 0 {
			pick = order[i]
			break
		}
	}
	host, port, _ := net.SplitHostPort(addrs[pick.Name].String())
	line := "swaks --server " + net.JoinHostPort(dialHost(host), port)
	switch {
	case pick.TLS == "implicit":
		line += " --tls-on-connect"
	case pick.Auth.Mode == "required" && pick.Auth.RequireTLS:
		// auth.require_tls answers AUTH in the clear with 538 and does
		// not offer it before STARTTLS: swaks must start TLS first. (With
		// AUTH optional the suggested mail goes without AUTH, in the
		// clear; under implicit TLS every command is under TLS already.)
		line += " -tls"
	}
	if pick.Auth.Mode == "required" {
		users := make([]string, 0, len(pick.Auth.Users))
		for u := range pick.Auth.Users {
			users = append(users, u)
		}
		sort.Strings(users)
		user := "USER"
		if len(users) > 0 {
			user = users[0]
		}
		// swaks asks for the password, which stays out of the terminal's
		// scrollback and the logs.
		line += fmt.Sprintf(" --auth-user %s", user)
	}
	return line
}

// refusedAtConnect reports whether a connect rule of rules refuses every
// client of listener name: one with no condition but the listener, that
// always applies and answers with a 4xx or 5xx, drops or hangs.
func refusedAtConnect(rules []sink.Rule, name string) bool {
	for _, r := range rules {
		if r.Stage != "connect" || r.Listener != "" && r.Listener != name || r.Client != "" || r.Sender != "" || r.Recipient != "" ||
			r.HELO != "" || r.Attempt != "" || r.Probability != nil && *r.Probability < 1 {
			continue
		}
		reply := strings.TrimSpace(string(r.Reply))
		if r.Drop || r.Hang || strings.HasPrefix(reply, "4") || strings.HasPrefix(reply, "5") {
			return true
		}
	}
	return false
}

func indexOf(ls []sink.ListenerConfig, ok func(sink.ListenerConfig) bool) int {
	for i, lc := range ls {
		if ok(lc) {
			return i
		}
	}
	return -1
}
