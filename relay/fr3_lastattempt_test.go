package relay

import (
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
)

// TestServfailDelayDSNHasLastAttempt: a lookup of the recipient's domain
// that failed for now (SERVFAIL) is an attempt, as the retry policy counts
// it, so the delay warning written between attempts carries its date
// (RFC 3464 2.3.7), as one after an MX host without an address does.
// Before, it had none: its relay.attempt events name no host.
func TestServfailDelayDSNHasLastAttempt(t *testing.T) {
	t.Parallel()
	home := startMTA(t, nil)
	h, d := mxHarness(t, nil, homeRoute(home.addr), func(c *Config) {
		// Due after the second attempt (at 0 and 1m), before the third (6m).
		c.DSN.DelayWarning = dur(3 * time.Minute)
	})
	d.mu.Lock()
	d.to[home.addr] = home.addr
	d.mu.Unlock()
	id := h.enqueue("a@s.test", "u@broken.mx.test")
	p := dsnOf(t, h, id, dsn.ActionDelayed)
	rc := p.Report.Recipients[0]
	if want := epoch.Add(time.Minute); !rc.LastAttempt.Equal(want) {
		t.Errorf("Last-Attempt-Date %v, want %v, the second lookup's", rc.LastAttempt, want)
	}
	if got := len(h.attemptTimes(id, "u@broken.mx.test")); got != 2 {
		t.Errorf("%d attempts before the delay warning, want 2", got)
	}
}
