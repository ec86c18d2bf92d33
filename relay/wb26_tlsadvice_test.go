package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestRequiredTLSWithPasswordNoStartTLSAdvice: a tls: required path with a
// username and password to a server that offers no STARTTLS (Postfix's
// smtp-sink, a plain port 25) must not be told to switch to tls:
// opportunistic: with a password that path does not fall back to
// plaintext either (RFC 4954 14), so the advice would lead to the same
// failure. The reply says the path has a password, and the advice says
// what does work.
func TestRequiredTLSWithPasswordNoStartTLSAdvice(t *testing.T) {
	t.Parallel()
	addr, _ := scripted(t, func(cmd string) string {
		u := strings.ToUpper(cmd)
		switch {
		case strings.HasPrefix(u, "EHLO"):
			return "250-scripted.test\r\n250 AUTH PLAIN LOGIN"
		case u == "DATA":
			return "354 go on"
		}
		return "250 ok"
	})
	cfg := testConfig(addr)
	cfg.Paths[0].TLS, cfg.Paths[0].Username, cfg.Paths[0].Password = "required", "u", "secret"
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@x.test", "b@y.test")
	h.runUntil("an attempt", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})) > 0
	})
	att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
	rep, _ := payload(t, att[0])["reply"].(map[string]any)
	text, _ := rep["text"].(string)
	if rep["stage"] != "starttls" || !strings.Contains(text, "does not offer STARTTLS") || !strings.Contains(text, "password") {
		t.Fatalf("reply %v, want stage starttls saying STARTTLS is not offered and that the path has a password", rep)
	}
	v := builtinVerdict(t, Reply{Stage: "starttls", Text: text})
	if v.Category != "tls-failure" || v.Disposition == Bounce {
		t.Errorf("verdict %+v, want tls-failure, retried", v)
	}
	if strings.Contains(v.Advice, "tls: opportunistic on the path if plaintext is acceptable") || !strings.Contains(v.Advice, "remove username and password") {
		t.Errorf("advice %q: want no bare switch to tls: opportunistic (a path with a password never falls back), and to remove the credentials if the server needs none", v.Advice)
	}
	if got := transientStatus(Reply{Stage: "starttls", Text: text}, v.Category); got != "4.7.4" {
		t.Errorf("DSN status %q, want 4.7.4 (security features not supported), as without a password", got)
	}
}
