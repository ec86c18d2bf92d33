package web

import (
	"context"
	_ "embed"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/guesslimit"
)

//go:embed openapi.yaml
var openAPISpec []byte

// pageCSP is the policy of every page and response of ours: scripts, styles
// and connections only from this origin, no inline script, no framing by
// others. Frames are our own message bodies, sandboxed. Trusted Types with
// no policy make the browser refuse any string as HTML or script
// (innerHTML, insertAdjacentHTML, document.write...): the UI puts values
// in as text, and a change that did otherwise with a value from mail
// fails in the browser instead of running it.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// bodyCSP is the policy of a message's HTML body: nothing may load or run,
// and the document is sandboxed even if opened outside its iframe.
const bodyCSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Health is open so that supervisors can probe without credentials.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET "+signInScriptPath, serveSignInScript)

	api := http.NewServeMux()
	known := http.NewServeMux() // the endpoints alone, to tell 405 from 404
	for _, e := range s.endpoints() {
		h := e.handle
		if specParamsErr == nil { // TestSpecParams makes sure it is
			h = knownParams(specParams[strings.ToLower(e.method)+" "+e.path], h)
		}
		api.HandleFunc(e.method+" "+e.path, h)
		known.HandleFunc(e.method+" "+e.path, h)
	}
	api.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(known, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			detail := r.URL.Path + " takes " + strings.Join(allow, ", ") + "; see /openapi.yaml for the API"
			if hint := mailpitHint(r.Method, r.URL.Path); hint != "" {
				detail += ". " + hint
			}
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+r.URL.Path, detail)
			return
		}
		detail := "see /openapi.yaml for the API"
		if hint := mailpitHint(r.Method, r.URL.Path); hint != "" {
			detail = hint
		}
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path, detail)
	})
	api.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openAPISpec)
	})
	api.Handle("GET /metrics", s.metrics.handler())
	api.Handle("/", s.ui())

	mux.Handle("/", s.authenticate(api))
	return sameSlashes(s.secure(s.cors(known, offerGzip(mux))))
}

// sameSlashes serves a path with doubled slashes as its clean form
// (//api/v1/sink/messages as /api/v1/sink/messages, a trailing slash
// kept) instead of the router's 307 to it: a script that joins a base
// URL ending in / (ready.json's web) to a path gets what it asked for,
// where curl -f took the redirect of its DELETE for success and cleared
// nothing.
func sameSlashes(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "//") {
			clean := path.Clean(r.URL.Path)
			if strings.HasSuffix(r.URL.Path, "/") && clean != "/" {
				clean += "/"
			}
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawPath = clean, ""
			r = r2
		}
		h.ServeHTTP(w, r)
	})
}

