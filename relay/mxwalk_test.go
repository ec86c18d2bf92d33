package relay

import (
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// greeter5xx is a server on 127.0.0.1 that greets with reply instead of
// 220 and then, as RFC 5321 3.1 asks of it, answers 503 to everything but
// QUIT.
func greeter5xx(t *testing.T, reply string) *fakeMTA {
	t.Helper()
	return &fakeMTA{addr: serveLoopback(t, func(c net.Conn) {
		smtptest.Converse(c, reply, func(string) string { return "503 5.5.1 bad sequence of commands" })
	})}
}

// firstAttempt returns the payloads of message id's relay.attempt events
// at attempt 1, in order.
func (h *harness) firstAttempt(t *testing.T, id string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}}) {
		if p := payload(t, e); p["attempt"] == float64(1) {
			out = append(out, p)
		}
	}
	return out
}

// firstOutcome returns the payload of message id's first event of kind.
func (h *harness) firstOutcome(t *testing.T, id, kind string) map[string]any {
	t.Helper()
	evs := h.events(events.Filter{Message: id, Kinds: []string{kind}})
	if len(evs) == 0 {
		t.Fatalf("no %s event; events: %+v", kind, h.events(events.Filter{Message: id}))
	}
	return payload(t, evs[0])
}

// TestMX5xxGreetingTriesNextMX: an MX host that greets with 554 is
// skipped for the next one in the same attempt (RFC 5321 3.1: it refuses
// the connection, not the message; Postfix's smtp_skip_5xx_greeting),
// instead of bouncing the message; the transcript says why, and the relay
// says QUIT as the server expects.
func TestMX5xxGreetingTriesNextMX(t *testing.T) {
	t.Parallel()
	mx1 := greeter5xx(t, "554 5.7.1 mx1.mx.test no service for 192.0.2.99")
	mx2 := startMTA(t, nil)
	h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": mx1, "192.0.2.2": mx2})
	id := h.enqueue("a@s.test", "u@multi.mx.test")
	h.runUntil("delivery", h.done(id, 1))
	if got := h.terminal(id)["u@multi.mx.test"]; !reflect.DeepEqual(got, []string{events.RelayDelivered}) {
		t.Fatalf("terminal events %v, want delivered at mx2 after mx1's 5xx greeting", got)
	}
	if want := []string{"192.0.2.1:25", "192.0.2.2:25"}; !reflect.DeepEqual(d.dialled(), want) {
		t.Errorf("dialled %v, want %v", d.dialled(), want)
	}
	att := h.firstAttempt(t, id)
	if len(att) != 2 || att[0]["host"] != "mx1.mx.test" || att[1]["host"] != "mx2.mx.test" {
		t.Fatalf("attempt 1 events %v, want mx1 then mx2", att)
	}
	rep := att[0]["reply"].(map[string]any)
	if rep["stage"] != "greeting" || rep["code"] != float64(554) || rep["enhanced"] != "5.7.1" {
		t.Errorf("mx1's attempt reply %v, want its 554 5.7.1 greeting", rep)
	}
	tr, _ := att[0]["transcript"].(string)
	for _, want := range []string{"S: 554 5.7.1 mx1.mx.test no service", "-- a 5xx greeting", "next MX host is tried", "C: QUIT"} {
		if !strings.Contains(tr, want) {
			t.Errorf("mx1's transcript lacks %q:\n%s", want, tr)
		}
	}
	if n := len(mx2.received()); n != 1 {
		t.Errorf("mx2 took %d messages, want 1", n)
	}
}

