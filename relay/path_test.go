package relay

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

func TestSmarthostTLSAndAuth(t *testing.T) {
	t.Parallel()
	plain := startMTA(t, nil)
	starttls := startMTA(t, func(f *fakeMTA) { f.tls = true })
	implicit := startMTA(t, func(f *fakeMTA) { f.implicit = true })
	authed := startMTA(t, func(f *fakeMTA) { f.tls = true; f.users = map[string]string{"relay": "pw"} })
	tests := []struct {
		name     string
		mta      *fakeMTA
		path     PathConfig
		terminal string
		tls      bool
		category string
	}{
		{"none", starttls, PathConfig{TLS: "none"}, events.RelayDelivered, false, ""},
		{"opportunistic with STARTTLS", starttls, PathConfig{TLS: "opportunistic"}, events.RelayDelivered, true, ""},
		{"opportunistic, certificate refused: plaintext", starttls, PathConfig{TLS: "opportunistic", Verify: true}, events.RelayDelivered, false, ""},
		{"opportunistic without STARTTLS", plain, PathConfig{TLS: "opportunistic"}, events.RelayDelivered, false, ""},
		{"required without STARTTLS", plain, PathConfig{TLS: "required"}, events.RelayExpired, false, "tls-failure"},
		{"required", starttls, PathConfig{TLS: "required"}, events.RelayDelivered, true, ""},
		{"verify against an unknown CA", starttls, PathConfig{TLS: "required", Verify: true}, events.RelayExpired, false, "tls-failure"},
		{"implicit", implicit, PathConfig{TLS: "implicit"}, events.RelayDelivered, true, ""},
		{"auth plain", authed, PathConfig{TLS: "required", Username: "relay", Password: "pw"}, events.RelayDelivered, true, ""},
		// A 535 refuses the path's password, not the message: it is kept
		// for the next attempt (here the policy allows none), never
		// bounced at once.
		{"auth wrong password", authed, PathConfig{TLS: "required", Username: "relay", Password: "nope"}, events.RelayExpired, true, "credentials-refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(tt.mta.addr)
			cfg.Retry.MaxAttempts = 1
			p := tt.path
			p.Name, p.Host, p.Helo = "primary", tt.mta.addr, "out.relay.test"
			cfg.Paths = []PathConfig{p}
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("", "x@r.test")
			h.runUntil("done", h.done(id, 1))
			evs := h.events(events.Filter{Message: id})
			last := evs[len(evs)-1]
			if last.Kind != tt.terminal {
				t.Fatalf("ended %s (%s), want %s", last.Kind, last.Payload, tt.terminal)
			}
			if tt.category != "" {
				p := payload(t, last)
				if c := p["last_category"]; c != tt.category && p["category"] != tt.category {
					t.Errorf("category %v/%v, want %s (%s)", c, p["category"], tt.category, last.Payload)
				}
			}
			att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
			if len(att) != 1 {
				t.Fatalf("%d attempts", len(att))
			}
			ap := payload(t, att[0])
			if gotTLS := ap["tls"] != ""; gotTLS != tt.tls {
				t.Errorf("attempt TLS %q, want TLS %v", ap["tls"], tt.tls)
			}
			if tt.tls && ap["cipher"] == "" {
				t.Error("cipher not recorded")
			}
		})
	}
}

// TestRefusedCredentialsGoToTheNextPath: a 535 to the relay's own AUTH is
// about the path, not the message, so the route's next path delivers it at
// once and nothing bounces.
func TestRefusedCredentialsGoToTheNextPath(t *testing.T) {
	t.Parallel()
	authed := startMTA(t, func(f *fakeMTA) { f.tls = true; f.users = map[string]string{"relay": "pw"} })
	backup := startMTA(t, nil)
	cfg := testConfig(authed.addr)
	cfg.Paths[0].TLS, cfg.Paths[0].Username, cfg.Paths[0].Password = "required", "relay", "expired-password"
	cfg.Paths = append(cfg.Paths, PathConfig{Name: "backup", Host: backup.addr, TLS: "none"})
	cfg.Routes[0].Paths = []string{"primary", "backup"}
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("delivery", h.done(id, 1))
	att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
	if len(att) != 2 || att[0].Path != "primary" || att[1].Path != "backup" {
		t.Fatalf("attempts %v, want primary then backup", att)
	}
	if rep, _ := payload(t, att[0])["reply"].(map[string]any); rep["code"] != 535.0 || rep["stage"] != "auth" {
		t.Errorf("first attempt's reply %v, want the 535 at auth", rep)
	}
	if d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered}}); len(d) != 1 || d[0].Path != "backup" {
		t.Errorf("delivered %v, want once over backup", d)
	}
	if b := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}}); len(b) != 0 {
		t.Errorf("bounced %v after a refused password", b)
	}
}

// TestStageTimeout: a server that accepts and never greets is given up on
// after the command timeout, and the recipient is deferred, not bounced.
func TestStageTimeout(t *testing.T) {
	t.Parallel()
	addr := serveLoopback(t, func(net.Conn) { <-t.Context().Done() }) // silent until the test ends
	cfg := testConfig(addr)
	cfg.Paths[0].CommandTimeout = dur(200 * time.Millisecond)
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("", "x@r.test")
	h.runUntil("deferral", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) == 1
	})
	d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})[0]
	p := payload(t, d)
	rep, _ := p["reply"].(map[string]any)
	if rep["stage"] != "greeting" || !strings.Contains(rep["text"].(string), "timeout") {
		t.Errorf("deferral %s: want a greeting timeout", d.Payload)
	}
}