// allowedMethods lists the methods that known serves at r's path (none
// when the path is not an endpoint at all).
func allowedMethods(known *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := known.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

// endpoint is one operation of the REST API; openapi.yaml documents each.
type endpoint struct {
	method, path string
	handle       http.HandlerFunc
}

func (s *Server) endpoints() []endpoint {
	return []endpoint{
		{"GET", "/api/v1/events", s.listEvents},
		{"GET", "/api/v1/events/stream", s.streamEvents},
		{"GET", "/api/v1/events/{id}", s.getEvent},
		{"GET", "/api/v1/stats", s.stats},
		{"GET", "/api/v1/listeners", s.listeners},
		{"GET", "/api/v1/messages", hintMailpitList(s.listMessages)},
		{"POST", "/api/v1/messages", s.needs("relay", s.opts.Relay != nil, s.enqueue)},
		{"GET", "/api/v1/messages/{id}", s.needs("relay", s.opts.Relay != nil, s.getMessage)},
		{"GET", "/api/v1/messages/{id}/timeline", s.messageTimeline},
		{"GET", "/api/v1/messages/{id}/received", s.needs("relay", s.opts.Relay != nil, s.needs("sink", s.opts.Sink != nil, s.messageReceived))},
		{"GET", "/api/v1/messages/{id}/body.html", s.needs("relay", s.opts.Relay != nil, s.relayBody)},
		{"GET", "/api/v1/messages/{id}/raw", s.needs("relay", s.opts.Relay != nil, s.relayRaw)},
		{"GET", "/api/v1/messages/{id}/parts/{part}", s.needs("relay", s.opts.Relay != nil, s.relayPart)},
		{"GET", "/api/v1/recipients/{address}/timeline", s.recipientTimeline},
		{"GET", "/api/v1/queue", s.needs("relay", s.opts.Relay != nil, s.listQueue)},
		{"POST", "/api/v1/queue/{id}/retry", s.needs("relay", s.opts.Relay != nil, s.retryNow)},
		{"DELETE", "/api/v1/queue/{id}", s.needs("relay", s.opts.Relay != nil, s.deleteQueued)},
		{"POST", "/api/v1/queue/{id}/hold", s.needs("relay", s.opts.Relay != nil, s.holdQueued)},
		{"POST", "/api/v1/queue/{id}/release", s.needs("relay", s.opts.Relay != nil, s.releaseQueued)},
		{"GET", "/api/v1/rests", s.needs("relay", s.opts.Relay != nil, s.listRests)},
		{"DELETE", "/api/v1/rests/{destination}", s.needs("relay", s.opts.Relay != nil, s.endRest)},
		{"GET", "/api/v1/suppressions", s.needs("relay", s.opts.Relay != nil, s.listSuppressions)},
		{"DELETE", "/api/v1/suppressions/{address}", s.needs("relay", s.opts.Relay != nil, s.unsuppress)},
		{"DELETE", "/api/v1/suppressions", s.needs("relay", s.opts.Relay != nil, s.clearSuppressions)},
		{"GET", "/api/v1/sink/sessions", s.needs("sink", s.opts.Sink != nil, s.listSessions)},
		{"GET", "/api/v1/sink/sessions/{id}", s.needs("sink", s.opts.Sink != nil, s.getSession)},
		{"GET", "/api/v1/sink/attempts", s.sinkAttempts},
		{"GET", "/api/v1/sink/messages", s.needs("sink", s.opts.Sink != nil, s.listInbox)},
		{"DELETE", "/api/v1/sink/messages", s.needs("sink", s.opts.Sink != nil, s.clearSink)},
		{"GET", "/api/v1/sink/messages/{id}", s.needs("sink", s.opts.Sink != nil, s.getSinkMessage)},
		{"DELETE", "/api/v1/sink/messages/{id}", s.needs("sink", s.opts.Sink != nil, s.deleteSinkMessage)},
		{"POST", "/api/v1/sink/reset", s.needs("sink", s.opts.Sink != nil, s.resetSink)},
		{"GET", "/api/v1/sink/messages/{id}/body.html", s.needs("sink", s.opts.Sink != nil, s.sinkBody)},
		{"GET", "/api/v1/sink/messages/{id}/raw", s.needs("sink", s.opts.Sink != nil, s.sinkRaw)},
		{"GET", "/api/v1/sink/messages/{id}/parts/{part}", s.needs("sink", s.opts.Sink != nil, s.sinkPart)},
		{"GET", "/api/v1/sink/messages/latest", s.needs("sink", s.opts.Sink != nil, s.latest(s.getSinkMessage))},
		{"GET", "/api/v1/sink/messages/latest/body.html", s.needs("sink", s.opts.Sink != nil, s.latest(s.sinkBody))},
		{"GET", "/api/v1/sink/messages/latest/raw", s.needs("sink", s.opts.Sink != nil, s.latest(s.sinkRaw))},
		{"GET", "/api/v1/sink/messages/latest/parts/{part}", s.needs("sink", s.opts.Sink != nil, s.latest(s.sinkPart))},
		{"GET", "/api/v1/sink/rules", s.needs("sink", s.opts.Sink != nil, s.getRules)},
		{"PUT", "/api/v1/sink/rules", s.needs("sink", s.opts.Sink != nil, s.rulesPut())},
		{"GET", "/api/v1/probe/results", s.needs("probe", s.opts.Probe != nil, s.probeResults)},
		{"GET", "/api/v1/probe/history", s.needs("probe", s.opts.Probe != nil, s.probeHistory)},
		{"GET", "/api/v1/probe/changes", s.needs("probe", s.opts.Probe != nil, s.probeChanges)},
		{"GET", "/api/v1/reports", s.report},
		{"GET", "/api/v1/reports/summary", s.reportSummary},
	}
}

// needs wraps an endpoint that calls a component: when the component is
// not running, it answers 503 saying which one, instead of calling h.
func (s *Server) needs(component string, running bool, h http.HandlerFunc) http.HandlerFunc {
	if running {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) { notRunning(w, component) }
}

// secure sets the headers every response carries.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasSuffix(r.URL.Path, "/body.html") {
			h.Set("Content-Security-Policy", bodyCSP)
			h.Set("X-Frame-Options", "SAMEORIGIN")
		} else {
			h.Set("Content-Security-Policy", pageCSP)
			h.Set("X-Frame-Options", "DENY")
		}
		if !s.hostAllowed(r) && r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
			writeError(w, http.StatusForbidden, "request for host "+strconv.Quote(r.Host)+" refused", hostRefused(r.Host))
			return
		}
		if !s.siteAllowed(r) && r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
			writeError(w, http.StatusForbidden, "request from another site refused", siteRefused(r))
			return
		}
		if d := r.Header.Get("Sec-Fetch-Dest"); strings.HasPrefix(r.URL.Path, "/api/") && codeDest(d) {
			writeError(w, http.StatusForbidden, "the API is not code: refused as a "+d,
				"a page asked the browser to load "+r.URL.Path+" as a "+d+"; the API's answers are data and downloads, and a message's part "+
					"(a script its sender attached) is never run here. Fetch it, or open it as a link")
			return
		}
		// Writes from a page of another origin are refused (CSRF); the
		// websocket checks its origin in the upgrade.
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !s.originAllowed(r) {
			writeError(w, http.StatusForbidden, "cross-origin request refused", originRefused(r.Header.Get("Origin")))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// siteAllowed refuses what a page of another site makes the browser fetch
// from here without the user's asking (an image, a script, a frame, a
// fetch): its response could not be read, but it could weigh on the server
// (a report reads the whole log) or leak by its timing which messages and
// recipients exist. Browsers say where a request comes from in
// Sec-Fetch-Site; a request without it is not from a browser page, or
// is from a browser too old to send it: that one still says, in Origin or
// else in Referer, which page made it send a write (a form posted from
// another site), and a write whose Referer is a page of another origin,
// with no Origin, is refused. A request with none of the three (curl, a
// script in CI) goes through. A link followed to one of our pages (a
// top-level navigation) and requests from an allowed origin go through.
func (s *Server) siteAllowed(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "":
		ref := r.Header.Get("Referer")
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Header.Get("Origin") != "" || ref == "" {
			return true
		}
		u, err := url.Parse(ref)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return true // no page's address: not a browser's Referer
		}
		return strings.EqualFold(u.Host, r.Host) || s.listedOrigin(u.Scheme+"://"+u.Host)
	case "same-origin", "none": // "none": typed, bookmarked
		return true
	}
	if r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document" {
		return true
	}
	return r.Header.Get("Origin") != "" && s.originAllowed(r)
}