// TestMXAll5xxGreetingsDefer: when every MX host greets with 5xx the
// recipient is deferred, not bounced, with the relay's own reply saying
// so (class 4 of the last server's enhanced code, category
// greeting-refused, a reason and advice), and finally expires under the
// retry policy.
func TestMXAll5xxGreetingsDefer(t *testing.T) {
	t.Parallel()
	h, d := mxHarness(t, map[string]*fakeMTA{
		"192.0.2.1": greeter5xx(t, "554 no SMTP service here"),
		"192.0.2.2": greeter5xx(t, "550 5.7.0 go away"),
		"192.0.2.3": greeter5xx(t, "554 5.7.1 your IP is not welcome"),
	})
	id := h.enqueue("", "u@multi.mx.test")
	h.runUntil("the first deferral", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) > 0 || len(h.terminal(id)) > 0
	})
	if got := h.terminal(id); len(got) != 0 {
		t.Fatalf("terminal events %v after the first attempt, want a deferral", got)
	}
	if want := []string{"192.0.2.1:25", "192.0.2.2:25", "192.0.2.3:25"}; !reflect.DeepEqual(d.dialled(), want) {
		t.Errorf("dialled %v, want all three MX hosts in the first attempt", d.dialled())
	}
	def := h.firstOutcome(t, id, events.RelayDeferred)
	rep := def["reply"].(map[string]any)
	text, _ := rep["text"].(string)
	if rep["enhanced"] != "4.7.1" || rep["code"] != float64(0) || rep["local"] != true ||
		!strings.Contains(text, "every MX host tried (3) greeted with 5xx") || !strings.Contains(text, "mx3.mx.test: 554 5.7.1 your IP is not welcome") {
		t.Errorf("deferral reply %v, want the relay's own 4.7.1 naming all three greetings", rep)
	}
	if def["category"] != "greeting-refused" || !strings.Contains(def["reason"].(string), "5xx greeting") || def["advice"] == "" {
		t.Errorf("deferral %v, want category greeting-refused with a reason and advice", def)
	}
	h.runUntil("the end", h.done(id, 1))
	if got := h.terminal(id)["u@multi.mx.test"]; !reflect.DeepEqual(got, []string{events.RelayExpired}) {
		t.Errorf("terminal events %v, want expired (never bounced)", got)
	}
}

// TestSmarthost5xxGreeting: a smarthost that greets with 5xx refuses the
// path, not the message (as a 535 to the path's AUTH does): the
// recipients go to the route's next path in the same attempt, and with no
// other path they are deferred, instead of every message bouncing while
// the smarthost refuses this relay.
func TestSmarthost5xxGreeting(t *testing.T) {
	t.Parallel()
	refusing := greeter5xx(t, "554 5.7.1 relaying from 192.0.2.99 not allowed")
	t.Run("next path", func(t *testing.T) {
		t.Parallel()
		good := startMTA(t, nil)
		cfg := testConfig(refusing.addr)
		cfg.Paths = append(cfg.Paths, PathConfig{Name: "backup", Host: good.addr, TLS: "none"})
		cfg.Routes[0].Paths = []string{"primary", "backup"}
		h := newHarness(t, cfg, Options{})
		id := h.enqueue("a@x.test", "b@y.test")
		h.runUntil("delivery", h.done(id, 1))
		if got := h.terminal(id)["b@y.test"]; !reflect.DeepEqual(got, []string{events.RelayDelivered}) || len(good.received()) != 1 {
			t.Fatalf("terminal events %v, backup took %d; want delivery over the backup path", got, len(good.received()))
		}
		if del := h.firstOutcome(t, id, events.RelayDelivered); del["attempts"] != float64(1) {
			t.Errorf("delivered after %v attempts, want 1 (the next path in the same attempt)", del["attempts"])
		}
	})
	t.Run("only path", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, testConfig(refusing.addr), Options{})
		id := h.enqueue("a@x.test", "b@y.test")
		h.runUntil("an outcome", func() bool {
			return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) > 0 || len(h.terminal(id)) > 0
		})
		if got := h.terminal(id); len(got) != 0 {
			t.Fatalf("terminal events %v, want a deferral", got)
		}
		def := h.firstOutcome(t, id, events.RelayDeferred)
		rep := def["reply"].(map[string]any)
		if def["category"] != "greeting-refused" || rep["enhanced"] != "4.7.1" || !strings.Contains(rep["text"].(string), "the smarthost greeted with 5xx") {
			t.Errorf("deferral %v, want greeting-refused, 4.7.1, naming the smarthost's greeting", def)
		}
	})
}

