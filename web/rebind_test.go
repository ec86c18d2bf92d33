package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// doHost sends a request as a browser would after DNS rebinding: to our
// address, but with Host (and Origin) naming the attacker's site.
func doHost(t *testing.T, method, rawURL, host, body string, hdr ...string) (int, []byte) {
	t.Helper()
	code, _, b := do(t, method, rawURL, body, append([]string{"Host", host}, hdr...)...)
	return code, b
}

// TestRebindingRefused: without credentials to ask for, a request whose
// Host is a name other than loopback's is refused, so that a page of
// another site whose name the attacker points at 127.0.0.1 (DNS
// rebinding) can neither read the mail nor change anything, even though
// its Origin then matches the Host.
func TestRebindingRefused(t *testing.T) {
	t.Parallel()
	ts, relay, sink := componentServer(t)
	port := ts.url[strings.LastIndex(ts.url, ":")+1:]
	evil := "rebind.attacker.test:" + port
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      []string
	}{
		{"read mail", "GET", "/api/v1/messages/evil-1", "", nil},
		{"read a body", "GET", "/api/v1/messages/evil-1/body.html", "", nil},
		{"the page", "GET", "/", "", []string{"Accept", "text/html"}},
		{"the report", "GET", "/api/v1/reports?format=html", "", nil},
		{"edit rules", "PUT", "/api/v1/sink/rules", `{"yaml":"rules: []\n"}`, []string{"Origin", "http://" + evil}},
		{"retry", "POST", "/api/v1/queue/order-2/retry", "", []string{"Origin", "http://" + evil}},
		{"websocket", "GET", "/api/v1/events/stream?after=0", "", []string{"Origin", "http://" + evil, "Connection", "Upgrade", "Upgrade", "websocket",
			"Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}},
	} {
		code, body := doHost(t, tc.method, ts.url+tc.path, evil, tc.body, tc.hdr...)
		if code != http.StatusForbidden {
			t.Errorf("%s with Host %s: got %d %.200s, want 403", tc.name, evil, code, body)
			continue
		}
		e := wantAPIError(t, body)
		for _, w := range []string{"rebind.attacker.test", "DNS rebinding", "web.allowed_origins", "web.token"} {
			if !strings.Contains(e.Error+" "+e.Detail, w) {
				t.Errorf("%s: the refusal %s does not say %q", tc.name, body, w)
			}
		}
	}
	if got, _ := sink.Rules(t.Context()); got.YAML == "rules: []\n" {
		t.Errorf("the rules were replaced through a rebound name")
	}
	relay.mu.Lock()
	retried := len(relay.retried)
	relay.mu.Unlock()
	if retried != 0 {
		t.Errorf("a retry went through a rebound name")
	}
}

// TestLoopbackHostsServed: the names of loopback, IP addresses and the
// hosts of web.allowed_origins are served; health checks answer any name.
func TestLoopbackHostsServed(t *testing.T) {
	t.Parallel()
	relay, sink, probe := filledFakes()
	ts := startServer(t, Options{Relay: relay, Sink: sink, Probe: probe, AllowedOrigins: []string{"https://ui.example:8443"}})
	port := ts.url[strings.LastIndex(ts.url, ":")+1:]
	for _, tc := range []struct{ host, path string }{
		{"127.0.0.1:" + port, "/api/v1/messages/evil-1"},
		{"localhost:" + port, "/api/v1/messages/evil-1"},
		{"LocalHost:" + port, "/api/v1/messages/evil-1"},
		{"relaylab.localhost:" + port, "/api/v1/messages/evil-1"},
		{"[::1]:" + port, "/api/v1/messages/evil-1"},
		{"192.0.2.7:" + port, "/api/v1/messages/evil-1"},
		{"localhost", "/"},
		{"ui.example:8443", "/api/v1/messages/evil-1"},
		{"rebind.attacker.test:" + port, "/healthz"},
		{"rebind.attacker.test:" + port, "/readyz"},
	} {
		if code, body := doHost(t, "GET", ts.url+tc.path, tc.host, ""); code != http.StatusOK {
			t.Errorf("GET %s with Host %s: got %d %.200s, want 200", tc.path, tc.host, code, body)
		}
	}
}

// TestRebindingWithAuth: with credentials required, the Host is not
// checked: a rebound page has no credentials to send (the session cookie
// belongs to the real name), and a server reached by its own name works.
func TestRebindingWithAuth(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{Auth: Auth{Token: "s3cret"}})
	u, err := url.Parse(ts.url)
	if err != nil {
		t.Fatal(err)
	}
	host := "relaylab.example.net:" + u.Port()
	if code, body := doHost(t, "GET", ts.url+"/api/v1/events", host, ""); code != http.StatusUnauthorized {
		t.Errorf("without credentials: got %d %s, want 401", code, body)
	}
	if code, body := doHost(t, "GET", ts.url+"/api/v1/events", host, "", "Authorization", "Bearer s3cret"); code != http.StatusOK {
		t.Errorf("with the token: got %d %s, want 200", code, body)
	}
}
