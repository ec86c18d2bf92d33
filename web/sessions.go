package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// sessionTTL is how long a browser's sign-in with web.token lasts,
// counted from the sign-in (absolute, not sliding: a tab left open, whose
// stream and polls never stop, is signed out all the same).
const sessionTTL = 12 * time.Hour

// maxSessions bounds the sign-ins held at once: a script that signs in
// over and over (GET /?token= in a loop) cannot fill the memory. The
// oldest goes first.
const maxSessions = 1000

// signedInCookie says to the UI's script, which cannot read the HttpOnly
// session cookie, that this browser signed in with a session, so that it
// shows "Sign out". It holds no secret and grants nothing.
const signedInCookie = "relaylab_signed_in"

// sessions are the sign-ins of browsers that gave web.token, in memory
// only: a restart of the serve ends them all, and so does a new web.token
// (which takes a restart). Each is a random id, kept here by its digest,
// so that neither a lookup's timing nor a dump of the map gives an id
// that a cookie could carry.
type sessions struct {
	clock clock.Clock
	mu    sync.Mutex
	until map[[sha256.Size]byte]time.Time // by the id's digest: when it ends
}

func newSessions(c clock.Clock) *sessions {
	return &sessions{clock: c, until: map[[sha256.Size]byte]time.Time{}}
}

// start makes a new session and returns its id: 32 random bytes,
// base64url.
func (ss *sessions) start() (id string, until time.Time) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand: it crashes the program instead)
	id = base64.RawURLEncoding.EncodeToString(b[:])
	now := ss.clock.Now()
	until = now.Add(sessionTTL)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.sweepLocked(now)
	for len(ss.until) >= maxSessions {
		var oldest [sha256.Size]byte
		first := true
		for k, t := range ss.until {
			if first || t.Before(ss.until[oldest]) {
				oldest, first = k, false
			}
		}
		delete(ss.until, oldest)
	}
	ss.until[sha256.Sum256([]byte(id))] = until
	return id, until
}

// valid says whether id is a session that has not ended, and when it
// ends.
func (ss *sessions) valid(id string) (until time.Time, ok bool) {
	if id == "" {
		return time.Time{}, false
	}
	k := sha256.Sum256([]byte(id))
	ss.mu.Lock()
	defer ss.mu.Unlock()
	until, ok = ss.until[k]
	if ok && !ss.clock.Now().Before(until) {
		delete(ss.until, k)
		return time.Time{}, false
	}
	return until, ok
}

// end forgets id.
func (ss *sessions) end(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.until, sha256.Sum256([]byte(id)))
}

func (ss *sessions) sweepLocked(now time.Time) {
	for k, t := range ss.until {
		if !now.Before(t) {
			delete(ss.until, k)
		}
	}
}

// setSessionCookies gives the browser its session: the id in an HttpOnly
// cookie that the page's script cannot read, sent back only to this site
// (SameSite=Strict: a link from elsewhere opens the sign-in page, not a
// signed-in one), over TLS only when it came over TLS, and without
// Max-Age or Expires, so that the browser forgets it when it closes,
// before the session ends here. Beside it, the flag for the UI.
func setSessionCookies(w http.ResponseWriter, r *http.Request, id string) {
	secure := overTLS(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: signedInCookie, Value: "1", Path: "/", Secure: secure, SameSite: http.SameSiteStrictMode})
}

// clearSessionCookies makes the browser drop both cookies.
func clearSessionCookies(w http.ResponseWriter, r *http.Request) {
	secure := overTLS(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: signedInCookie, Path: "/", MaxAge: -1, Secure: secure, SameSite: http.SameSiteStrictMode})
}

// overTLS says whether the browser reached the server over TLS: the
// connection itself, or a TLS-terminating proxy in front (the UI has no
// TLS listener of its own) that says so in X-Forwarded-Proto. A client
// that claims https over plain HTTP only gets a cookie its browser will
// not send back.
func overTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}
