package relay

import (
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// TestCredentialsRefuseTLSNone: a path with a username and tls: none would
// send its password in the clear (RFC 4954 14, RFC 4616 6), so the
// configuration is refused at the path's tls key, saying what to set.
func TestCredentialsRefuseTLSNone(t *testing.T) {
	t.Parallel()
	const path = "relay:\n  paths:\n    - {name: p, host: 'smtp.example.test:587', username: u, password: p"
	f := &fileWithRelay{Relay: DefaultConfig()}
	err := config.Decode("relaylab.yaml", []byte(path+", tls: none}\n"), f)
	if err == nil || !strings.Contains(err.Error(), "relaylab.yaml:3:") || !strings.Contains(err.Error(), "relay.paths[0].tls:") ||
		!strings.Contains(err.Error(), "only over TLS") || !strings.Contains(err.Error(), "tls: required") {
		t.Errorf("error %v, want the line and key relay.paths[0].tls, why, and what to set", err)
	}
	for _, tlsMode := range []string{"", ", tls: opportunistic", ", tls: required", ", tls: implicit"} {
		f := &fileWithRelay{Relay: DefaultConfig()}
		if err := config.Decode("relaylab.yaml", []byte(path+tlsMode+"}\n"), f); err != nil {
			t.Errorf("%q: %v", tlsMode, err)
		}
	}
}

// TestOpportunisticWithCredentialsDoesNotFallBack: on a tls: opportunistic
// path with credentials, a STARTTLS that the server refuses (or does not
// offer) does not fall back to plaintext, where AUTH PLAIN would carry the
// password in the clear: the attempt fails at stage starttls, classified
// tls-failure with a reason that says why, nothing else is sent on that
// server, and the route's next path takes the message.
func TestOpportunisticWithCredentialsDoesNotFallBack(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, ehlo, want string }{
		{"refused 454", "250-scripted.test\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS", "STARTTLS was refused with 454 4.7.0"},
		{"not offered", "250-scripted.test\r\n250 AUTH PLAIN LOGIN", "does not offer STARTTLS"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var cmds []string
			addr, conns := scripted(t, func(cmd string) string {
				u := strings.ToUpper(cmd)
				mu.Lock()
				cmds = append(cmds, strings.Fields(u + " x")[0])
				mu.Unlock()
				switch {
				case strings.HasPrefix(u, "EHLO"):
					return tt.ehlo
				case u == "STARTTLS":
					return "454 4.7.0 TLS not available"
				case strings.HasPrefix(u, "AUTH"):
					return "235 2.7.0 ok"
				case u == "DATA":
					return "354 go on"
				}
				return "250 ok"
			})
			backup := startMTA(t, nil)
			cfg := testConfig(addr)
			cfg.Paths[0].TLS, cfg.Paths[0].Username, cfg.Paths[0].Password = "opportunistic", "u", "secret"
			cfg.Paths = append(cfg.Paths, PathConfig{Name: "backup", Host: backup.addr, TLS: "none"})
			cfg.Routes[0].Paths = []string{"primary", "backup"}
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("a@x.test", "b@y.test")
			h.runUntil("a terminal event", h.done(id, 1))
			if got := h.terminal(id)["b@y.test"]; len(got) != 1 || got[0] != events.RelayDelivered || len(backup.received()) != 1 {
				t.Fatalf("terminal events %v, backup got %d, want delivered by the backup path", got, len(backup.received()))
			}
			if n := conns.Load(); n != 1 {
				t.Errorf("%d connections to the primary, want 1 (no plaintext fallback)", n)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, c := range cmds {
				if c == "AUTH" || c == "MAIL" {
					t.Errorf("the primary got %s without TLS: %v", c, cmds)
				}
			}
			att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
			if len(att) != 2 || att[0].Path != "primary" || att[1].Path != "backup" {
				t.Fatalf("attempts %v, want primary then backup", att)
			}
			p := payload(t, att[0])
			rep, _ := p["reply"].(map[string]any)
			text, _ := rep["text"].(string)
			if rep["stage"] != "starttls" || !strings.Contains(text, "the path has a password, and the relay sends it only over TLS") || !strings.Contains(text, tt.want) {
				t.Errorf("reply %v, want stage starttls saying why and %q", rep, tt.want)
			}
			if tr, _ := p["transcript"].(string); strings.Contains(tr, "C: AUTH") || strings.Contains(tr, "plaintext, as tls: opportunistic allows") {
				t.Errorf("transcript shows a plaintext fallback:\n%s", tr)
			}
			v := builtinVerdict(t, Reply{Stage: "starttls", Text: text})
			if v.Category != "tls-failure" || v.Disposition == Bounce || !strings.Contains(v.Reason, "password") || !strings.Contains(v.Advice, "remove username") {
				t.Errorf("verdict %+v, want tls-failure, not bounced, a reason about the password and advice", v)
			}
		})
	}
}

// implicitTLSServer serves fn over TLS from the first byte (tls:
// implicit) on a loopback listener, with a self-signed certificate.
func implicitTLSServer(t *testing.T, fn func(net.Conn)) string {
	t.Helper()
	cert, err := selfSigned("scripted.test")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	return serveLoopback(t, func(c net.Conn) { fn(tls.Server(c, cfg)) })
}