// TestMXSessionCap: max_mx_sessions (default 2, as Postfix's
// smtp_mx_session_limit) stops an attempt after that many sessions
// reached SMTP; the last attempt event and its transcript say so, and 0
// lifts the cap.
func TestMXSessionCap(t *testing.T) {
	t.Parallel()
	deferring := func(f *fakeMTA) {
		f.onRcpt = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try later") }
	}
	for _, tt := range []struct {
		name   string
		cap    *int
		dialed int
	}{{"default", nil, 2}, {"none", new(int), 3}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mx3 := startMTA(t, nil)
			h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": startMTA(t, deferring), "192.0.2.2": startMTA(t, deferring), "192.0.2.3": mx3},
				func(c *Config) { c.Paths[0].MaxMXSessions = tt.cap })
			id := h.enqueue("", "u@multi.mx.test")
			h.runUntil("an outcome", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) > 0 || len(h.terminal(id)) > 0
			})
			if len(d.dialled()) != tt.dialed {
				t.Errorf("dialled %v, want %d addresses", d.dialled(), tt.dialed)
			}
			att := h.firstAttempt(t, id)
			if tt.cap != nil {
				if len(mx3.received()) != 1 {
					t.Errorf("mx3 took %d messages, want 1 with no cap", len(mx3.received()))
				}
				for _, a := range att {
					if a["walk_stopped"] != nil {
						t.Errorf("attempt %v says the walk stopped", a)
					}
				}
				return
			}
			if len(att) != 2 {
				t.Fatalf("attempt 1 events %v, want mx1 and mx2", att)
			}
			why, _ := att[1]["walk_stopped"].(string)
			if !strings.Contains(why, "max_mx_sessions (2)") || !strings.Contains(why, "not tried: mx3.mx.test") {
				t.Errorf("mx2's attempt walk_stopped %q, want the cap and mx3 named", why)
			}
			if tr, _ := att[1]["transcript"].(string); !strings.HasSuffix(tr, " -- "+why) {
				t.Errorf("mx2's transcript does not end with the cap:\n%s", tr)
			}
			if def := h.firstOutcome(t, id, events.RelayDeferred); def["reply"].(map[string]any)["code"] != float64(451) {
				t.Errorf("deferral %v, want mx2's 451", def)
			}
		})
	}
}

// TestMXAddressCap: max_mx_addresses (default 5, as Postfix's
// smtp_mx_address_limit) caps the addresses one attempt dials down the MX
// list, also within a host's addresses; 0 lifts the cap.
func TestMXAddressCap(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		cap    *int
		dialed int
	}{{"default", nil, 5}, {"two", ptr(2), 2}, {"none", new(int), 6}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Nothing listens: every address refuses the connection.
			h, d := mxHarness(t, nil, func(c *Config) { c.Paths[0].MaxMXAddresses = tt.cap })
			id := h.enqueue("", "u@wide.mx.test")
			h.runUntil("an outcome", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) > 0 || len(h.terminal(id)) > 0
			})
			if len(d.dialled()) != tt.dialed {
				t.Fatalf("dialled %v, want %d addresses", d.dialled(), tt.dialed)
			}
			att := h.firstAttempt(t, id)
			why, _ := att[len(att)-1]["walk_stopped"].(string)
			if tt.dialed == 6 {
				if why != "" {
					t.Errorf("walk_stopped %q without a cap", why)
				}
				return
			}
			if !strings.Contains(why, "max_mx_addresses") || !strings.Contains(why, "not tried: ") {
				t.Errorf("last attempt walk_stopped %q, want max_mx_addresses and what was not tried", why)
			}
			if tt.dialed == 5 && !strings.Contains(why, "wide2.mx.test at 192.0.2.2") {
				t.Errorf("walk_stopped %q, want wide2's last address named", why)
			}
			if tt.dialed == 2 && !strings.Contains(why, "wide1.mx.test at 192.0.2.1") || tt.dialed == 2 && !strings.HasSuffix(why, ", wide2.mx.test") {
				t.Errorf("walk_stopped %q, want wide1's third address and wide2 named", why)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestMX5xxGreetingsThenCap: when the address cap ends the walk after
// hosts that greeted with 5xx, the deferral says both.
func TestMX5xxGreetingsThenCap(t *testing.T) {
	t.Parallel()
	mx3 := startMTA(t, nil)
	h, d := mxHarness(t, map[string]*fakeMTA{
		"192.0.2.1": greeter5xx(t, "554 5.7.1 not here"),
		"192.0.2.2": greeter5xx(t, "554 5.7.1 not here either"),
		"192.0.2.3": mx3,
	}, func(c *Config) { c.Paths[0].MaxMXAddresses = ptr(2) })
	id := h.enqueue("", "u@multi.mx.test")
	h.runUntil("an outcome", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) > 0 || len(h.terminal(id)) > 0
	})
	if got := d.dialled(); len(got) != 2 || len(mx3.received()) != 0 {
		t.Fatalf("dialled %v, mx3 took %d; want mx1 and mx2 only", got, len(mx3.received()))
	}
	def := h.firstOutcome(t, id, events.RelayDeferred)
	text, _ := def["reply"].(map[string]any)["text"].(string)
	if def["category"] != "greeting-refused" || !strings.Contains(text, "every MX host tried (2) greeted with 5xx") ||
		!strings.Contains(text, "max_mx_addresses (2)") || !strings.Contains(text, "not tried: mx3.mx.test") {
		t.Errorf("deferral %v, want greeting-refused naming both greetings and the cap that left mx3 out", def)
	}
}

