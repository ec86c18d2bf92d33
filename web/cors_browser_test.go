package web

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCORS: a page served from a web.allowed_origins origin reads
// and writes the API with fetch in Chromium, sending the token itself
// (the preflight of its PUT is answered, and the answers name its
// origin); the same page from an origin not in the list can do neither:
// the browser refuses to show it the answer, and its PUT never reaches
// the sink's rules.
func TestBrowserCORS(t *testing.T) {
	b := newBrowser(t)
	const token = "s3cret-token-0123"
	// The page's origin must be known before the server starts, and the
	// server's address before the page is served: the page servers
	// listen first and start once api is set.
	var api string
	page := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>another origin</title><script>
window.result = null;
(async () => {
  const auth = {Authorization: "Bearer ` + token + `"};
  const out = [];
  try {
    const r = await fetch(` + strconv.Quote(api) + ` + "/api/v1/sink/rules", {headers: auth});
    out.push("get " + r.status + " " + (await r.json()).yaml);
  } catch (e) { out.push("get refused"); }
  try {
    const r = await fetch(` + strconv.Quote(api) + ` + "/api/v1/sink/rules", {method: "PUT", headers: {...auth, "Content-Type": "application/json"},
      body: JSON.stringify({yaml: "rules: [] # from " + location.origin})});
    out.push("put " + r.status);
  } catch (e) { out.push("put refused"); }
  window.result = out.join("; ");
})();
</script>`))
	}
	allowed := httptest.NewUnstartedServer(http.HandlerFunc(page))
	other := httptest.NewUnstartedServer(http.HandlerFunc(page))
	t.Cleanup(allowed.Close)
	t.Cleanup(other.Close)
	sink := newFakeSink()
	s := listen(t, Options{Sink: sink, Auth: Auth{Token: token}, AllowedOrigins: []string{"http://" + allowed.Listener.Addr().String()}})
	api = "http://" + s.Addr()
	allowed.Start()
	other.Start()

	rules := func() string {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return sink.rules.YAML
	}
	before := rules()
	wantGet := "get 200 " + before
	b.do(t, chromedp.Navigate(other.URL))
	b.waitFor(t, "the other origin's fetches", `window.result !== null`)
	if got := b.eval(t, `window.result`); got != "get refused; put refused" {
		t.Errorf("a page of an origin not allowed: %v, want both refused", got)
	}
	if got := rules(); got != before {
		t.Errorf("the other origin's PUT changed the rules to %q", got)
	}
	b.do(t, chromedp.Navigate(allowed.URL))
	b.waitFor(t, "the allowed origin's fetches", `window.result !== null`)
	if got := b.eval(t, `window.result`); got != wantGet+"; put 200" {
		t.Errorf("a page of an allowed origin: %v, want %q", got, wantGet+"; put 200")
	}
	if got, want := rules(), "rules: [] # from "+allowed.URL; got != want {
		t.Errorf("after the allowed origin's PUT the rules are %q, want %q", got, want)
	}
}
