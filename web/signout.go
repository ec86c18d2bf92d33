package web

import (
	"net/http"
	"strings"
	"time"
)

// signOutPage is GET /signout for a request that is signed in (by says
// how, until when a session ends): for a session, a button that POSTs
// to /signout; for credentials sent with every request, what ends them.
// Like the other pages of the server's own, no script and no inline
// style.
func signOutPage(w http.ResponseWriter, by string, until time.Time) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", formReferrerPolicy)
	var b strings.Builder
	b.WriteString(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign out · relaylab</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/style.css"></head>
<body><header class="top"><a class="brand" href="/">relaylab</a></header>
<main id="main"><h1>Sign out</h1>
`)
	switch by {
	case "cookie":
		b.WriteString(`<p>This browser is signed in with a session that ends at ` + until.UTC().Format("2006-01-02 15:04 UTC") +
			` (12 hours after it signed in), or sooner if the serve restarts.</p>
<form method="post" action="/signout" id="signout-form"><button type="submit">Sign out</button></form>
`)
	case "basic":
		b.WriteString(`<p id="signout-none">This browser signed in with <code>web.user</code> and <code>web.password</code>, which it sends with every request until it closes: there is no session here to end. Close the browser to sign out.</p>
`)
	default:
		b.WriteString(`<p id="signout-none">This request signed in with <code>Authorization: Bearer</code>, which it sends each time: there is no session here to end. A client signs out by no longer sending the header.</p>
`)
	}
	b.WriteString(`<p><a href="/#/feed">Back to the live feed</a></p></main>
</body></html>
`)
	w.Write([]byte(b.String()))
}