// codeDest says whether a request's Sec-Fetch-Dest loads what it gets as
// code: a script, a stylesheet, a worker. A part of a message is served
// with the type its sender gave it, text/javascript too, and under
// script-src 'self' a page of this origin could run one by its address
// (<script src=".../parts/2">); CSP cannot tell our scripts from a
// part, but the browser says what it loads. The UI loads its own code
// from outside /api/.
func codeDest(d string) bool {
	switch d {
	case "script", "style", "worker", "sharedworker", "serviceworker", "audioworklet", "paintworklet", "xslt":
		return true
	}
	return false
}

// nullOrigin says why the opaque origin "null" is refused and cannot be
// allowed (RFC 6454 7.3, and the HTML standard's opaque origins).
const nullOrigin = "\"null\" is an opaque origin, sent by a sandboxed frame (such as the frames relaylab shows a message's HTML in), " +
	"a file: page or a redirect across sites; every such page sends the same \"null\", so allowing it would let any of them, " +
	"on any site, write here. Open the UI from this server's own address instead, or serve the page that uses the API from an origin of its own " +
	"and add that to web.allowed_origins"

// siteRefused is the detail of a refusal by siteAllowed.
func siteRefused(r *http.Request) string {
	from := "a page of another site"
	if r.Header.Get("Origin") == "null" {
		return "a page with the opaque origin \"null\" asked the browser for " + r.URL.Path + "; " + nullOrigin
	}
	if o := r.Header.Get("Origin"); o != "" {
		from = "the page of " + strconv.Quote(o)
	}
	return from + " asked the browser for " + r.URL.Path + " (Sec-Fetch-Site: " + r.Header.Get("Sec-Fetch-Site") +
		"); only this server's own pages, and links followed to them, are answered. To let a page of another origin use the API, " +
		"add its origin to web.allowed_origins in the configuration file"
}

