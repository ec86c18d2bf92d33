package relay

import (
	"testing"
)

// TestDiagnostic: only a reply a server sent is an smtp diagnostic with a
// Remote-MTA; what the relay made up or met without a reply is
// X-Relaylab, with a Remote-MTA only when a session with the server broke
// off (RFC 3464 2.3.5, 2.3.6).
func TestDiagnostic(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		o          outcome
		remote     string
		diagnostic string
	}{
		{"server's 550", outcome{host: "mx.r.test", reply: Reply{Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "no such\nuser"}},
			"mx.r.test", "smtp; 550 5.1.1 no such user"},
		{"smarthost's 451, port dropped", outcome{host: "127.0.0.1:2525", reply: Reply{Stage: "mail", Code: 451, Enhanced: "4.3.0", Text: "busy"}},
			"127.0.0.1", "smtp; 451 4.3.0 busy"},
		{"null MX", outcome{reply: Reply{Stage: "dns", Code: 556, Enhanced: "5.1.10", Local: true, Text: "x.test publishes a null MX"}},
			"", "X-Relaylab; x.test publishes a null MX"},
		{"no such domain", outcome{host: "", reply: noSuchDomain("typo.test")},
			"", "X-Relaylab; " + noSuchDomain("typo.test").Text},
		{"no SMTPUTF8 upstream", outcome{host: "mx.r.test", reply: Reply{Stage: "mail", Code: 553, Enhanced: "5.6.7", Local: true, Text: "no SMTPUTF8"}},
			"", "X-Relaylab; no SMTPUTF8 (server mx.r.test)"},
		{"connection refused", outcome{host: "mx.r.test", reply: Reply{Stage: "connect", Text: "dial tcp: connection refused"}},
			"", "X-Relaylab; while connecting: dial tcp: connection refused"},
		{"dns failure", outcome{host: "", reply: Reply{Stage: "dns", Enhanced: "4.4.3", Text: "MX lookup for x.test: SERVFAIL"}},
			"", "X-Relaylab; MX lookup for x.test: SERVFAIL"},
		{"held back, not tried", outcome{host: "mx.r.test", reply: Reply{Stage: "shaping", Text: "rests until noon"}},
			"", "X-Relaylab; rests until noon"},
		{"timeout after the dot", outcome{host: "mx.r.test", reply: Reply{Stage: "dot", Text: "reading the reply: i/o timeout"}},
			"mx.r.test", "X-Relaylab; after the final dot: reading the reply: i/o timeout"},
		{"timeout at RCPT", outcome{host: "mx.r.test:25", reply: Reply{Stage: "rcpt", Text: "reading the reply: i/o timeout"}},
			"mx.r.test", "X-Relaylab; at RCPT TO: reading the reply: i/o timeout"},
	} {
		remote, diag := diagnostic(tt.o)
		if remote != tt.remote || diag != tt.diagnostic {
			t.Errorf("%s: Remote-MTA %q, Diagnostic-Code %q; want %q, %q", tt.name, remote, diag, tt.remote, tt.diagnostic)
		}
	}
}
