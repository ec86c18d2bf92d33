package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestShapingReasonNamesTheHold: a recipient held back by a warm-up cap
// and one held back by a sending window each get a reason and advice
// that say which of the two holds it, and the key to change, from the
// relay's own classification, instead of "a sending window or a warm-up
// cap" for both (which the web UI used to rewrite from the hold's text).
func TestShapingReasonNamesTheHold(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name                string
		shape               func(*Config)
		reason, advice, not string
	}{
		{"warmup", func(c *Config) { c.Paths[0].Warmup, c.Paths[0].WarmupStart = []int{1}, epoch.Format("2006-01-02") },
			"its path has reached its warm-up cap for the day", "warmup", "sending window"},
		{"window", func(c *Config) { c.Routes[0].Windows = []string{"03:00-04:00"} },
			"it is outside the sending windows of its route", "route's windows", "warm-up"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, nil)
			cfg := testConfig(mta.addr)
			tt.shape(&cfg)
			h := newHarness(t, cfg, Options{})
			if tt.name == "warmup" {
				first := h.enqueue("a@s.test", "first@r.test") // the day's cap of 1
				h.runUntil("the first message", h.done(first, 1))
			}
			id := h.enqueue("a@s.test", "held@r.test")
			h.runUntil("the hold", h.deferrals(id, 1))
			p := payload(t, h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})[0])
			reason, _ := p["reason"].(string)
			advice, _ := p["advice"].(string)
			if p["category"] != "shaping" || !strings.Contains(reason, tt.reason) || strings.Contains(reason, tt.not) || !strings.Contains(advice, tt.advice) {
				t.Errorf("deferral %v: want category shaping, a reason with %q and not %q, advice with %q", p, tt.reason, tt.not, tt.advice)
			}
		})
	}
}