// TestMXAll521GreetingsBounce: RFC 7504 3 reserves a 521 greeting for a
// host that never accepts mail; when every MX host of the domain greets
// so, the recipient is bounced in the first attempt (the relay's own 521,
// 5.3.2 as the IANA registry pairs them, category greeting-refused, with
// a reason and a DSN), instead of being retried until it expires. A 554
// among them, or a host not reached, keeps the deferral: that host may
// yet take the mail.
func TestMXAll521GreetingsBounce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		servers map[string]string // address -> greeting; a missing one refuses the connection
		bounce  bool
	}{
		{"every MX host greets 521", map[string]string{
			"192.0.2.1": "521 5.3.2 mx1.mx.test does not accept mail",
			"192.0.2.2": "521 Host does not accept mail",
			"192.0.2.3": "521 mx3.mx.test no mail service here",
		}, true},
		{"one greets 554", map[string]string{
			"192.0.2.1": "521 5.3.2 mx1.mx.test does not accept mail",
			"192.0.2.2": "554 5.7.1 your IP is not welcome",
			"192.0.2.3": "521 mx3.mx.test no mail service here",
		}, false},
		{"one cannot be reached", map[string]string{
			"192.0.2.1": "521 5.3.2 mx1.mx.test does not accept mail",
			"192.0.2.3": "521 mx3.mx.test no mail service here",
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			servers := map[string]*fakeMTA{}
			for ip, greeting := range tt.servers {
				servers[ip] = greeter5xx(t, greeting)
			}
			h, d := mxHarness(t, servers)
			id := h.enqueue("a@s.test", "u@multi.mx.test")
			h.runUntil("the first outcome", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) > 0 || len(h.terminal(id)) > 0
			})
			if want := []string{"192.0.2.1:25", "192.0.2.2:25", "192.0.2.3:25"}; !reflect.DeepEqual(d.dialled(), want) {
				t.Errorf("dialled %v, want all three MX hosts in the first attempt", d.dialled())
			}
			if !tt.bounce {
				if got := h.terminal(id); len(got) != 0 {
					t.Fatalf("terminal events %v after the first attempt, want a deferral", got)
				}
				def := h.firstOutcome(t, id, events.RelayDeferred)
				if rep := def["reply"].(map[string]any); rep["code"] != float64(0) || def["category"] != "greeting-refused" {
					t.Errorf("deferral %v, want the relay's own deferral after 5xx greetings", def)
				}
				return
			}
			if got := h.terminal(id)["u@multi.mx.test"]; !reflect.DeepEqual(got, []string{events.RelayBounced}) {
				t.Fatalf("terminal events %v, want bounced in the first attempt", got)
			}
			b := h.firstOutcome(t, id, events.RelayBounced)
			rep := b["reply"].(map[string]any)
			text, _ := rep["text"].(string)
			if rep["code"] != float64(521) || rep["enhanced"] != "5.3.2" || rep["local"] != true ||
				!strings.Contains(text, "every MX host of the domain (3) greeted with 521") || !strings.Contains(text, "mx3.mx.test: 521 mx3.mx.test no mail service here") {
				t.Errorf("bounce reply %v, want the relay's own 521 5.3.2 naming all three greetings", rep)
			}
			if b["attempts"] != float64(1) || b["category"] != "greeting-refused" || !strings.Contains(b["reason"].(string), "RFC 7504") || b["advice"] == "" {
				t.Errorf("bounce %v, want attempt 1, category greeting-refused, a reason citing RFC 7504 and advice", b)
			}
			dsns := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})
			if len(dsns) != 1 || payload(t, dsns[0])["status"] != "5.3.2" {
				t.Errorf("DSN events %v, want one with status 5.3.2", dsns)
			}
			att := h.firstAttempt(t, id)
			if tr, _ := att[len(att)-1]["transcript"].(string); !strings.Contains(tr, "-- a 521 greeting: this host does not accept mail at all (RFC 7504 3)") {
				t.Errorf("the last host's transcript does not say what a 521 means:\n%s", tr)
			}
		})
	}
}

// TestWalkStopWording: the note counts in words that agree with the
// number ("1 address", "1 session").
func TestWalkStopWording(t *testing.T) {
	w := &walk{caps: walkCaps{addresses: 1}, mx: true, addresses: 1}
	if got := w.stop([]string{"mx2.test"}); !strings.Contains(got, "this attempt used 1 address; not tried: mx2.test") {
		t.Errorf("address cap: %q", got)
	}
	w = &walk{caps: walkCaps{sessions: 1}, mx: true, sessions: 1}
	if got := w.stop([]string{"mx2.test"}); !strings.Contains(got, "1 session of this attempt reached SMTP") {
		t.Errorf("session cap: %q", got)
	}
}
