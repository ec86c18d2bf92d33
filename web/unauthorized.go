package web

import (
	"html"
	"net/http"
	"strings"
)

// unauthorized answers a request without valid credentials: the API's JSON
// error for scripts and fetches, and for a browser that navigated to a page
// (it asks for text/html) a page that says how to get in. The page lives
// under pageCSP like every other: no script, no inline style, and no
// stylesheet either, since /style.css is behind the same door.
func unauthorized(w http.ResponseWriter, r *http.Request, a Auth) {
	signInPage(w, r, a, a.Token != "" && r.URL.Query().Has("token") && !strings.HasPrefix(r.URL.Path, "/api/"))
}

// signInPage is unauthorized's answer; wrong says that the request gave
// a token that is not web.token (a link's ?token=, or the form's).
func signInPage(w http.ResponseWriter, r *http.Request, a Auth, wrong bool) {
	// RFC 9110 11.6.1: a 401 carries a challenge for each scheme taken.
	// Basic first, so that a browser (which cannot answer Bearer) asks
	// for the user name and password.
	if a.User != "" {
		w.Header().Add("WWW-Authenticate", `Basic realm="relaylab", charset="UTF-8"`)
	}
	if a.Token != "" {
		w.Header().Add("WWW-Authenticate", `Bearer realm="relaylab"`) // RFC 6750 3
	}
	if strings.HasPrefix(r.URL.Path, "/api/") || !strings.Contains(r.Header.Get("Accept"), "text/html") {
		detail := "send the user name and password of web.user and web.password as HTTP basic auth"
		if a.Token != "" {
			detail = "send Authorization: Bearer <token> with the serve's web.token, or open the UI once as /?token=<token>"
			if a.User != "" {
				detail += ", or send web.user and web.password as HTTP basic auth"
			}
		}
		msg := "authentication required"
		if wrong {
			msg = "that token is not this serve's web.token"
		}
		writeError(w, http.StatusUnauthorized, msg, detail)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", formReferrerPolicy)
	w.WriteHeader(http.StatusUnauthorized)
	var b strings.Builder
	b.WriteString(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · relaylab</title><link rel="icon" href="data:,"><script src="` + signInScriptPath + `" defer></script></head>
<body><main id="main"><h1>relaylab: authentication required</h1>
`)
	if a.Token != "" {
		if wrong {
			b.WriteString(`<p id="wrong-token"><strong>That token is not this serve's web.token.</strong></p>
`)
		} else if r.URL.Query().Has("signed-out") {
			b.WriteString(`<p id="signed-out">You are signed out: this browser's session has ended.</p>
`)
		}
		// The form POSTs the token to this very page, which starts a
		// session and sends the browser back to the page by GET: the
		// token is in no address, history or log.
		b.WriteString(`<p>This serve is protected by <code>web.token</code> in its configuration file. Give that token here: this browser then holds a session of its own, which ends after 12 hours, when you sign out (at <code>/signout</code>), or when the serve restarts.</p>
<form method="post" action="` + html.EscapeString(signInAction(r)) + `" id="signin"><label for="token">Token</label>
<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button></form>
<p>Or open the address once with <code>?token=&lt;token&gt;</code> after it, for example <code>/?token=&lt;token&gt;</code>, a link you can bookmark or share with whoever has the token: the page drops the token from the address at once. Scripts, curl and <code>relaylab expect --url</code> send <code>Authorization: Bearer &lt;token&gt;</code> instead (expect reads it from <code>RELAYLAB_TOKEN</code>).</p>
`)
	}
	if a.User != "" {
		sign := "Sign"
		if a.Token != "" {
			sign = "Or sign"
		}
		b.WriteString(`<p>` + sign + ` in with <code>web.user</code> and <code>web.password</code> from the serve's configuration file: your browser asks for them (reload this page if you closed its prompt).</p>
`)
	}
	b.WriteString(`<p><a href="/healthz">/healthz</a> and <a href="/readyz">/readyz</a> answer without credentials.</p></main>
</body></html>
`)
	w.Write([]byte(b.String()))
}

// formReferrerPolicy is the Referrer-Policy of a page whose form POSTs
// here (sign-in, sign-out). Under no-referrer, every other page's, a
// browser sends a form's POST with "Origin: null" (the Fetch standard's
// request origin), which secure refuses as it refuses any opaque
// origin; same-origin lets the page's own origin be sent, and still
// sends nothing to another site.
const formReferrerPolicy = "same-origin"

// bearerToken is the token of an Authorization field of the Bearer scheme
// (RFC 6750 2.1), whose name is case-insensitive (RFC 9110 11.1), the
// token after one or more spaces (RFC 9110 11.4); ok is false for
// another scheme or none.
func bearerToken(field string) (token string, ok bool) {
	scheme, token, found := strings.Cut(field, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	return token, token != ""
}

// signInAction is where the sign-in form of r's page posts the token:
// the page itself (formAction), or "/" from the sign-out page, where a
// POST signs out.
func signInAction(r *http.Request) string {
	if to := formAction(r); to != signOutPath {
		return to
	}
	return "/"
}

// formAction is the path of r as a form's action that stays on this host:
// escaped as it travels (a '\\' as %5C) and with one leading '/'. The raw
// path copied in, "/\\host/x" or "//host/x", is read by browsers as the
// address of another host, which the token would go to.
func formAction(r *http.Request) string {
	return "/" + strings.TrimLeft(r.URL.EscapedPath(), "/")
}

// signInScriptPath keeps, across the sign-in, the part of the page's
// address after '#', which names the UI's view (#/inbox) and which the
// browser never sends: the script adds it to the form's action, and the
// browser keeps it through the redirect that follows the POST (a
// Location without a fragment takes the request's). Served without
// credentials, as the sign-in page is.
const signInScriptPath = "/signin.js"

const signInScript = `"use strict";
const form = document.getElementById("signin");
if (form && location.hash.length > 1) {
  form.action = form.getAttribute("action") + location.hash;
}
`

func serveSignInScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write([]byte(signInScript))
}
