package web

import (
	"net/http"
	"testing"
)

// TestWrongTokenWhileSignedIn: a link with a wrong ?token= opened in a
// browser signed in all the same sends it to the page without the token
// in its address, as a right one does; the wrong token stayed there
// (walk V2). An API call with it is answered as before.
func TestWrongTokenWhileSignedIn(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token-0123"
	ts := startServer(t, Options{Auth: Auth{Token: token}})
	id := signIn(t, ts.url, token)
	res := send(t, noRedirect, "GET", ts.url+"/?token=wrong&x=1", "", "Cookie", sessionCookie+"="+id, "Accept", "text/html")
	if res.code != http.StatusSeeOther || res.location != "/?x=1" {
		t.Errorf("a page with a wrong token: %d to %q, want 303 to /?x=1", res.code, res.location)
	}
	res = send(t, noRedirect, "GET", ts.url+"/", "", "Cookie", sessionCookie+"="+id, "Accept", "text/html")
	if res.code != http.StatusOK {
		t.Errorf("the page without the token: %d, want 200", res.code)
	}
}
