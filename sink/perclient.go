package sink

import (
	"net/netip"
	"strconv"
	"sync"
)

// clientCounts counts a listener's open connections per client address,
// for limits.max_connections_per_client (as Postfix's
// smtpd_client_connection_count_limit). A listener without that limit
// has none, and counts nothing.
type clientCounts struct {
	mu sync.Mutex
	n  map[netip.Addr]int
}

func newClientCounts() *clientCounts { return &clientCounts{n: map[netip.Addr]int{}} }

// add counts one more connection from a and returns how many are open.
func (cc *clientCounts) add(a netip.Addr) int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.n[a]++
	return cc.n[a]
}

// done counts one connection from a out.
func (cc *clientCounts) done(a netip.Addr) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.n[a] <= 1 {
		delete(cc.n, a)
	} else {
		cc.n[a]--
	}
}

// tooManyFromClient is the greeting of a connection over the listener's
// limits.max_connections_per_client: 421 (RFC 5321 3.8: the server
// closes) with X.7.0, as Postfix answers over its per-client limit.
func tooManyFromClient(host string, max int) Reply {
	return Reply{Code: 421, Enhanced: "4.7.0", Text: host + " has too many connections from your address (limits.max_connections_per_client " + strconv.Itoa(max) + "), try again later"}
}
