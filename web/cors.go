package web

import (
	"net/http"
	"slices"
	"strings"
)

// corsMaxAge is how long, in seconds, a browser may keep the answer to a
// preflight before it asks again (Chromium keeps one at most 2 hours).
const corsMaxAge = "600"

// listedOrigin reports whether origin is one of web.allowed_origins.
func (s *Server) listedOrigin(origin string) bool {
	return slices.ContainsFunc(s.opts.AllowedOrigins, func(o string) bool {
		return strings.EqualFold(strings.TrimSuffix(o, "/"), origin)
	})
}

// cors lets the pages of web.allowed_origins, and only those, use the API
// from the browser (the Fetch standard's CORS protocol): a page of
// another origin may send a request, but the browser shows it the answer
// only when the answer names that origin in Access-Control-Allow-Origin,
// and it sends a write, or a request with an Authorization or a JSON
// Content-Type, only after a preflight OPTIONS says it may. Both name the
// request's exact origin, never "*". secure has refused other origins'
// writes and preflights (403) before this runs; their reads get no CORS
// headers, so the browser keeps the answers from their pages. The
// websocket checks its Origin itself. No credentials mode: a page sends
// the token itself (Authorization), and the session cookie of the UI is
// not taken from it.
func (s *Server) cors(known *http.ServeMux, next http.Handler) http.Handler {
	if len(s.opts.AllowedOrigins) == 0 {
		return next
	}
	// If-Match: a rules editor on another origin saves against the
	// version it read, as the UI does (PUT /api/v1/sink/rules).
	headers := "Content-Type, If-Match"
	if s.opts.Auth.enabled() {
		headers += ", Authorization"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// An answer depends on the Origin: a cache must keep one for each.
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" || websocketRequested(r) || !s.listedOrigin(origin) {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			// A preflight carries no credentials: answered before
			// authenticate, saying what the real request may be.
			methods := allowedMethods(known, r)
			if len(methods) == 0 {
				methods = []string{http.MethodGet} // a page or an asset of the UI
			}
			if slices.Contains(methods, http.MethodGet) {
				methods = append(methods, http.MethodHead)
			}
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
			h.Set("Access-Control-Allow-Headers", headers)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		// What a script may read of an answer beside the body: where a
		// queued message is, the methods of a 405, the challenge of a 401,
		// a download's name and the rules' version (ETag).
		h.Set("Access-Control-Expose-Headers", "Location, Allow, WWW-Authenticate, Content-Disposition, ETag, X-Relaylab-Hint")
		next.ServeHTTP(w, r)
	})
}
