package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/guesslimit"
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

// guesses counts failed sign-ins per client address (guesslimit).
type guesses struct {
	clock clock.Clock
	log   *slog.Logger
	mu    sync.Mutex
	by    guesslimit.Table
}

// signInGuesses is the sign-in's guessBurst, guessEvery and maxGuessers.
var signInGuesses = guesslimit.Policy{Burst: guessBurst, Every: guessEvery, MaxAddrs: maxGuessers}

func newGuesses(c clock.Clock, log *slog.Logger) *guesses {
	return &guesses{clock: c, log: log, by: guesslimit.Table{}}
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

// take spends one of r's address's tries before its credentials are
// compared, and returns 0; or, when it has none left, how long until it
// has one. settle gives it back when the credentials were right.
func (g *guesses) take(r *http.Request) (wait time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.by.Take(signInGuesses, clientAddr(r), g.clock.Now())
}

// settle ends a try that take allowed, and the log says when an address
// has spent them all.
func (g *guesses) settle(r *http.Request, right bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	addr := clientAddr(r)
	if g.by.Settle(signInGuesses, addr, g.clock.Now(), right) {
		g.log.Warn("web: failed sign-ins: this address may try again only once every "+guessEvery.String(),
			"client", addr.String(), "failures", guessBurst, "path", r.URL.Path)
	}
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
