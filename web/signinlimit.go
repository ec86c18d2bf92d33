package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// Failed sign-ins are limited so that web.token and web.password cannot
// be guessed by trying. A page of any site can make the operator's
// browser try: with credentials set, any Host is served, so a name its
// owner points at 127.0.0.1 (DNS rebinding) reaches the UI as that page's
// own origin, and a loopback web.token may be short (config checks the
// length beyond loopback only). Each client address may fail
// guessBurst times, then once more every guessEvery; past that its
// credentials are not even compared, the right ones included, since an
// answer that differed would tell a guess that hit. Sessions already
// started are not limited, so a browser signed in stays so while someone
// else guesses.
const (
	guessBurst = 10
	guessEvery = 6 * time.Second
	// maxGuessers bounds the addresses remembered; past it, new addresses
	// share one allowance (the zero address), so that many addresses
	// buy no more tries than one once the table is full.
	maxGuessers = 1024
)

// guesses counts failed sign-ins per client address.
type guesses struct {
	clock clock.Clock
	log   *slog.Logger
	mu    sync.Mutex
	by    map[netip.Addr]*allowance
}

// allowance is what one address has left: left tries at at, one more
// each guessEvery after, up to guessBurst.
type allowance struct {
	left int
	at   time.Time
	// warned: the log has said that this address ran out, once until
	// its tries are all back.
	warned bool
}

func newGuesses(c clock.Clock, log *slog.Logger) *guesses {
	return &guesses{clock: c, log: log, by: map[netip.Addr]*allowance{}}
}

// clientAddr is the address a request came from; the zero address for
// one that has none (a test's in-process request).
func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// refillLocked brings a's tries up to now.
func (a *allowance) refillLocked(now time.Time) {
	if n := int(now.Sub(a.at) / guessEvery); n > 0 {
		a.left = min(guessBurst, a.left+n)
		a.at = a.at.Add(time.Duration(n) * guessEvery)
	}
	if a.left == guessBurst {
		a.at, a.warned = now, false
	}
}

// take spends one of r's address's tries before its credentials are
// compared, and returns 0; or, when it has none left, how long until it
// has one. Spent before the comparison, so that many requests at once
// get no more tries than one after another; settle gives it back when
// the credentials were right.
func (g *guesses) take(r *http.Request) (wait time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	k := g.keyLocked(clientAddr(r))
	a := g.by[k]
	if a == nil {
		a = &allowance{left: guessBurst, at: now}
		g.by[k] = a
	}
	a.refillLocked(now)
	if a.left == 0 {
		return a.at.Add(guessEvery).Sub(now)
	}
	a.left--
	return 0
}

// settle ends a try that take allowed: right credentials get it back, a
// wrong token or password keeps it spent, and the log says when an
// address has spent them all.
func (g *guesses) settle(r *http.Request, right bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	addr := clientAddr(r)
	a := g.by[g.keyLocked(addr)]
	switch {
	case a == nil: // dropped to make room meanwhile: nothing to give back
	case right:
		a.left = min(guessBurst, a.left+1)
	case a.left == 0 && !a.warned:
		a.warned = true
		g.log.Warn("web: failed sign-ins: this address may try again only once every "+guessEvery.String(),
			"client", addr.String(), "failures", guessBurst, "path", r.URL.Path)
	}
}

// keyLocked is where addr's tries are counted: its own entry, or the
// shared one when the table is full and full allowances (which a new
// entry would equal) cannot be dropped to make room.
func (g *guesses) keyLocked(addr netip.Addr) netip.Addr {
	if _, ok := g.by[addr]; ok || len(g.by) < maxGuessers {
		return addr
	}
	now := g.clock.Now()
	for k, a := range g.by {
		if a.refillLocked(now); a.left == guessBurst {
			delete(g.by, k)
		}
	}
	if len(g.by) < maxGuessers {
		return addr
	}
	return netip.Addr{}
}

// tooManyGuesses answers a request whose address has run out of tries:
// 429 with Retry-After (RFC 6585 4), its credentials left unread.
func tooManyGuesses(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, http.StatusTooManyRequests, "too many failed sign-ins from "+clientAddr(r).String(),
		strconv.Itoa(guessBurst)+" wrong tokens or passwords came from this address, and it may try once every "+guessEvery.String()+
			" after that, so that a secret cannot be guessed by trying: try again in "+strconv.Itoa(secs)+" s with web.token (or web.user and web.password) "+
			"exactly as in the serve's configuration; a browser already signed in is not held up. "+
			"If nobody here mistyped, something else is trying: the serve's log names it (\"failed sign-ins\")")
}
