// Package guesslimit keeps a secret (a password, a token) from being
// found by trying: each client address has a few tries, and gets one back
// at a steady pace. A try is spent before the secret offered is compared,
// so that many connections or requests at once buy no more tries than one
// after another, and given back when the secret was right. An address
// with no tries left is refused without a compare, the right secret
// included, since an answer that differed would tell a guess that hit.
// The web UI's sign-in and the relay's submission AUTH share it.
package guesslimit

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/netip"
	"time"
)

// Policy is how many tries an address has and how fast they come back.
type Policy struct {
	// Burst is the tries of an address that has failed none.
	Burst int
	// Every is how often an address gets one try back, up to Burst.
	Every time.Duration
	// MaxAddrs bounds the addresses remembered: past it, new addresses
	// share one allowance (the zero address's), so that many addresses
	// buy no more tries than one once the table is full.
	MaxAddrs int
}

// Allowance is what one address has left: left tries at at, one more
// each Policy.Every after, up to Policy.Burst.
type Allowance struct {
	left int
	at   time.Time
	// warned: Settle said that this address ran out, once until its
	// tries are all back.
	warned bool
}

// refill brings a's tries up to now.
func (a *Allowance) refill(p Policy, now time.Time) {
	if n := int(now.Sub(a.at) / p.Every); n > 0 {
		a.left = min(p.Burst, a.left+n)
		a.at = a.at.Add(time.Duration(n) * p.Every)
	}
	if a.left == p.Burst {
		a.at, a.warned = now, false
	}
}

// Table holds the allowances of the addresses that tried. It does not
// lock: its owner holds one lock around each call.
type Table map[netip.Addr]*Allowance

// Take spends one of addr's tries before its secret is compared, and
// returns 0; or, when it has none left, how long until it has one, and
// the secret must then not be compared. Settle ends each try that Take
// allowed.
func (t Table) Take(p Policy, addr netip.Addr, now time.Time) (wait time.Duration) {
	k := t.key(p, addr, now)
	a := t[k]
	if a == nil {
		a = &Allowance{left: p.Burst, at: now}
		t[k] = a
	}
	a.refill(p, now)
	if a.left == 0 {
		return a.at.Add(p.Every).Sub(now)
	}
	a.left--
	return 0
}

// Settle ends a try of addr that Take allowed: the right secret gets it
// back, a wrong one keeps it spent. ranOut is true once when a wrong one
// spent the address's last try, for its owner to log, and again only
// after all its tries have come back.
func (t Table) Settle(p Policy, addr netip.Addr, now time.Time, right bool) (ranOut bool) {
	a := t[t.key(p, addr, now)]
	switch {
	case a == nil: // dropped to make room meanwhile: nothing to give back
	case right:
		a.left = min(p.Burst, a.left+1)
	case a.left == 0 && !a.warned:
		a.warned = true
		return true
	}
	return false
}

// key is where addr's tries are counted: its client's entry (Client), or
// the shared one when the table is full and full allowances (which a new entry
// would equal) cannot be dropped to make room.
func (t Table) key(p Policy, addr netip.Addr, now time.Time) netip.Addr {
	addr = Client(addr)
	if _, ok := t[addr]; ok || len(t) < p.MaxAddrs {
		return addr
	}
	for k, a := range t {
		if a.refill(p, now); a.left == p.Burst {
			delete(t, k)
		}
	}
	if len(t) < p.MaxAddrs {
		return addr
	}
	return netip.Addr{}
}

// Client is the client an address counts for: an IPv4 address itself
// (an IPv4-mapped IPv6 one as IPv4), an IPv6 address its /64, the
// smallest network a site is given (RFC 6177) and which one host may
// draw addresses from at will: counted one by one, a single host would
// buy Burst tries for each of them, and fill the table for everyone.
func Client(addr netip.Addr) netip.Addr {
	addr = addr.Unmap()
	if addr.Is6() {
		if p, err := addr.WithZone("").Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return addr
}

// Equal compares a secret offered with the one configured in constant
// time, by their SHA-256 digests: ConstantTimeCompare of the secrets
// themselves returns at once when their lengths differ, which tells a
// guesser the secret's length.
func Equal(offered, configured string) bool {
	a, b := sha256.Sum256([]byte(offered)), sha256.Sum256([]byte(configured))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
