package relay

import (
	"context"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// A delay warning's Status is of class 4 (RFC 3464 2.3.4, RFC 3463 3.1)
// whatever the last reply was: a 535 5.7.8 to the path's own AUTH is
// retried, and the warning said "Action: delayed" with "Status: 5.7.8".
// The Diagnostic-Code keeps the server's words.
func TestDelayWarningStatusIsTransient(t *testing.T) {
	t.Parallel()
	addr := implicitTLSServer(t, func(c net.Conn) {
		tc := textproto.NewConn(c)
		commandLoop(tc, "220 auth.test ESMTP", func(verb string) bool {
			switch verb {
			case "EHLO":
				tc.PrintfLine("250-auth.test")
				tc.PrintfLine("250 AUTH PLAIN")
			case "AUTH":
				tc.PrintfLine("535 5.7.8 bad credentials")
			case "QUIT":
				tc.PrintfLine("221 bye")
				return true
			default:
				tc.PrintfLine("250 2.0.0 ok")
			}
			return false
		})
	})
	cfg := testConfig(addr)
	cfg.Paths[0].TLS, cfg.Paths[0].Username, cfg.Paths[0].Password = "implicit", "relay", "wrong"
	cfg.DSN.DelayWarning = dur(2 * time.Minute)
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("alice@s.test", "b@r.test")
	h.runUntil("a delay warning", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})) > 0
	})
	e := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})[0]
	m, err := h.r.Message(context.Background(), payload(t, e)["dsn_message"].(string))
	if err != nil {
		t.Fatal(err)
	}
	p, err := dsn.Parse(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	rc := p.Report.Recipients[0]
	if rc.Action != dsn.ActionDelayed || !strings.HasPrefix(rc.Status, "4.") || !strings.Contains(rc.DiagnosticCode, "535 5.7.8") {
		t.Errorf("delay warning Action %q Status %q Diagnostic-Code %q, want delayed, a 4.x.x status and the server's 535 5.7.8", rc.Action, rc.Status, rc.DiagnosticCode)
	}
}
