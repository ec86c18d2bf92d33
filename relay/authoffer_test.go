package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestAuthNotOffered: a path with credentials to a server whose EHLO lists
// no AUTH (here not even after STARTTLS) does not send AUTH at all; the
// attempt fails at stage auth with the relay's own failure that says so,
// classified auth-not-offered (not the path's password), and the route's
// next path delivers the message.
func TestAuthNotOffered(t *testing.T) {
	t.Parallel()
	authed := startMTA(t, func(f *fakeMTA) { f.tls = true })
	backup := startMTA(t, nil)
	cfg := testConfig(authed.addr)
	cfg.Paths[0].TLS, cfg.Paths[0].Username, cfg.Paths[0].Password = "required", "relay", "pw"
	cfg.Paths = append(cfg.Paths, PathConfig{Name: "backup", Host: backup.addr, TLS: "none"})
	cfg.Routes[0].Paths = []string{"primary", "backup"}
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("delivery", h.done(id, 1))
	att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
	if len(att) != 2 || att[0].Path != "primary" || att[1].Path != "backup" {
		t.Fatalf("attempts %v, want primary then backup", att)
	}
	p := payload(t, att[0])
	rep, _ := p["reply"].(map[string]any)
	text, _ := rep["text"].(string)
	if rep["stage"] != "auth" || rep["code"] != 0.0 || !strings.Contains(text, "does not offer AUTH") || !strings.Contains(text, "AUTH enabled") {
		t.Errorf("first attempt's reply %v, want the relay's own failure at auth with what to check", rep)
	}
	if tr, _ := p["transcript"].(string); strings.Contains(tr, "C: AUTH") {
		t.Errorf("AUTH sent to a server that does not offer it:\n%s", tr)
	}
	v := builtinVerdict(t, Reply{Stage: "auth", Text: text})
	if v.Category != "auth-not-offered" || v.Disposition != Reroute || strings.Contains(v.Advice, "username and password") {
		t.Errorf("verdict %+v, want auth-not-offered, reroute, advice not about the password", v)
	}
	if b := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}}); len(b) != 0 {
		t.Errorf("bounced %v", b)
	}
}

func builtinVerdict(t *testing.T, r Reply) Verdict {
	t.Helper()
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Classify(r)
}
