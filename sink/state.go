package sink

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaylab/relaylab/internal/mailaddr"
)

// state is what the sink remembers across sessions: attempt counters and
// greylisting. It lives in memory; the store holds what rebuilds it at
// start (restore). What the store no longer has, memory lets go of too:
// the sweep (sweep.go) forgets greylist entries once they have expired,
// and the counters a prune or a deletion took the rows of, so that memory
// follows the store rather than the process's uptime.
type state struct {
	mu    sync.Mutex
	pairs map[string]counter // sender \x00 recipient
	msgs  map[string]counter // Message-ID
	grey  map[string]greyEntry
	// staleGrey are the keys of greylist rows in a form older than
	// greyKey's that readGrey read (under today's key); restore stores
	// them again.
	staleGrey []string
	// epoch is the era of the counts, which each Sink.sweep begins anew
	// (counter.last, conn.startEpoch); from firstEpoch on.
	epoch atomic.Uint32
}

// counter is one attempt counter: the attempts so far, and the epoch of
// the last count, by which Sink.reconcile tells a counter that no open
// session has counted; or fromStore, or unchecked.
type counter struct {
	n    int32
	last uint32
}

// The values of counter.last that are no epoch.
const (
	fromStore  uint32 = 0 // as the store has it (restore, reconcile)
	unchecked  uint32 = 1 // reconcile has not found it in the store yet
	firstEpoch uint32 = 2
)

// greyEntry is one (client, sender, recipient) triple, in ns of the clock.
type greyEntry struct {
	first  int64 // when the current triple was first seen
	passed int64 // when it last got through; 0 until it first did
	// expires is when the entry stops mattering under the greylisting
	// that last saw it: the end of its retry window, or of its
	// keep_passed once it passed. 0: not known (read from the store at
	// start); the sweep works it out (Sink.greyWindowsFor).
	expires int64
}

// greyUpdate is a greylist entry to persist with the session.
type greyUpdate struct {
	key string
	greyEntry
}

func newState() *state {
	st := &state{}
	st.forget()
	st.epoch.Store(firstEpoch)
	return st
}

// forget empties every map (held by the caller, or before st is shared).
func (st *state) forget() {
	st.pairs, st.msgs, st.grey = map[string]counter{}, map[string]counter{}, map[string]greyEntry{}
}

// pairKey is the key of the attempts from sender to recipient (and, after
// the client, of their greylist entry): each address in one form, so that
// one mailbox is counted once however the client spells it.
func pairKey(from, to string) string { return mailaddr.Key(from) + "\x00" + mailaddr.Key(to) }

// nextPair counts one more attempt from sender to recipient.
func (st *state) nextPair(from, to string) int { return st.next(false, pairKey(from, to)) }

// nextMsg counts one more attempt to deliver the message with this ID.
func (st *state) nextMsg(id string) int { return st.next(true, id) }

func (st *state) next(msg bool, k string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	m := st.pairs // read under mu: a reset replaces it
	if msg {
		m = st.msgs
	}
	c := m[k]
	c.n++
	c.last = st.epoch.Load()
	m[k] = c
	return int(c.n)
}

// count notes a counter read from the store (restore): the highest of the
// rows' attempts.
func (st *state) count(m map[string]counter, k string, n int) {
	if c := m[k]; int32(n) > c.n {
		c.n = int32(n)
		m[k] = c
	}
}

// greylist decides for the triple at now (RFC 6647 2: a first attempt is
// deferred; a retry after the minimum delay and within the retry window,
// g.Expiry, passes; an entry not retried within it is forgotten). A triple
// that passed is let through for g.KeepPassed after its last delivery.
// upd has a key when the entry changed.
func (st *state) greylist(ip netip.Addr, from, to string, now time.Time, g *Greylist) (pass bool, upd greyUpdate) {
	k := ip.String() + "\x00" + pairKey(from, to)
	t := now.UnixNano()
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.grey[k]
	switch {
	case ok && e.passed != 0 && t-e.passed <= int64(g.KeepPassed):
		// RFC 6647 4.2: each delivery renews a triple that has passed.
		e.passed, e.expires = t, t+int64(g.KeepPassed)
		st.grey[k] = e
		return true, greyUpdate{k, e}
	case ok && e.passed == 0 && t-e.first <= int64(g.Expiry):
		if t-e.first < int64(g.MinDelay) {
			if e.expires == 0 {
				e.expires = e.first + int64(g.Expiry)
				st.grey[k] = e
			}
			return false, greyUpdate{}
		}
		e.passed, e.expires = t, t+int64(g.KeepPassed)
		st.grey[k] = e
		return true, greyUpdate{k, e}
	}
	e = greyEntry{first: t, expires: t + int64(g.Expiry)}
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