// originRefused is the detail of a refusal for a foreign origin: it names
// the configuration key that lets the origin in.
func originRefused(origin string) string {
	if origin == "null" {
		return "the Origin is \"null\": " + nullOrigin
	}
	return "the Origin " + strconv.Quote(origin) + " is not this server's; to permit it, add it to web.allowed_origins in the configuration file " +
		"(web: {allowed_origins: [" + strconv.Quote(origin) + "]})"
}

// hostAllowed guards against DNS rebinding: a page of another site whose
// name its owner points at 127.0.0.1 reaches this server with its own name
// as Host and as Origin, so the Origin check lets it read and write. With
// credentials required it has none to send (the session cookie belongs to
// the real name) and any Host is fine; without, only names that cannot be
// rebound are served: IP addresses, localhost and *.localhost (RFC 6761
// 6.3: browsers resolve them to loopback themselves), and the hosts of
// the allowed origins. An empty Host is no browser's.
func (s *Server) hostAllowed(r *http.Request) bool {
	if s.opts.Auth.enabled() || r.Host == "" {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	return slices.ContainsFunc(s.opts.AllowedOrigins, func(o string) bool {
		u, err := url.Parse(o)
		return err == nil && strings.EqualFold(u.Hostname(), host)
	})
}

// hostRefused is the detail of a refusal for a Host that is not loopback's:
// how to open the UI instead, and the keys that let the name in.
func hostRefused(host string) string {
	origin := "http://" + host
	return "this server asks for no credentials (no web.token or web.user), so it answers only to names that no other site can point at it: " +
		"an IP address (such as 127.0.0.1 or [::1]), localhost, and names under .localhost (RFC 6761 6.3) such as relaylab.localhost; " +
		"a page of another site could otherwise point its own name at this address (DNS rebinding) and read the mail held here. " +
		"Open the UI by one of those, or, to use this name, add its origin to web.allowed_origins in the configuration file " +
		"(web: {allowed_origins: [" + strconv.Quote(origin) + "]}) or set web.token"
}

// originAllowed accepts requests with no Origin (not from a browser page),
// from the server's own origin, or from a configured one.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) && (u.Scheme == "http" || u.Scheme == "https") {
		return true
	}
	return s.listedOrigin(origin)
}

// sessionCookie holds a browser's session id (sessions), never the token.
const sessionCookie = "relaylab_session"

// signOutPath ends a browser's session (POST); GET shows a button that
// does.
const signOutPath = "/signout"

// maxSignInForm bounds the body of a sign-in form: a token and no more.
const maxSignInForm = 64 << 10

