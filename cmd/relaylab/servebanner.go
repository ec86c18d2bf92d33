package main

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"

	"github.com/relaylab/relaylab/relay"
)

// relayTryAddress is the recipient serve's banner suggests for a first
// message through the relay.
const relayTryAddress = "defer2+you@example.test"

// bannerColumn is where serve's and sink's banners put what follows each
// label ("web UI", "sink NAME", "relay tls"): 14, or further when a sink
// listener's name is longer than 8 ("sink selfsigned"), so that every
// address still starts in one column.
func bannerColumn(sinkNames []string) int {
	col := len("relay tls     ")
	for _, n := range sinkNames {
		col = max(col, len("sink ")+len(n)+1)
	}
	return col
}

// bannerRow is label padded to the banner's column col, then text.
func bannerRow(col int, label, text string) string {
	return fmt.Sprintf("%-*s%s", col, label, text)
}

// relayBanner is what serve prints about its relay's submission listener
// at addr: who may submit (submitPolicy) and a swaks line that works with
// the configuration as it is.
func relayBanner(addr net.Addr, cfg relay.Config) []string {
	return relayBannerAt(addr, cfg, bannerColumn(nil))
}

// relayBannerAt is relayBanner with its label padded to column col.
func relayBannerAt(addr net.Addr, cfg relay.Config, col int) []string {
	host, port, _ := net.SplitHostPort(addr.String())
	server := net.JoinHostPort(dialHost(host), port)
	try := "--to '" + relayTryAddress + "'   (deferred twice by the sink, then delivered"
	who, note, user := submitPolicy(addr, cfg)
	lines := []string{bannerRow(col, "relay", fmt.Sprintf("smtp://%s (submission; %s)", addr, who))}
	switch {
	case note != "":
		return append(lines, note)
	case user == "":
		return append(lines, fmt.Sprintf("try: swaks --server %s %s)", server, try))
	}
	// go-smtp offers AUTH only over TLS; swaks asks for the password,
	// which stays out of the terminal's scrollback and the logs.
	return append(lines, fmt.Sprintf("try: swaks --server %s -tls --auth-user %s %s; swaks asks for %s's password from relay.users)", server, user, try, user))
}

// submitPolicy says who may submit to the relay's listener at addr under
// cfg, for serve's banner and the relay command's: loopback (or this
// machine's address) without AUTH only when relay.allowed_networks covers
// it, else the users of relay.users after AUTH (user is the first, for an
// example), else no one, with a note saying what every MAIL FROM gets
// and what to change.
func submitPolicy(addr net.Addr, cfg relay.Config) (who, note, user string) {
	host, port, _ := net.SplitHostPort(addr.String())
	from, allowed := localClient(net.JoinHostPort(dialHost(host), port), cfg.AllowedNetworks)
	users := make([]string, 0, len(cfg.Users))
	for u := range cfg.Users {
		users = append(users, u)
	}
	sort.Strings(users)
	if allowed {
		if len(users) > 0 {
			return fmt.Sprintf("%s may send without AUTH, others after AUTH; users: %s", from, strings.Join(users, ", ")), "", ""
		}
		return from + " may send without AUTH", "", ""
	}
	if len(users) == 0 {
		return fmt.Sprintf("no one can submit: relay.allowed_networks does not cover %s and relay.users is empty", from),
			"note: every MAIL FROM from here gets 530 5.7.0 (authentication required); add a user to relay.users, or 127.0.0.0/8 to relay.allowed_networks", ""
	}
	return fmt.Sprintf("AUTH required: relay.allowed_networks does not cover %s; users: %s", from, strings.Join(users, ", ")), "", users[0]
}

// relayBanners is what serve prints about its relay's submission
// listeners: the plain one (relay.listen) as relayBanner says, and the
// implicit-TLS one (relay.tls_listen) when there is one, at addr and
// tlsAddr (nil for a listener the configuration leaves out).
func relayBanners(addr, tlsAddr net.Addr, cfg relay.Config) []string {
	return relayBannersAt(addr, tlsAddr, cfg, bannerColumn(nil))
}

// relayBannersAt is relayBanners with its labels padded to column col.
func relayBannersAt(addr, tlsAddr net.Addr, cfg relay.Config, col int) []string {
	var lines []string
	if addr != nil {
		lines = relayBannerAt(addr, cfg, col)
	}
	if tlsAddr != nil {
		lines = append(lines, bannerRow(col, "relay tls", fmt.Sprintf("smtps://%s (implicit TLS submission: TLS from the first byte, as on port 465)", tlsAddr)))
	}
	return lines
}

// localClient says where a client on this machine that connects to
// server comes from ("loopback", or the server's own address when it is
// bound to one that is not loopback, as the system then picks it as the
// source), and whether relay.allowed_networks lets it submit without AUTH.
func localClient(server string, nets []string) (string, bool) {
	ap, err := netip.ParseAddrPort(server)
	from, name := netip.MustParseAddr("127.0.0.1"), "loopback"
	switch {
	case err != nil:
	case ap.Addr().IsLoopback():
		from = ap.Addr().Unmap()
	case ap.Addr().Is6() && !ap.Addr().Is4In6() && ap.Addr().IsUnspecified():
		from = netip.IPv6Loopback()
	case !ap.Addr().IsUnspecified():
		from = ap.Addr().Unmap()
		name = from.String() + " (this machine)"
	}
	allowed, whole := false, false
	for _, n := range nets {
		if p, err := netip.ParsePrefix(n); err == nil && p.Contains(from) {
			allowed = true
			// All of 127.0.0.0/8 (or ::1): "loopback" is true of it.
			whole = whole || p.Addr().Is4() && p.Bits() <= 8 || p.Addr().Is6() && from.Is6()
		}
	}
	if allowed && name == "loopback" && !whole {
		name = from.String() // 127.0.0.1/32 lets in 127.0.0.1, not 127.0.0.2
	}
	return name, allowed
}
