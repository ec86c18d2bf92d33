package relay

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestQuitAfterRefusedSession: when the server refuses EHLO (and HELO) or
// AUTH, the relay ends the session with QUIT (RFC 5321 4.1.1.10: the
// client SHOULD), instead of dropping the connection without a word.
func TestQuitAfterRefusedSession(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, refuse string }{
		{"ehlo", "EHLO"},
		{"auth", "AUTH"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var got []string
			serve := serveLoopback
			if tt.refuse == "AUTH" {
				serve = implicitTLSServer // credentials go only over TLS
			}
			addr := serve(t, func(c net.Conn) {
				r := bufio.NewReader(c)
				c.Write([]byte("220 strict.test ESMTP\r\n"))
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.ToUpper(strings.Fields(line + " x")[0])
					mu.Lock()
					got = append(got, cmd)
					mu.Unlock()
					switch {
					case cmd == "QUIT":
						c.Write([]byte("221 2.0.0 bye\r\n"))
						return
					case cmd == tt.refuse || (tt.refuse == "EHLO" && cmd == "HELO"):
						c.Write([]byte("550 5.7.1 not you\r\n"))
					case cmd == "EHLO":
						c.Write([]byte("250-strict.test\r\n250 AUTH PLAIN\r\n"))
					default:
						c.Write([]byte("250 ok\r\n"))
					}
				}
			})
			cfg := testConfig(addr)
			if tt.refuse == "AUTH" {
				cfg.Paths[0].TLS, cfg.Paths[0].Username, cfg.Paths[0].Password = "implicit", "user", "secret"
			}
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("a@s.test", "u@r.test")
			h.runUntil("an outcome", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})) > 0
			})
			att := h.firstAttempt(t, id)
			tr, _ := att[0]["transcript"].(string)
			if !strings.Contains(tr, "C: QUIT") || !strings.Contains(tr, "S: 221 2.0.0 bye") {
				t.Errorf("transcript without the QUIT and its reply:\n%s", tr)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) == 0 || got[len(got)-1] != "QUIT" {
				t.Errorf("server got %v, want QUIT last", got)
			}
		})
	}
}