// authenticate checks the token or basic credentials when configured. A
// browser that gives web.token (by the sign-in page's form, POSTed to the
// page it asked for, or once as ?token= in a link) gets a session of its
// own (sessions) and is sent back to the page without the token. Writes,
// a sign-in and a sign-out among them, have passed secure's Origin check:
// a page of another site can neither sign a browser in with its own token
// (login CSRF) nor sign it out. Tokens and passwords are compared only
// within the limit of failed sign-ins of the client's address (guesses).
func (s *Server) authenticate(next http.Handler) http.Handler {
	a := s.opts.Auth
	if !a.enabled() {
		return next
	}
	ss := newSessions(s.clock)
	tries := newGuesses(s.clock, s.log)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Token != "" && !strings.HasPrefix(r.URL.Path, "/api/") {
			if r.URL.Path == signOutPath && r.Method == http.MethodPost {
				if c, err := r.Cookie(sessionCookie); err == nil {
					ss.end(c.Value)
				}
				clearSessionCookies(w, r)
				http.Redirect(w, r, "/?signed-out", http.StatusSeeOther)
				return
			}
			if t, posted := offeredToken(w, r); t != "" {
				if wait := tries.take(r); wait > 0 {
					tooManyGuesses(w, r, wait)
					return
				}
				right := guesslimit.Equal(t, a.Token)
				tries.settle(r, right)
				if right {
					if c, err := r.Cookie(sessionCookie); err == nil {
						ss.end(c.Value) // the one it replaces, if it has one
					}
					id, _ := ss.start()
					setSessionCookies(w, r, id)
					// Back to the page asked for, on this host, without
					// the token: the form's action is that page's path
					// (formAction), a link's query loses token= alone.
					http.Redirect(w, r, withoutToken(r, posted), http.StatusSeeOther)
					return
				}
				if posted {
					signInPage(w, r, a, true)
					return
				}
				if by, _ := session(r, a, ss); by == "cookie" && pageRequest(r) {
					// A link's wrong token in a browser signed in all the
					// same: the page, without the token in its address.
					http.Redirect(w, r, withoutToken(r, false), http.StatusSeeOther)
					return
				}
			}
		}
		by, until := session(r, a, ss)
		if offered := r.Header.Get("Authorization") != ""; by == "" && offered {
			if wait := tries.take(r); wait > 0 {
				tooManyGuesses(w, r, wait)
				return
			}
			by = secret(r, a)
			tries.settle(r, by != "")
		}
		if _, err := r.Cookie(sessionCookie); err == nil && by != "cookie" && pageRequest(r) {
			// A session that ended (signed out elsewhere, expired, or
			// from before a restart): the browser drops it, and the
			// UI its "Sign out". Only when a page is asked for: an API
			// call or a stream of an old page, still on its way when the
			// browser signed in again, would otherwise clear the new
			// session's cookie with its answer.
			clearSessionCookies(w, r)
		}
		if by == "" {
			unauthorized(w, r, a)
			return
		}
		if a.Token != "" && r.URL.Path == signOutPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			signOutPage(w, by, until)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withoutToken is the address of r's page on this host without the
// token: a form's action is the page's path (formAction); a link's
// query loses token= alone.
func withoutToken(r *http.Request, posted bool) string {
	q := r.URL.Query()
	q.Del("token")
	to := formAction(r)
	if !posted && len(q) > 0 {
		to += "?" + q.Encode()
	}
	return to
}

// pageRequest says whether r is a browser's request for a page (a
// navigation), not an API call, a stream or a file a page loads.
func pageRequest(r *http.Request) bool {
	return !strings.HasPrefix(r.URL.Path, "/api/") && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// offeredToken is the token a browser gives to sign in: the field of a
// form POSTed to a page (posted), or ?token= on a page opened by GET;
// "" when it gives none.
func offeredToken(w http.ResponseWriter, r *http.Request) (token string, posted bool) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return r.URL.Query().Get("token"), false
	case http.MethodPost:
		if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
			return "", false
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxSignInForm)
		if err := r.ParseForm(); err != nil {
			return "", false
		}
		return r.PostForm.Get("token"), r.PostForm.Has("token")
	}
	return "", false
}

