package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// homeRoute sends mail for s.test (the senders' domain, so their DSNs)
// through a smarthost at addr, and the rest direct to MX.
func homeRoute(addr string) func(*Config) {
	return func(c *Config) {
		c.Paths = append(c.Paths, PathConfig{Name: "home", Host: addr, TLS: "none"})
		c.Routes = append([]RouteConfig{{Name: "home", Recipients: []string{"s.test"}, Paths: []string{"home"}}}, c.Routes...)
	}
}

// TestDNSFailures: a domain that does not exist (NXDOMAIN) or has no MX
// and no address bounces at once with the relay's own 5xx, its own
// category, a suppression and a DSN; SERVFAIL, REFUSED and a timeout are
// temporary (4.4.3) and deferred.
func TestDNSFailures(t *testing.T) {
	t.Parallel()
	home := startMTA(t, nil)
	h, d := mxHarness(t, nil, homeRoute(home.addr))
	d.mu.Lock()
	d.to[home.addr] = home.addr
	d.mu.Unlock()
	tests := []struct {
		rcpt     string
		terminal string // "" : deferred, not finished
		enhanced string
		category string
	}{
		{"u@nosuch.mx.test", events.RelayBounced, "5.1.2", "no-such-domain"},
		{"u@noaddr.mx.test", events.RelayBounced, "5.4.4", "no-such-domain"},
		{"u@broken.mx.test", "", "4.4.3", "dns-failure"},
		{"u@refused.mx.test", "", "4.4.3", "dns-failure"},
		{"u@slow.mx.test", "", "4.4.3", "dns-failure"},
		{"u@dangling.mx.test", "", "4.4.4", "dns-failure"},
	}
	for _, tt := range tests {
		start := h.v.Now()
		id := h.enqueue("a@s.test", tt.rcpt)
		var last events.Event
		h.runUntil(tt.rcpt, func() bool {
			evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced, events.RelayDeferred, events.RelayExpired}})
			if len(evs) > 0 {
				last = evs[0]
			}
			return len(evs) > 0
		})
		p := payload(t, last)
		rep, _ := p["reply"].(map[string]any)
		if tt.terminal == "" {
			if last.Kind != events.RelayDeferred || p["category"] != tt.category || rep["enhanced"] != tt.enhanced || rep["code"] != 0.0 {
				t.Errorf("%s: %s %v, want deferred, %s, reply without a code and %s", tt.rcpt, last.Kind, p, tt.category, tt.enhanced)
			}
			continue
		}
		if last.Kind != tt.terminal || last.Time != start || p["category"] != tt.category || p["suppressed"] != true ||
			rep["code"] != 550.0 || rep["enhanced"] != tt.enhanced {
			t.Errorf("%s: %s at +%v %v, want %s at once, %s, 550 %s, suppressed", tt.rcpt, last.Kind, last.Time.Sub(start), p, tt.terminal, tt.category, tt.enhanced)
		}
		if reason, _ := p["reason"].(string); !strings.Contains(reason, "domain") || !strings.Contains(p["advice"].(string), "typo") {
			t.Errorf("%s: reason %q advice %q, want them to name the domain and a typo", tt.rcpt, reason, p["advice"])
		}
		if n := len(h.attemptTimes(id, tt.rcpt)); n != 0 {
			t.Errorf("%s: %d attempts, want none", tt.rcpt, n)
		}
		sup, err := h.r.Suppressions(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range sup {
			found = found || (s.Address == tt.rcpt && s.Category == tt.category)
		}
		if !found {
			t.Errorf("%s: not suppressed as %s: %+v", tt.rcpt, tt.category, sup)
		}
		dsns := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})
		if len(dsns) != 1 || payload(t, dsns[0])["status"] != tt.enhanced {
			t.Fatalf("%s: DSN events %v, want one with status %s", tt.rcpt, dsns, tt.enhanced)
		}
		dsnID := payload(t, dsns[0])["dsn_message"].(string)
		h.runUntil("the DSN", h.done(dsnID, 1))
	}
	var parsed int
	for _, m := range home.received() {
		p, err := dsn.Parse(m.data)
		if err != nil {
			t.Fatal(err)
		}
		rc := p.Report.Recipients[0]
		if rc.Action != dsn.ActionFailed || !strings.HasPrefix(rc.Status, "5.") {
			t.Errorf("DSN recipient %+v, want failed 5.x", rc)
		}
		// The relay's own verdict: no smtp diagnostic, no Remote-MTA
		// (RFC 3464 2.3.5, 2.3.6).
		if raw := string(m.data); !strings.Contains(raw, "\r\nDiagnostic-Code: X-Relaylab; the recipient's domain") ||
			strings.Contains(raw, "Remote-MTA") || strings.Contains(raw, "smtp;") {
			t.Errorf("DSN for %s claims a remote reply:\n%s", rc.FinalRecipient, raw)
		}
		parsed++
	}
	if parsed != 2 {
		t.Errorf("%d DSNs reached the sender, want 2", parsed)
	}
	for _, a := range d.asked {
		if a != home.addr {
			t.Errorf("dialled %s: no domain here has a server", a)
		}
	}
}
