package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestLoopBackToMyself: a next hop that names itself with the relay's own
// hostname in its greeting or EHLO reply is the relay itself: the
// recipient is bounced 5.4.6 at the first hop, as Postfix does ("mail for
// X loops back to myself"), where it used to go round until "554 5.4.6
// Too many hops". The fake MTA greets as mta.test.
func TestLoopBackToMyself(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		hostname string
		loops    bool
	}{
		{"mta.test", true},
		{"MTA.test.", true},
		{"relay.test", false},
	} {
		t.Run(tt.hostname, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, nil)
			cfg := testConfig(mta.addr)
			cfg.Hostname = tt.hostname
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("", "b@r.test")
			h.runUntil("an outcome", h.done(id, 1))
			term := h.terminal(id)["b@r.test"]
			if !tt.loops {
				if len(term) != 1 || term[0] != events.RelayDelivered {
					t.Fatalf("terminal %v, want delivered", term)
				}
				return
			}
			evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}})
			if len(evs) != 1 || len(mta.received()) != 0 {
				t.Fatalf("terminal %v, received %d: want one bounce, nothing sent", term, len(mta.received()))
			}
			p := payload(t, evs[0])
			rep, _ := p["reply"].(map[string]any)
			reason, _ := p["reason"].(string)
			advice, _ := p["advice"].(string)
			if rep["enhanced"] != "5.4.6" || !strings.Contains(rep["text"].(string), "loops back to myself") ||
				!strings.Contains(reason, "this relay's own hostname") || !strings.Contains(advice, "relay.hostname") {
				t.Errorf("bounce %s: want 5.4.6, loops back to myself, a reason and advice naming relay.hostname", evs[0].Payload)
			}
			if p["suppressed"] == true {
				t.Errorf("the address was suppressed for the relay's own loop")
			}
		})
	}
}