// session is how r is signed in by a session (sessions): "cookie" and
// when the session ends, or "" when it carries none that has not ended.
// The other ways, web.token in Authorization and web.user's basic auth,
// are secret's, which authenticate asks only within the limit of
// guesses.
func session(r *http.Request, a Auth, ss *sessions) (by string, until time.Time) {
	if a.Token == "" {
		return "", time.Time{}
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		if until, ok := ss.valid(c.Value); ok {
			return "cookie", until
		}
	}
	return "", time.Time{}
}

// secret is "bearer" or "basic" when r's Authorization gives web.token
// or web.user and web.password, "" when it gives neither.
func secret(r *http.Request, a Auth) string {
	if a.Token != "" {
		if bearer, ok := bearerToken(r.Header.Get("Authorization")); ok && guesslimit.Equal(bearer, a.Token) {
			return "bearer"
		}
	}
	if a.User != "" {
		if u, p, ok := r.BasicAuth(); ok {
			// Both compared, whatever the first gives: a reply that came
			// sooner for a wrong user would tell a guesser the user.
			user, pass := guesslimit.Equal(u, a.User), guesslimit.Equal(p, a.Password)
			if user && pass {
				return "basic"
			}
		}
	}
	return ""
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ListenerStateAPI is offered by a SinkAPI or a RelayAPI that can say
// whether each of its listeners accepts connections; /readyz then checks
// each one, as "sink:NAME" or "relay:NAME".
type ListenerStateAPI interface {
	// Accepting maps each listener's name to nil while it accepts
	// connections, or to why it does not.
	Accepting() map[string]error
}

// listenerChecks adds to checks the state of each listener of c (a
// SinkAPI or a RelayAPI) that offers ListenerStateAPI, with prefix
// before its name; false when one does not accept.
func listenerChecks(checks map[string]string, prefix string, c any) bool {
	l, ok := c.(ListenerStateAPI)
	if !ok {
		return true
	}
	all := true
	for name, err := range l.Accepting() {
		if err != nil {
			checks[prefix+name] = "not accepting connections: " + err.Error()
			all = false
			continue
		}
		checks[prefix+name] = "ok"
	}
	return all
}

// readyz is ready when the store answers, the stream follows the log and
// every listener of the sink and the relay that can say so accepts.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"store": "ok", "stream": "ok"}
	ok := true
	if err := s.opts.Store.DB().PingContext(ctx); err != nil {
		checks["store"] = err.Error()
		ok = false
	} else if err := s.opts.Store.Failing(); err != nil {
		// Reads work, but every write is refused: the sink and the relay
		// answer 451 to all mail until the store is fixed.
		checks["store"] = "writes failing: " + err.Error()
		ok = false
	}
	if !s.hub.running.Load() {
		checks["stream"] = "not following the event log (the server is not started)"
		ok = false
	} else {
		select {
		case <-s.hub.done:
			checks["stream"] = "stopped"
			ok = false
		default:
		}
	}
	// Both run even when one fails, so that each listener is in checks.
	sinkOK := listenerChecks(checks, "sink:", s.opts.Sink)
	relayOK := listenerChecks(checks, "relay:", s.opts.Relay)
	ok = ok && sinkOK && relayOK
	code, status := http.StatusOK, "ready"
	if !ok {
		code, status = http.StatusServiceUnavailable, "not ready"
	}
	if f := s.stopping.Load(); f != nil {
		// Stopping (SetStopping): out of the pool while the rest drains.
		checks["stopping"] = (*f)()
		code, status = http.StatusServiceUnavailable, "stopping"
	}
	writeJSON(w, code, map[string]any{"status": status, "checks": checks})
}
