package sink

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// state is what the sink remembers across sessions: attempt counters and
// greylisting. It lives in memory; the store holds what rebuilds it at
// start (restore).
type state struct {
	mu    sync.Mutex
	pairs map[string]int // sender \x00 recipient -> attempts so far
	msgs  map[string]int // Message-ID -> attempts so far
	grey  map[string]greyEntry
}

type greyEntry struct {
	first  time.Time // when the current triple was first seen
	passed time.Time // when it first got through; zero until then
}

// greyUpdate is a greylist entry to persist with the session.
type greyUpdate struct {
	key string
	greyEntry
}

func newState() *state {
	return &state{pairs: map[string]int{}, msgs: map[string]int{}, grey: map[string]greyEntry{}}
}

func pairKey(from, to string) string { return strings.ToLower(from) + "\x00" + strings.ToLower(to) }

// nextPair counts one more attempt from sender to recipient.
func (st *state) nextPair(from, to string) int {
	k := pairKey(from, to)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.pairs[k]++
	return st.pairs[k]
}

// nextMsg counts one more attempt to deliver the message with this ID.
func (st *state) nextMsg(id string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.msgs[id]++
	return st.msgs[id]
}

// greylist decides for the triple at now (RFC 6647 2: a first attempt is
// deferred; a retry after the minimum delay and within the retry window,
// g.Expiry, passes; an entry not retried within it is forgotten). A triple
// that passed is let through for g.KeepPassed after its last delivery.
// upd has a key when the entry changed.
func (st *state) greylist(ip netip.Addr, from, to string, now time.Time, g *Greylist) (pass bool, upd greyUpdate) {
	k := ip.String() + "\x00" + pairKey(from, to)
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.grey[k]
	switch {
	case ok && !e.passed.IsZero() && now.Sub(e.passed) <= g.KeepPassed:
		// RFC 6647 4.2: each delivery renews a triple that has passed.
		e.passed = now
		st.grey[k] = e
		return true, greyUpdate{k, e}
	case ok && e.passed.IsZero() && now.Sub(e.first) <= g.Expiry:
		if now.Sub(e.first) < g.MinDelay {
			return false, greyUpdate{}
		}
		e.passed = now
		st.grey[k] = e
		return true, greyUpdate{k, e}
	}
	e = greyEntry{first: now}
	st.grey[k] = e
	return false, greyUpdate{k, e}
}

// rateLimiter is a token bucket per client address.
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	return &rateLimiter{rate: perSecond, burst: float64(burst), buckets: map[netip.Addr]*bucket{}}
}

// allow takes one token for ip at now, if there is one.
func (r *rateLimiter) allow(ip netip.Addr, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.buckets[ip]
	if !ok {
		if len(r.buckets) >= 100000 {
			r.prune(now)
		}
		b = &bucket{tokens: r.burst, last: now}
		r.buckets[ip] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(r.burst, b.tokens+el*r.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// prune forgets buckets that have refilled, so memory stays bounded.
func (r *rateLimiter) prune(now time.Time) {
	for ip, b := range r.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*r.rate >= r.burst {
			delete(r.buckets, ip)
		}
	}
}
