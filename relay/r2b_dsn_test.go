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

// TestR2BNullMXSuppressed: a recipient whose domain publishes a null MX
// (RFC 7505) bounces at once, as an NXDOMAIN does, and its address is
// suppressed (relay/README.md: "DNS answers that say a recipient's domain
// cannot receive mail bounce at once, suppress the address"); the DSN says
// that the domain accepts no mail, so that the address cannot work, and
// not to send the message again later.
func TestR2BNullMXSuppressed(t *testing.T) {
	t.Parallel()
	home := startMTA(t, nil)
	h, d := mxHarness(t, nil, homeRoute(home.addr))
	d.mu.Lock()
	d.to[home.addr] = home.addr
	d.mu.Unlock()
	id := h.enqueue("a@s.test", "u@nullmx.mx.test")
	p := dsnOf(t, h, id, dsn.ActionFailed)
	bounced := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}})
	if len(bounced) != 1 {
		t.Fatalf("%d bounces, want 1", len(bounced))
	}
	if pl := payload(t, bounced[0]); pl["category"] != "no-such-domain" || pl["suppressed"] != true {
		t.Errorf("bounce payload %v: want category no-such-domain and suppressed, as for NXDOMAIN", pl)
	}
	sups, err := h.r.Suppressions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(sups) != 1 || sups[0].Address != "u@nullmx.mx.test" {
		t.Errorf("suppressions %+v, want u@nullmx.mx.test", sups)
	}
	if rc := p.Report.Recipients[0]; rc.Status != "5.1.10" {
		t.Errorf("Status %q, want 5.1.10 (RFC 7505 4.2)", rc.Status)
	}
	checkText(t, "null MX", p.Explanation,
		[]string{"publishes that it accepts no mail", "RFC 7505", "what to do: the address cannot receive mail: remove it from your list, or ask the recipient for another address"},
		[]string{"send the message again later", "check the address"})
}

// scriptedAuthServer is a TLS server that refuses every AUTH with 535
// 5.7.8, as a smarthost does to a wrong password.
func scriptedAuthServer(t *testing.T) string {
	t.Helper()
	return implicitTLSServer(t, func(c net.Conn) {
		tc := textproto.NewConn(c)
		commandLoop(tc, "220 auth.test ESMTP", func(verb string) bool {
			switch verb {
			case "EHLO":
				tc.PrintfLine("250-auth.test")
				tc.PrintfLine("250 AUTH PLAIN")
			case "AUTH":
				tc.PrintfLine("535 5.7.8 Authentication credentials invalid")
			case "QUIT":
				tc.PrintfLine("221 bye")
				return true
			default:
				tc.PrintfLine("250 2.0.0 ok")
			}
			return false
		})
	})
}

// TestR2BDelayStatus: a delay warning's Status is what the last attempt
// met (RFC 3463), not 4.4.7, "delivery time expired", while the message
// has time left: a refused connection is 4.4.1 (no answer from host), a
// hold of the relay's shaping 4.4.5 (congestion), a 535 5.7.8 to the
// path's own AUTH 4.7.8. The warning whose recipient warnDelayed's scan
// found (delay_warning between two attempts) and the one written with a
// deferral say the same. A refused connection names the host and the
// address it dialled, as Postfix does.
func TestR2BDelayStatus(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		harness   func(t *testing.T) *harness
		rcpt      string
		status    string
		diagnosis string
	}{
		{"mx refused, scanned", func(t *testing.T) *harness {
			h, _ := mxHarness(t, nil, func(c *Config) { c.DSN.DelayWarning = dur(2 * time.Minute) })
			return h
		}, "u@shared-a.mx.test", "4.4.1", "X-Relaylab; connect to mx1.mx.test[192.0.2.1]:25: connection refused"},
		{"smarthost refused, with the deferral", func(t *testing.T) *harness {
			cfg := testConfig(closedAddr(t))
			cfg.DSN.DelayWarning = dur(time.Minute)
			return newHarness(t, cfg, Options{})
		}, "b@r.test", "4.4.1", "X-Relaylab; connect to 127.0.0.1[127.0.0.1]:"},
		{"held by a window", func(t *testing.T) *harness {
			cfg := testConfig(closedAddr(t))
			cfg.DSN.DelayWarning = dur(time.Minute)
			cfg.Routes[0].Windows = []string{"03:00-04:00"}
			return newHarness(t, cfg, Options{})
		}, "b@r.test", "4.4.5", "X-Relaylab; outside the sending windows"},
		{"535 to the path's AUTH, scanned", func(t *testing.T) *harness {
			cfg := testConfig(scriptedAuthServer(t))
			cfg.Paths[0].TLS, cfg.Paths[0].Username, cfg.Paths[0].Password = "implicit", "relay", "wrong"
			cfg.DSN.DelayWarning = dur(2 * time.Minute)
			return newHarness(t, cfg, Options{})
		}, "b@r.test", "4.7.8", "535 5.7.8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := tt.harness(t)
			id := h.enqueue("a@s.test", tt.rcpt)
			rc := dsnOf(t, h, id, dsn.ActionDelayed).Report.Recipients[0]
			if rc.Status != tt.status || !strings.HasPrefix(rc.DiagnosticCode, tt.diagnosis) {
				t.Errorf("delay warning Status %q, Diagnostic-Code %q; want %q and %q...", rc.Status, rc.DiagnosticCode, tt.status, tt.diagnosis)
			}
			if rc.WillRetryUntil.IsZero() || !rc.WillRetryUntil.After(h.v.Now()) {
				t.Errorf("Will-Retry-Until %v: want a time after now (%v)", rc.WillRetryUntil, h.v.Now())
			}
		})
	}
}

// TestR2BExpiryStatus: a recipient the policy gave up on for its number
// of attempts reports what its last attempt met (a refused connection:
// 4.4.1); one whose message outlived max_age reports 4.4.7, delivery time
// expired (RFC 3463 3.5).
func TestR2BExpiryStatus(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		retry  func(*RetryConfig)
		status string
	}{
		{"max_attempts", func(r *RetryConfig) { r.MaxAttempts = 2 }, "4.4.1"},
		{"max_age", func(r *RetryConfig) { r.MaxAge = dur(3 * time.Minute) }, "4.4.7"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(closedAddr(t))
			tt.retry(&cfg.Retry)
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("a@s.test", "b@r.test")
			rc := dsnOf(t, h, id, dsn.ActionFailed).Report.Recipients[0]
			if rc.Status != tt.status {
				t.Errorf("failure after expiry: Status %q, want %q", rc.Status, tt.status)
			}
		})
	}
}

// TestR2BOwnSideDSN: when the smarthost refuses the path's own password
// (535 5.7.8) until the message expires, the DSN does not have the
// sender check the address (no server judged it) but says that the
// relay's operator must fix the path, and what.
func TestR2BOwnSideDSN(t *testing.T) {
	t.Parallel()
	cfg := testConfig(scriptedAuthServer(t))
	cfg.Hostname = "relay.s.test"
	cfg.Paths[0].TLS, cfg.Paths[0].Username, cfg.Paths[0].Password = "implicit", "relay", "wrong"
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	p := dsnOf(t, h, id, dsn.ActionFailed)
	checkText(t, "535 until expiry", p.Explanation,
		[]string{"535 5.7.8", "not for anything about the recipient's address", "the operator of relay.s.test must fix its path primary: check the path's username and password"},
		[]string{"check the address", "receiving side has been failing"})
}
