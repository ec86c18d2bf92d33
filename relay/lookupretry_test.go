package relay

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// TestFailuresWithoutConnectionBackOff: a DNS lookup that failed (SERVFAIL,
// an MX host without an address) and a refused connection are attempts
// alike: each has its relay.attempt event, moves the recipient along the
// retry schedule and counts for max_attempts, on the virtual clock.
func TestFailuresWithoutConnectionBackOff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rcpt, stage, enhanced string
	}{
		{"u@broken.mx.test", "dns", "4.4.3"},   // SERVFAIL for the MX
		{"u@dangling.mx.test", "dns", "4.4.4"}, // the MX host has no address
		{"u@implicit.mx.test", "connect", ""},  // the connection is refused
	}
	for _, tt := range tests {
		t.Run(tt.rcpt, func(t *testing.T) {
			t.Parallel()
			h, _ := mxHarness(t, nil, func(c *Config) {
				c.Retry = RetryConfig{Kind: "list", Schedule: []config.Duration{dur(10 * time.Minute), dur(30 * time.Minute)},
					MaxAge: dur(24 * time.Hour), MaxAttempts: 3, BounceMaxAge: dur(time.Hour)}
				c.DSN.Disabled = true
			})
			id := h.enqueue("a@s.test", tt.rcpt)
			h.runUntil("expiry", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayExpired}})) == 1
			})
			// Before the fix every try came 10m after the last and none
			// counted: 24h of lookups every 10 minutes.
			if got, want := h.attemptTimes(id, tt.rcpt), []time.Duration{0, 10 * time.Minute, 40 * time.Minute}; !reflect.DeepEqual(got, want) {
				t.Errorf("attempts at %v, want %v (schedule 10m then 30m, max_attempts 3)", got, want)
			}
			for k, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}}) {
				p := payload(t, e)
				rep, _ := p["reply"].(map[string]any)
				enhanced, _ := rep["enhanced"].(string)
				if p["attempt"] != float64(k+1) || rep["stage"] != tt.stage || rep["code"] != 0.0 || enhanced != tt.enhanced {
					t.Errorf("attempt event %d: %v, want attempt %d with a %s-stage reply without a code, enhanced %q", k+1, p, k+1, tt.stage, tt.enhanced)
				}
				if text, _ := rep["text"].(string); tt.stage == "dns" && strings.Contains(text, "127.0.0.1") {
					t.Errorf("attempt event %d: reply text %q names the DNS server's address, which a replay changes every run", k+1, text)
				}
				if tt.stage == "dns" && p["transcript"] != nil {
					t.Errorf("attempt event %d has a transcript %q, but no connection was made", k+1, p["transcript"])
				}
			}
			for k, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}}) {
				if p := payload(t, e); p["attempts"] != float64(k+1) {
					t.Errorf("deferral %d says attempts %v, want %d", k+1, p["attempts"], k+1)
				}
			}
			ex := h.events(events.Filter{Message: id, Kinds: []string{events.RelayExpired}})[0]
			p := payload(t, ex)
			if at := ex.Time.Sub(epoch); at != 40*time.Minute || p["attempts"] != 3.0 || !strings.Contains(p["reason"].(string), "maximum number of attempts") {
				t.Errorf("expired at +%v with %v, want at +40m after 3 attempts, for the maximum number of attempts", at, p)
			}
		})
	}
}
