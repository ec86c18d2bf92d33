package relay

import (
	"reflect"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestMXAuthDemandTriesNextMX: on an mx path, an MX host that refuses
// the path rather than the message (530 at MAIL, RCPT or DATA: AUTH or
// STARTTLS first, RFC 4954 6 and RFC 3207 4; 535 to the path's AUTH)
// says nothing of the domain's other MX hosts: the next one is tried in
// the same attempt, as after a 4xx (RFC 5321 5.1) or a 5xx greeting.
// Before, the 530 (and the 535) ended the walk at the first MX host, and
// the recipient waited for the next attempt, or the route's next path,
// while mx2 would have taken it.
func TestMXAuthDemandTriesNextMX(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		mx1   func(*fakeMTA)
		cfg   func(*Config)
		stage string
		code  float64
	}{
		{"530 at MAIL", func(f *fakeMTA) { f.users = map[string]string{"u": "pw"} }, nil, "mail", 530},
		{"530 at RCPT", func(f *fakeMTA) {
			f.onRcpt = func(string) error {
				return smtpErr(530, smtp.EnhancedCode{5, 7, 0}, "Must issue a STARTTLS command first")
			}
		}, nil, "rcpt", 530},
		{"535 at AUTH", func(f *fakeMTA) { f.tls, f.users = true, map[string]string{"u": "other"} },
			func(c *Config) { c.Paths[0].Username, c.Paths[0].Password, c.Paths[0].TLS = "u", "pw", "required" }, "auth", 535},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mx2 := startMTA(t, func(f *fakeMTA) { f.tls, f.users = true, map[string]string{"u": "pw"} })
			if tt.cfg == nil {
				mx2 = startMTA(t, nil)
			}
			var tweaks []func(*Config)
			if tt.cfg != nil {
				tweaks = append(tweaks, tt.cfg)
			}
			h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": startMTA(t, tt.mx1), "192.0.2.2": mx2}, tweaks...)
			id := h.enqueue("a@s.test", "u@multi.mx.test")
			h.runUntil("an outcome", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) > 0 || len(h.terminal(id)) > 0
			})
			if want := []string{"192.0.2.1:25", "192.0.2.2:25"}; !reflect.DeepEqual(d.dialled(), want) {
				t.Errorf("dialled %v, want %v: mx1's refusal of the path, then mx2 in the same attempt", d.dialled(), want)
			}
			if got := h.terminal(id)["u@multi.mx.test"]; !reflect.DeepEqual(got, []string{events.RelayDelivered}) || len(mx2.received()) != 1 {
				t.Fatalf("terminal events %v, mx2 took %d messages; want delivery through mx2", got, len(mx2.received()))
			}
			att := h.firstAttempt(t, id)
			if len(att) != 2 {
				t.Fatalf("attempt 1 events %v, want mx1's and mx2's", att)
			}
			if rep, _ := att[0]["reply"].(map[string]any); rep["code"] != tt.code || rep["stage"] != tt.stage {
				t.Errorf("mx1's reply %v, want %v at %s", rep, tt.code, tt.stage)
			}
			if del := h.firstOutcome(t, id, events.RelayDelivered); del["attempts"] != float64(1) {
				t.Errorf("delivered after %v attempts, want 1 (the next MX host in the same attempt)", del["attempts"])
			}
		})
	}
}

// TestMXAuthDemandEveryHost: when every MX host demands AUTH, the
// recipient is deferred (the path is refused, not the message), with the
// last host's 530, never bounced.
func TestMXAuthDemandEveryHost(t *testing.T) {
	t.Parallel()
	auth := func(f *fakeMTA) { f.users = map[string]string{"u": "pw"} }
	h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": startMTA(t, auth), "192.0.2.2": startMTA(t, auth), "192.0.2.3": startMTA(t, auth)},
		func(c *Config) { n := 0; c.Paths[0].MaxMXSessions = &n })
	id := h.enqueue("a@s.test", "u@multi.mx.test")
	h.runUntil("a deferral", h.deferrals(id, 1))
	if len(d.dialled()) != 3 {
		t.Errorf("dialled %v, want all three MX hosts", d.dialled())
	}
	if got := h.terminal(id); len(got) != 0 {
		t.Fatalf("terminal events %v, want a deferral", got)
	}
	def := h.firstOutcome(t, id, events.RelayDeferred)
	if rep := def["reply"].(map[string]any); rep["code"] != float64(530) || def["host"] != "mx3.mx.test" || def["category"] != "credentials-refused" {
		t.Errorf("deferral %v, want mx3's 530 as credentials-refused", def)
	}
}
