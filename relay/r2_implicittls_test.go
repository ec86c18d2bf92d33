package relay

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestPlaintextPathToImplicitTLSPort: a path that starts in plaintext
// (tls: required here) pointed at a port that speaks TLS from the first
// byte gets no greeting, or a TLS record; the deferral says the port may
// expect implicit TLS (465), the reverse of TestImplicitTLSToPlaintextPort,
// where it said only "greeting: ... i/o timeout" with category connection
// and no hint.
func TestPlaintextPathToImplicitTLSPort(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, sends, wantText, wantCategory string
	}{
		// A TLS server waits for the ClientHello and says nothing.
		{"silent", "", "no greeting within 200ms", "connection"},
		// One that answers with an alert record (RFC 8446 6) at once.
		{"alert", "\x15\x03\x03\x00\x02\x02\x0a", "sent a TLS record", "tls-failure"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := serveLoopback(t, func(c net.Conn) {
				if tt.sends != "" {
					c.Write([]byte(tt.sends))
				}
				<-t.Context().Done() // then silent until the test ends
			})
			cfg := testConfig(addr)
			cfg.Paths[0].TLS = "required"
			cfg.Paths[0].CommandTimeout = dur(200 * time.Millisecond)
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("", "x@r.test")
			h.runUntil("deferral", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) == 1
			})
			d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})[0]
			rep, _ := payload(t, d)["reply"].(map[string]any)
			text, _ := rep["text"].(string)
			if rep["stage"] != "greeting" || !strings.Contains(text, tt.wantText) || !strings.Contains(text, "tls: implicit") ||
				!strings.Contains(text, "465") {
				t.Fatalf("deferral %s: want stage greeting, a text with %q naming tls: implicit and port 465", d.Payload, tt.wantText)
			}
			v := builtinVerdict(t, Reply{Stage: "greeting", Text: text})
			if v.Category != tt.wantCategory || v.Disposition != Retry || !strings.Contains(v.Reason, "TLS from the first byte") ||
				!strings.Contains(v.Advice, "tls: implicit") || !strings.Contains(v.Advice, "465") {
				t.Errorf("verdict %+v: want %s, retried, a reason naming implicit TLS and advice to set tls: implicit (465)", v, tt.wantCategory)
			}
		})
	}
	// A greeting that times out over TLS (tls: implicit) is not this.
	v := builtinVerdict(t, Reply{Stage: "greeting", Text: "reading the reply: read tcp: i/o timeout"})
	if strings.Contains(v.Advice, "tls: implicit") {
		t.Errorf("a plain greeting timeout got the implicit-TLS advice: %+v", v)
	}
}
