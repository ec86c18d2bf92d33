package relay

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestDSNEventsNameTheirMessage: every event about a DSN the relay wrote
// (queued, attempt, deferred, delivered, bounced, expired) carries
// dsn_for, the id of the message it reports on, and the queue API says
// the same; the original message's own events carry none.
func TestDSNEventsNameTheirMessage(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	tries := map[string]int{}
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			mu.Lock()
			defer mu.Unlock()
			tries[to]++
			switch {
			case strings.HasPrefix(to, "gone"):
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			case to == "alice@s.test" && tries[to] == 1: // her DSN waits once
				return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try later")
			case to == "bob@s.test": // his DSN bounces
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			case to == "carol@s.test": // hers waits until the policy gives up
				return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try later")
			}
			return nil
		}
	})
	h := newHarness(t, testConfig(mta.addr), Options{})
	tests := []struct {
		sender string
		kinds  []string // of the DSN's events, each at least once
	}{
		{"alice@s.test", []string{events.RelayQueued, events.RelayAttempt, events.RelayDeferred, events.RelayDelivered}},
		{"bob@s.test", []string{events.RelayQueued, events.RelayAttempt, events.RelayBounced}},
		{"carol@s.test", []string{events.RelayQueued, events.RelayAttempt, events.RelayDeferred, events.RelayExpired}},
	}
	for _, tt := range tests {
		// A recipient of its own each: the first bounce suppresses it.
		id := h.enqueue(tt.sender, "gone-"+tt.sender)
		h.runUntil("the bounce of "+tt.sender, h.done(id, 1))
		dsns := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})
		if len(dsns) != 1 {
			t.Fatalf("%s: %d relay.dsn events, want 1", tt.sender, len(dsns))
		}
		dsnID := payload(t, dsns[0])["dsn_message"].(string)
		h.runUntil("the DSN to "+tt.sender, h.done(dsnID, 1))
		seen := map[string]bool{}
		for _, e := range h.events(events.Filter{Message: dsnID}) {
			seen[e.Kind] = true
			if got := payload(t, e)["dsn_for"]; got != id {
				t.Errorf("%s: %s event of the DSN %s has dsn_for %v, want %s", tt.sender, e.Kind, dsnID, got, id)
			}
		}
		for _, k := range tt.kinds {
			if !seen[k] {
				t.Errorf("%s: the DSN has no %s event; it has %v", tt.sender, k, seen)
			}
		}
		for _, e := range h.events(events.Filter{Message: id}) {
			if got, ok := payload(t, e)["dsn_for"]; ok {
				t.Errorf("%s: %s event of the original message has dsn_for %v, want none", tt.sender, e.Kind, got)
			}
		}
		m, err := h.r.Message(context.Background(), dsnID)
		if err != nil {
			t.Fatal(err)
		}
		if !m.IsDSN || m.DSNFor != id {
			t.Errorf("%s: queue API says is_dsn %v, dsn_for %q; want true, %q", tt.sender, m.IsDSN, m.DSNFor, id)
		}
		if m, err := h.r.Message(context.Background(), id); err != nil || m.DSNFor != "" {
			t.Errorf("%s: the original message has dsn_for %q (%v), want none", tt.sender, m.DSNFor, err)
		}
	}
}
